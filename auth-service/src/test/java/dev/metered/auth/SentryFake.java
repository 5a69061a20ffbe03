package dev.metered.auth;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * A local HTTP server standing in for Sentry: the service gets {@code SENTRY_DSN} pointing at it
 * (project 42), and tests read the envelopes it received through WireMock's admin API.
 */
public class SentryFake implements QuarkusTestResourceLifecycleManager {

    static final String ENVELOPE_PATH = "/api/42/envelope/";
    static final String PORT = "metered.test.sentry-port";

    private WireMockServer server;

    @Override
    public Map<String, String> start() {
        server = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        server.start();
        server.stubFor(post(urlEqualTo(ENVELOPE_PATH)).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{}")));
        return Map.of("SENTRY_DSN", "http://publickey@127.0.0.1:" + server.port() + "/42",
                "SENTRY_ENVIRONMENT", "test", "SENTRY_RELEASE", "metered@test",
                "SENTRY_TRACES_SAMPLE_RATE", "0.25", PORT, Integer.toString(server.port()));
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop();
        }
    }
}
