package dev.metered.worker.health;

import dev.metered.worker.WorkerLifecycle;
import dev.metered.worker.config.WorkerConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Not ready while the worker runs without its LISTEN connection for longer than a few poll intervals. */
@Readiness
@ApplicationScoped
public class WorkerListeningCheck implements HealthCheck {

    private final WorkerLifecycle lifecycle;
    private final Duration tolerance;
    private final boolean enabled;

    public WorkerListeningCheck(WorkerLifecycle lifecycle, WorkerConfig config) {
        this.lifecycle = lifecycle;
        this.enabled = config.enabled();
        this.tolerance = Duration.ofMillis(Math.max(5000, 3 * config.pollIntervalMs()));
    }

    @Override
    public HealthCheckResponse call() {
        var response = HealthCheckResponse.named("worker-listen").withData("enabled", enabled);
        if (!enabled) {
            return response.up().build();
        }
        var worker = lifecycle.worker();
        if (worker.isEmpty() || !worker.get().running()) {
            response.withData("reason", "worker not started");
            return lifecycle.sinceStart().compareTo(tolerance) > 0 ? response.down().build() : response.up().build();
        }
        Duration down = worker.get().listenerDownFor();
        response.withData("listen_down_ms", down.toMillis()).withData("in_flight", worker.get().inFlight());
        return down.compareTo(tolerance) > 0 ? response.down().build() : response.up().build();
    }
}
