package dev.metered.worker;

import dev.metered.worker.config.WorkerConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.Optional;
import org.jboss.logging.Logger;

/** Runs this process's worker unless MVP_WORKER_ENABLED=false, and stops it gracefully on shutdown. */
@ApplicationScoped
public class WorkerLifecycle {

    private static final Logger LOG = Logger.getLogger(WorkerLifecycle.class);

    private final WorkerConfig config;
    private final WorkerFactory factory;
    private final Vertx vertx;
    private volatile Worker worker;
    private volatile boolean stopping;
    private volatile long startedAt;

    public WorkerLifecycle(WorkerConfig config, WorkerFactory factory, Vertx vertx) {
        this.config = config;
        this.factory = factory;
        this.vertx = vertx;
    }

    void onStart(@Observes StartupEvent event) {
        if (!config.enabled()) {
            LOG.info("Worker loop disabled (MVP_WORKER_ENABLED=false)");
            return;
        }
        Worker created = factory.create();
        startedAt = System.nanoTime();
        worker = created;
        start(created);
    }

    private void start(Worker created) {
        created.start().subscribe().with(v -> { }, failure -> {
            LOG.errorf("Worker %s could not start (%s); retrying in 5 s", created.id(), failure.getMessage());
            if (worker == created && !stopping) {
                vertx.setTimer(5000, id -> start(created));
            }
        });
    }

    void onStop(@Observes ShutdownEvent event) {
        stopping = true;
        Worker current = worker;
        if (current == null) {
            return;
        }
        Duration grace = Duration.ofSeconds(config.shutdownGraceSeconds());
        try {
            current.stop(grace).await().atMost(grace.plusSeconds(10));
        } catch (RuntimeException e) {
            LOG.warnf("Worker %s did not stop cleanly: %s", current.id(), e.getMessage());
        }
    }

    /** Since when this process has been trying to run its worker. */
    public Duration sinceStart() {
        return Duration.ofNanos(System.nanoTime() - startedAt);
    }

    public Optional<Worker> worker() {
        return Optional.ofNullable(worker);
    }
}
