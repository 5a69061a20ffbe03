package dev.metered.worker;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/** No worker of the process's own: each test starts the workers it needs, with the ids it needs. */
public class ManualWorkers implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("worker.enabled", "false", "worker.poll-interval-ms", "100", "worker.retry-seed", "42",
                "worker.rescue-interval-seconds", "3600");
    }
}
