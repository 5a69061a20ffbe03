package dev.metered.billing;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * A local HTTP server standing in for Stripe's API; tests stub and verify it through WireMock's
 * admin API.
 */
public class StripeFake implements QuarkusTestResourceLifecycleManager {

    static final String WEBHOOK_SECRET = "whsec_test_secret_for_billing_tests";
    static final String PREVIOUS_WEBHOOK_SECRET = "whsec_previous_secret";

    private WireMockServer server;

    @Override
    public Map<String, String> start() {
        server = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        server.start();
        return Map.of(
                "STRIPE_API_BASE", "http://127.0.0.1:" + server.port(),
                "STRIPE_SECRET_KEY", "sk_test_billing_tests",
                "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET + "," + PREVIOUS_WEBHOOK_SECRET,
                "PUBLIC_ORIGIN_ALLOWLIST", "https://app.metered.test",
                "metered.test.fake-port", Integer.toString(server.port()));
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop();
        }
    }
}
