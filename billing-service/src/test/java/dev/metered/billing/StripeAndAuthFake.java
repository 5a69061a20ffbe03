package dev.metered.billing;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * One local HTTP server standing in for Stripe's API (tests stub and verify it through
 * WireMock's admin API) and for auth-service's JWKS, whose private key tests sign tokens with.
 */
public class StripeAndAuthFake implements QuarkusTestResourceLifecycleManager {

    static final String WEBHOOK_SECRET = "whsec_test_secret_for_billing_tests";
    static final String PREVIOUS_WEBHOOK_SECRET = "whsec_previous_secret";

    private WireMockServer server;

    @Override
    public Map<String, String> start() {
        try {
            RSAKey signingKey = new RSAKeyGenerator(2048).keyID("test-key").generate();
            server = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
            server.start();
            server.stubFor(get("/jwks").willReturn(aResponse().withHeader("Content-Type", "application/json")
                    .withBody(new JWKSet(signingKey.toPublicJWK()).toString())));
            String base = "http://127.0.0.1:" + server.port();
            return Map.of(
                    "AUTH_JWKS_URL", base + "/jwks",
                    "STRIPE_API_BASE", base,
                    "STRIPE_SECRET_KEY", "sk_test_billing_tests",
                    "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET + "," + PREVIOUS_WEBHOOK_SECRET,
                    "PUBLIC_ORIGIN_ALLOWLIST", "https://app.metered.test",
                    "metered.test.fake-port", Integer.toString(server.port()),
                    "metered.test.jwt-private-jwk", signingKey.toJSONString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop();
        }
    }
}
