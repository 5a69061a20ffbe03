package dev.metered.ops.monitoring;

import dev.metered.ops.config.OpsConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToDoubleFunction;
import org.jboss.logging.Logger;

/**
 * Every sampling interval: records the queue depth for this minute (one row per minute, however
 * many ops replicas), deletes samples past their retention, and refreshes the gauges that
 * Prometheus scrapes, so that its alert rules see the same figures as /api/ops/alerts.
 */
@ApplicationScoped
public class QueueDepthSampler {

    private static final Logger LOG = Logger.getLogger(QueueDepthSampler.class);
    private static final String RECORD = """
            INSERT INTO ops.queue_depth_samples (sampled_at, queued, running)
            SELECT date_trunc('minute', now()), queued, running FROM jobs.ops_queue_depth
            ON CONFLICT (sampled_at) DO NOTHING""";
    private static final String EXPIRE = "DELETE FROM ops.queue_depth_samples WHERE sampled_at < now() - $1 * interval '1 second'";

    private final Pool pool;
    private final OpsReads reads;
    private final Vertx vertx;
    private final OpsConfig config;
    private final AtomicReference<OpsSnapshot> latest = new AtomicReference<>();
    private long timer = -1;

    public QueueDepthSampler(Pool pool, OpsReads reads, Vertx vertx, OpsConfig config, MeterRegistry registry) {
        this.pool = pool;
        this.reads = reads;
        this.vertx = vertx;
        this.config = config;
        gauge(registry, "metered.ops.queue.depth", "status", "queued", OpsSnapshot::queued);
        gauge(registry, "metered.ops.queue.depth", "status", "running", OpsSnapshot::running);
        gauge(registry, "metered.ops.worker.heartbeat.age.seconds", null, null,
                s -> s.workerHeartbeatAgeSeconds() == null ? Double.NaN : s.workerHeartbeatAgeSeconds());
        gauge(registry, "metered.ops.jobs.failed.last.hour", null, null, OpsSnapshot::jobsFailedLastHour);
        gauge(registry, "metered.ops.webhook.failed.last.hour", null, null, OpsSnapshot::webhookFailedLastHour);
        gauge(registry, "metered.ops.dead.letters.last.24h", null, null, OpsSnapshot::deadLettersLast24h);
        gauge(registry, "metered.ops.ledger.drift.accounts", null, null, OpsSnapshot::ledgerDrift);
    }

    void start(@Observes StartupEvent started) {
        sampleNow().subscribe().with(ignored -> { }, this::warn);
        timer = vertx.setPeriodic(config.sampling().interval().toMillis(),
                id -> sampleNow().subscribe().with(ignored -> { }, this::warn));
    }

    void stop(@Observes ShutdownEvent stopping) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    public Uni<Void> sampleNow() {
        return pool.query(RECORD).execute()
                .chain(() -> pool.preparedQuery(EXPIRE).execute(Tuple.of(config.sampling().retention().getSeconds())))
                .chain(reads::snapshot)
                .invoke(latest::set)
                .replaceWithVoid();
    }

    private void gauge(MeterRegistry registry, String name, String tagKey, String tagValue,
                       ToDoubleFunction<OpsSnapshot> value) {
        Gauge.Builder<AtomicReference<OpsSnapshot>> builder = Gauge.builder(name, latest, ref -> {
            OpsSnapshot snapshot = ref.get();
            return snapshot == null ? Double.NaN : value.applyAsDouble(snapshot);
        });
        if (tagKey != null) {
            builder.tag(tagKey, tagValue);
        }
        builder.register(registry);
    }

    private void warn(Throwable failure) {
        LOG.warnf("queue-depth sampling failed: %s", failure.getMessage());
    }
}
