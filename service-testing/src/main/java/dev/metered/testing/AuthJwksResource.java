package dev.metered.testing;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Stands in for auth-service's JWKS endpoint: the service under test verifies tokens through
 * {@code AUTH_JWKS_URL} exactly as in production, and {@link AccessTokens} signs them.
 */
public class AuthJwksResource implements QuarkusTestResourceLifecycleManager {

    static final String PRIVATE_JWK = "metered.test.jwt-private-jwk";

    private HttpServer server;

    @Override
    public Map<String, String> start() {
        try {
            RSAKey key = new RSAKeyGenerator(2048).keyID("test-" + System.nanoTime()).generate();
            byte[] jwks = new JWKSet(key.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/jwks", exchange -> {
                exchange.getResponseHeaders().add("Content-Type", "application/jwk-set+json");
                exchange.sendResponseHeaders(200, jwks.length);
                try (OutputStream body = exchange.getResponseBody()) {
                    body.write(jwks);
                }
            });
            server.start();
            return Map.of("AUTH_JWKS_URL", "http://127.0.0.1:" + server.getAddress().getPort() + "/jwks",
                    PRIVATE_JWK, key.toJSONString());
        } catch (IOException | com.nimbusds.jose.JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop(0);
        }
    }
}
