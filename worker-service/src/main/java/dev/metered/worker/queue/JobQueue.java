package dev.metered.worker.queue;

import dev.metered.runtime.problem.DependencyOutage;
import dev.metered.worker.config.WorkerConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The worker's only way to change jobs: the functions jobs-service publishes
 * (jobs-service db/jobs/V2__jobs_queue.sql). Each call is one statement, hence one transaction.
 */
@ApplicationScoped
public class JobQueue {

    /** What a stale recovery did. */
    public record Recovery(int requeued, int dead) {
    }

    private static final String CLAIM =
            "SELECT id, user_id, type, input, attempt, max_attempts, locked_until FROM jobs.claim($1, $2, $3, $4)";
    private static final String RENEW = "SELECT id FROM jobs.renew_leases($1, $2, $3, $4) AS t(id)";
    private static final String COMPLETE = "SELECT jobs.complete($1, $2, $3, $4, $5) AS completed";
    private static final String FAIL = "SELECT jobs.fail($1, $2, $3, $4, $5, $6, $7) AS status";
    private static final String HAND_BACK = "SELECT jobs.hand_back($1, $2, $3) AS handed";
    private static final String HAND_BACK_UNHELD = "SELECT jobs.hand_back_unheld($1, $2, $3) AS handed";
    private static final String RECOVER_STALE = "SELECT requeued, dead FROM jobs.recover_stale($1, $2)";

    private final Pool pool;
    private final Duration settleRetryLimit;

    public JobQueue(Pool pool, WorkerConfig config) {
        this.pool = pool;
        // no one else may take the job before its lease ends: until then, settling it is ours to retry
        this.settleRetryLimit = Duration.ofSeconds(config.staleSeconds());
    }

    public Uni<List<ClaimedJob>> claim(String worker, int limit, int leaseSeconds, Instant now) {
        return pool.preparedQuery(CLAIM).execute(Tuple.of(worker, limit, leaseSeconds, at(now))).map(rows -> {
            List<ClaimedJob> jobs = new ArrayList<>();
            for (Row row : rows) {
                jobs.add(new ClaimedJob(row.getUUID("id"), row.getUUID("user_id"), row.getString("type"),
                        row.getJsonObject("input"), row.getInteger("attempt"), row.getInteger("max_attempts"),
                        row.getOffsetDateTime("locked_until").toInstant()));
            }
            return jobs;
        });
    }

    /** The ids whose lease this worker still holds, now extended. */
    public Uni<Set<UUID>> renewLeases(String worker, Collection<UUID> jobIds, int leaseSeconds, Instant now) {
        return pool.preparedQuery(RENEW)
                .execute(Tuple.of(worker, jobIds.toArray(UUID[]::new), leaseSeconds, at(now)))
                .map(rows -> {
                    Set<UUID> held = new HashSet<>();
                    rows.forEach(row -> held.add(row.getUUID("id")));
                    return held;
                });
    }

    /**
     * False when this worker no longer holds this attempt (fenced): nothing changed. Settling is
     * retried through a full pool, a dropped connection or a database restart, for as long as
     * the lease lasts, rather than left to the lease's expiry (which would run the job again);
     * a retry after a lost commit is fenced off, so it can never settle twice.
     */
    public Uni<Boolean> complete(UUID jobId, String worker, int attempt, JsonObject output, Instant now) {
        return settle(pool.preparedQuery(COMPLETE).execute(Tuple.of(jobId, worker, attempt, output, at(now))))
                .map(rows -> Boolean.TRUE.equals(rows.iterator().next().getBoolean("completed")));
    }

    /** The job's new status (queued, dead, failed), or null when this worker no longer holds this attempt. */
    public Uni<String> fail(UUID jobId, String worker, int attempt, String error, boolean retryable, Instant retryAt,
                            Instant now) {
        return settle(pool.preparedQuery(FAIL)
                .execute(Tuple.from(List.of(jobId, worker, attempt, error, retryable, at(retryAt), at(now)))))
                .map(rows -> rows.iterator().next().getString("status"));
    }

    private <T> Uni<T> settle(Uni<T> call) {
        return call.onFailure(DependencyOutage::isTransient).retry()
                .withBackOff(Duration.ofMillis(50), Duration.ofSeconds(2)).expireIn(settleRetryLimit.toMillis());
    }

    public Uni<Integer> handBack(String worker, Collection<UUID> jobIds, Instant now) {
        return pool.preparedQuery(HAND_BACK).execute(Tuple.of(worker, jobIds.toArray(UUID[]::new), at(now)))
                .map(rows -> rows.iterator().next().getInteger("handed"));
    }

    /** Hands back every job leased to {@code worker} but not in {@code held}: what a lost claim answer left. */
    public Uni<Integer> handBackUnheld(String worker, Collection<UUID> held, Instant now) {
        return pool.preparedQuery(HAND_BACK_UNHELD).execute(Tuple.of(worker, held.toArray(UUID[]::new), at(now)))
                .map(rows -> rows.iterator().next().getInteger("handed"));
    }

    /** Requeues (or kills) expired leases, and every job leased to {@code restartedWorker} when not null. */
    public Uni<Recovery> recoverStale(Instant now, String restartedWorker) {
        return pool.preparedQuery(RECOVER_STALE).execute(Tuple.of(at(now), restartedWorker)).map(rows -> {
            Row row = rows.iterator().next();
            return new Recovery(row.getInteger("requeued"), row.getInteger("dead"));
        });
    }

    static OffsetDateTime at(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }
}
