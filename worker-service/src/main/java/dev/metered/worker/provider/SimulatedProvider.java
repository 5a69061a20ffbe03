package dev.metered.worker.provider;

import dev.metered.worker.queue.ClaimedJob;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * No network: echoes the input. {@code input.simulate} may set {@code latency_ms} (a Vert.x
 * timer, never a sleeping thread), {@code fail_times} (the first N attempts fail) and
 * {@code fail_always}.
 */
@ApplicationScoped
public class SimulatedProvider implements JobProvider {

    private final Vertx vertx;

    public SimulatedProvider(Vertx vertx) {
        this.vertx = vertx;
    }

    @Override
    public String name() {
        return "simulated";
    }

    @Override
    public Uni<JsonObject> run(ClaimedJob job) {
        JsonObject input = job.input() == null ? new JsonObject() : job.input().copy();
        Object simulate = input.remove("simulate");
        JsonObject settings = simulate instanceof JsonObject object ? object : new JsonObject();
        long latencyMs = settings.getValue("latency_ms") instanceof Number n ? n.longValue() : 0;
        int failTimes = settings.getValue("fail_times") instanceof Number n ? n.intValue() : 0;
        boolean failAlways = Boolean.TRUE.equals(settings.getValue("fail_always"));
        return delay(latencyMs).map(ignored -> {
            if (failAlways || job.attempt() <= failTimes) {
                throw new ProviderFailure("simulated failure of attempt " + job.attempt(), true);
            }
            return new JsonObject().put("echo", input).put("provider", name());
        });
    }

    private Uni<Void> delay(long millis) {
        if (millis <= 0) {
            return Uni.createFrom().voidItem();
        }
        return Uni.createFrom().emitter(emitter -> {
            long timer = vertx.setTimer(millis, id -> emitter.complete(null));
            emitter.onTermination(() -> vertx.cancelTimer(timer));
        });
    }
}
