package dev.metered.ops.monitoring;

import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** ops-service's reads of the other schemas, all through the views their owners publish for it. */
@ApplicationScoped
public class OpsReads {

    private static final String SNAPSHOT = """
            SELECT hb.last_beat, extract(epoch FROM now() - hb.last_beat)::float8 AS heartbeat_age,
                   q.queued, q.running,
                   (SELECT count(*) FROM jobs.ops_jobs
                     WHERE status IN ('failed', 'dead') AND updated_at > now() - interval '1 hour') AS jobs_failed_last_hour,
                   (SELECT count(*) FROM billing.ops_webhook_events
                     WHERE status = 'failed' AND last_attempt_at > now() - interval '1 hour') AS webhook_failed_last_hour,
                   (SELECT count(*) FROM billing.ops_webhook_events WHERE status = 'failed') AS webhook_failed_open,
                   (SELECT count(*) FROM jobs.ops_dead_letters
                     WHERE created_at > now() - interval '24 hours') AS dead_letters_last_24h,
                   (SELECT count(*) FROM billing.ops_ledger_drift) AS ledger_drift
            FROM jobs.ops_queue_depth q, (SELECT max(last_beat) AS last_beat FROM worker.ops_heartbeats) hb""";
    private static final String READINESS = """
            SELECT hb.last_beat, extract(epoch FROM now() - hb.last_beat)::float8 AS heartbeat_age, q.queued, q.running
            FROM jobs.ops_queue_depth q, (SELECT max(last_beat) AS last_beat FROM worker.ops_heartbeats) hb""";
    private static final String JOB_COUNTS = "SELECT status, jobs FROM jobs.ops_job_counts";
    private static final String WORKERS = """
            SELECT worker_id, started_at, last_beat, in_flight, extract(epoch FROM now() - last_beat)::float8 AS age
            FROM worker.ops_heartbeats WHERE last_beat > now() - interval '1 day' ORDER BY last_beat DESC LIMIT 50""";
    private static final String LAST_RECOVERY = """
            SELECT worker_id, recovered_last_summary FROM worker.ops_heartbeats
            WHERE recovered_last_summary IS NOT NULL
            ORDER BY recovered_last_summary ->> 'at' DESC NULLS LAST LIMIT 1""";
    private static final String RECENT_FAILURES = """
            SELECT id, type, status, attempts, last_error, updated_at FROM jobs.ops_jobs
            WHERE status IN ('failed', 'dead') ORDER BY updated_at DESC LIMIT 10""";
    private static final String SAMPLES = """
            SELECT sampled_at, queued, running FROM ops.queue_depth_samples
            WHERE sampled_at > now() - make_interval(mins => $1) ORDER BY sampled_at""";

    public record Readiness(OffsetDateTime workerLastHeartbeat, Double workerHeartbeatAgeSeconds, long queued,
                            long running) {
    }

    public record WorkerBeat(String workerId, OffsetDateTime startedAt, OffsetDateTime lastBeat, int inFlight,
                             double ageSeconds) {
    }

    public record JobFailure(String jobId, String type, String status, int attempts,
                             @Schema(nullable = true) String lastError, OffsetDateTime updatedAt) {
    }

    public record Sample(OffsetDateTime sampledAt, long queued, long running) {
    }

    private final Pool pool;

    public OpsReads(Pool pool) {
        this.pool = pool;
    }

    public Uni<OpsSnapshot> snapshot() {
        return pool.query(SNAPSHOT).execute().map(rows -> {
            Row row = rows.iterator().next();
            return new OpsSnapshot(row.getOffsetDateTime("last_beat"), row.getDouble("heartbeat_age"),
                    row.getLong("queued"), row.getLong("running"), row.getLong("jobs_failed_last_hour"),
                    row.getLong("webhook_failed_last_hour"), row.getLong("webhook_failed_open"),
                    row.getLong("dead_letters_last_24h"), row.getLong("ledger_drift"));
        });
    }

    public Uni<Readiness> readiness() {
        return pool.query(READINESS).execute().map(rows -> {
            Row row = rows.iterator().next();
            return new Readiness(row.getOffsetDateTime("last_beat"), row.getDouble("heartbeat_age"),
                    row.getLong("queued"), row.getLong("running"));
        });
    }

    public Uni<Boolean> databaseAnswers() {
        return pool.query("SELECT 1").execute().replaceWith(true);
    }

    /** Jobs per status, every status present (zero when there are none). */
    public Uni<Map<String, Long>> jobCounts() {
        return pool.query(JOB_COUNTS).execute().map(rows -> {
            Map<String, Long> counts = new LinkedHashMap<>();
            for (String status : List.of("queued", "running", "succeeded", "failed", "cancelled", "dead")) {
                counts.put(status, 0L);
            }
            rows.forEach(row -> counts.put(row.getString("status"), row.getLong("jobs")));
            return counts;
        });
    }

    public Uni<List<WorkerBeat>> workers() {
        return pool.query(WORKERS).execute().map(rows -> list(rows, row -> new WorkerBeat(row.getString("worker_id"),
                row.getOffsetDateTime("started_at"), row.getOffsetDateTime("last_beat"), row.getInteger("in_flight"),
                row.getDouble("age"))));
    }

    /** The newest stale-job recovery of any worker, with the worker's id; null when none ran. */
    public Uni<JsonObject> lastRecovery() {
        return pool.query(LAST_RECOVERY).execute().map(rows -> {
            var it = rows.iterator();
            if (!it.hasNext()) {
                return null;
            }
            Row row = it.next();
            return row.getJsonObject("recovered_last_summary").copy().put("worker_id", row.getString("worker_id"));
        });
    }

    public Uni<List<JobFailure>> recentFailures() {
        return pool.query(RECENT_FAILURES).execute().map(rows -> list(rows, row -> new JobFailure(
                row.getUUID("id").toString(), row.getString("type"), row.getString("status"),
                row.getInteger("attempts"), row.getString("last_error"), row.getOffsetDateTime("updated_at"))));
    }

    public Uni<List<Sample>> samples(int minutes) {
        return pool.preparedQuery(SAMPLES).execute(Tuple.of(minutes)).map(rows -> list(rows, row -> new Sample(
                row.getOffsetDateTime("sampled_at"), row.getLong("queued"), row.getLong("running"))));
    }

    static <T> List<T> list(RowSet<Row> rows, java.util.function.Function<Row, T> mapper) {
        List<T> items = new ArrayList<>(rows.rowCount());
        rows.forEach(row -> items.add(mapper.apply(row)));
        return items;
    }
}
