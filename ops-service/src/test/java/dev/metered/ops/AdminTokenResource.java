package dev.metered.ops;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * ADMIN_TOKEN for a packaged ops-service: integration tests run it in the prod profile, where the
 * test profile's token does not apply. The same token as {@link OpsFixtures#ADMIN_TOKEN}.
 */
public class AdminTokenResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        return Map.of("ADMIN_TOKEN", OpsFixtures.ADMIN_TOKEN);
    }

    @Override
    public void stop() {
    }
}
