package dev.metered.worker;

import dev.metered.runtime.db.ChannelListener;
import dev.metered.worker.config.WorkerConfig;
import dev.metered.worker.execute.JobExecutor;
import dev.metered.worker.heartbeat.HeartbeatStore;
import dev.metered.worker.metrics.WorkerMetrics;
import dev.metered.worker.queue.JobQueue;
import dev.metered.worker.rescue.StaleJobRescuer;
import io.vertx.mutiny.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import jakarta.enterprise.context.ApplicationScoped;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Builds workers from the configuration; tests build several with different ids. */
@ApplicationScoped
public class WorkerFactory {

    /** The channel jobs-service's trigger notifies when a job becomes claimable. */
    static final String JOBS_QUEUED = "jobs_queued";

    private final WorkerConfig config;
    private final Vertx vertx;
    private final Clock clock;
    private final JobQueue queue;
    private final JobExecutor executor;
    private final HeartbeatStore heartbeats;
    private final StaleJobRescuer rescuer;
    private final WorkerMetrics metrics;
    private final String listenDatabaseUrl;

    public WorkerFactory(WorkerConfig config, Vertx vertx, Clock clock, JobQueue queue, JobExecutor executor,
                         HeartbeatStore heartbeats, StaleJobRescuer rescuer, WorkerMetrics metrics,
                         @ConfigProperty(name = "metered.db.listen-url") String listenDatabaseUrl) {
        this.config = config;
        this.vertx = vertx;
        this.clock = clock;
        this.queue = queue;
        this.executor = executor;
        this.heartbeats = heartbeats;
        this.rescuer = rescuer;
        this.metrics = metrics;
        this.listenDatabaseUrl = listenDatabaseUrl;
    }

    /** The worker named by WORKER_ID (default hostname-pid). */
    public Worker create() {
        return create(config.id().filter(id -> !id.isBlank()).orElseGet(WorkerFactory::defaultId));
    }

    public Worker create(String id) {
        return create(id, config.concurrency());
    }

    public Worker create(String id, int concurrency) {
        var settings = new Worker.Settings(id, concurrency, config.batchSize(),
                Duration.ofMillis(config.pollIntervalMs()), config.staleSeconds(),
                Duration.ofSeconds(config.heartbeatSeconds()), Duration.ofSeconds(config.rescueIntervalSeconds()));
        PgConnectOptions listenOptions = ChannelListener.connectOptions(listenDatabaseUrl, "metered-worker-listen");
        // every notification and every (re)connection wakes the claimer
        return new Worker(settings, vertx, clock, queue, executor, heartbeats, rescuer, metrics,
                wake -> new ChannelListener(vertx.getDelegate(), listenOptions, JOBS_QUEUED, payload -> wake.run(), wake));
    }

    static String defaultId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = System.getenv().getOrDefault("HOSTNAME", "worker");
        }
        return host + "-" + ManagementFactory.getRuntimeMXBean().getPid();
    }
}
