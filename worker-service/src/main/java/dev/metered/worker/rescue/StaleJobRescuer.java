package dev.metered.worker.rescue;

import dev.metered.worker.heartbeat.HeartbeatStore;
import dev.metered.worker.metrics.WorkerMetrics;
import dev.metered.worker.queue.JobQueue;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import org.jboss.logging.Logger;

/**
 * Puts running jobs whose lease expired back in the queue (or dead, out of attempts), and
 * records what it did in the rescuing worker's heartbeat row.
 */
@ApplicationScoped
public class StaleJobRescuer {

    private static final Logger LOG = Logger.getLogger(StaleJobRescuer.class);

    private final JobQueue queue;
    private final HeartbeatStore heartbeats;
    private final Clock clock;
    private final WorkerMetrics metrics;

    public StaleJobRescuer(JobQueue queue, HeartbeatStore heartbeats, Clock clock, WorkerMetrics metrics) {
        this.queue = queue;
        this.heartbeats = heartbeats;
        this.clock = clock;
        this.metrics = metrics;
    }

    /** Expired leases only. */
    public Uni<JobQueue.Recovery> rescue(String workerId) {
        return run(workerId, null);
    }

    /** Expired leases and every job still leased to {@code workerId}: it has just (re)started, none is running. */
    public Uni<JobQueue.Recovery> rescueOnStart(String workerId) {
        return run(workerId, workerId);
    }

    private Uni<JobQueue.Recovery> run(String workerId, String restartedWorker) {
        var now = clock.instant();
        return queue.recoverStale(now, restartedWorker).call(recovery -> {
            metrics.recovered(recovery.requeued(), recovery.dead());
            if (recovery.requeued() + recovery.dead() > 0) {
                LOG.infof("Worker %s recovered stale jobs: %d requeued, %d dead", workerId, recovery.requeued(),
                        recovery.dead());
            }
            return heartbeats.recovered(workerId, recovery.requeued(), recovery.dead(), now);
        });
    }
}
