package dev.metered.jobs.repository;

import dev.metered.jobs.Job;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

@ApplicationScoped
public class JobRepository {

    private static final String COLUMNS =
            "id, user_id, type, status, cost, attempts, output::text AS output, last_error, created_at, updated_at";
    /**
     * jsonb's text form is canonical, so the hash ignores key order and whitespace. The input goes
     * in as text and is parsed by PostgreSQL: bound as jsonb, a Java string would be stored as a
     * JSON string.
     */
    private static final String REQUEST_HASH =
            "encode(sha256(convert_to($2 || ':' || $3::text::jsonb::text, 'UTF8')), 'hex')";
    private static final String INSERT = """
            INSERT INTO jobs.jobs (id, user_id, type, input, cost, max_attempts, idempotency_key, request_hash, hold_key)
            VALUES ($4, $1, $2, $3::text::jsonb, $5, $6, $7, %s, $8)
            ON CONFLICT (user_id, idempotency_key) DO NOTHING
            RETURNING %s""".formatted(REQUEST_HASH, COLUMNS);
    private static final String HOLD = "SELECT applied FROM billing.hold($1, $2, $3, $4)";
    private static final String EXISTING = """
            SELECT %s, request_hash = %s AS same_request FROM jobs.jobs WHERE user_id = $1 AND idempotency_key = $4"""
            .formatted(COLUMNS, REQUEST_HASH);
    private static final String FIND = "SELECT " + COLUMNS + " FROM jobs.jobs WHERE id = $1 AND user_id = $2";
    private static final String PAGE = """
            SELECT %s FROM jobs.jobs
            WHERE user_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR type = $3)
              AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5))
            ORDER BY created_at DESC, id DESC
            LIMIT $6""".formatted(COLUMNS);
    private static final String LOCK = "SELECT " + COLUMNS + " FROM jobs.jobs WHERE id = $1 AND user_id = $2 FOR UPDATE";
    private static final String CANCEL = """
            UPDATE jobs.jobs SET status = 'cancelled', updated_at = now() WHERE id = $1 RETURNING %s""".formatted(COLUMNS);
    private static final String RELEASE =
            "SELECT applied FROM billing.release((SELECT hold_key FROM jobs.jobs WHERE id = $1))";

    /** A submission's outcome: the job, and whether this call created it. */
    public record Submitted(Job job, boolean created, boolean sameRequest) {
    }

    private final Pool pool;

    public JobRepository(Pool pool) {
        this.pool = pool;
    }

    /**
     * Inserts the job and takes its hold in one transaction (no credits, no job), or returns the
     * job already submitted under this key. The unique key makes a concurrent twin wait for the
     * first transaction and then find its job.
     */
    public Uni<Submitted> submit(UUID userId, String type, String input, long cost, int maxAttempts,
                                 String idempotencyKey) {
        UUID id = UUID.randomUUID();
        String holdKey = "job:" + id + ":hold";
        return pool.withTransaction(tx -> tx.preparedQuery(INSERT)
                .execute(Tuple.from(new Object[] { userId, type, input, id, cost, maxAttempts, idempotencyKey, holdKey }))
                .chain(rows -> {
                    if (rows.size() == 1) {
                        Job job = job(rows.iterator().next());
                        return tx.preparedQuery(HOLD).execute(Tuple.of(userId, cost, holdKey, id))
                                .replaceWith(new Submitted(job, true, true));
                    }
                    return existing(tx, userId, type, input, idempotencyKey);
                }));
    }

    private Uni<Submitted> existing(SqlClient tx, UUID userId, String type, String input, String idempotencyKey) {
        return tx.preparedQuery(EXISTING).execute(Tuple.of(userId, type, input, idempotencyKey)).map(rows -> {
            Row row = rows.iterator().next();
            return new Submitted(job(row), false, row.getBoolean("same_request"));
        });
    }

    public Uni<Job> find(UUID id, UUID userId) {
        return pool.preparedQuery(FIND).execute(Tuple.of(id, userId)).map(JobRepository::first);
    }

    public Uni<List<Job>> page(UUID userId, String status, String type, OffsetDateTime beforeCreatedAt, UUID beforeId,
                               int limit) {
        return pool.preparedQuery(PAGE)
                .execute(Tuple.from(new Object[] { userId, status, type, beforeCreatedAt, beforeId, limit }))
                .map(rows -> {
                    List<Job> jobs = new ArrayList<>();
                    rows.forEach(row -> jobs.add(job(row)));
                    return jobs;
                });
    }

    /** The outcome of a cancel: the job as it is afterwards, and whether this call cancelled it. */
    public record Cancellation(Job job, boolean cancelled) {
    }

    /**
     * Cancels a queued job and releases its hold in one transaction. The row lock makes a claim
     * racing the cancel either skip the job or win it first (then this sees it running).
     */
    public Uni<Cancellation> cancel(UUID id, UUID userId) {
        return pool.withTransaction(tx -> tx.preparedQuery(LOCK).execute(Tuple.of(id, userId)).chain(rows -> {
            Job job = first(rows);
            if (job == null || !job.status().equals("queued")) {
                return Uni.createFrom().item(new Cancellation(job, false));
            }
            return tx.preparedQuery(CANCEL).execute(Tuple.of(id))
                    .call(() -> tx.preparedQuery(RELEASE).execute(Tuple.of(id)))
                    .map(cancelled -> new Cancellation(first(cancelled), true));
        }));
    }

    private static Job first(RowSet<Row> rows) {
        return rows.size() == 0 ? null : job(rows.iterator().next());
    }

    private static Job job(Row row) {
        return new Job(row.getUUID("id"), row.getUUID("user_id"), row.getString("type"), row.getString("status"),
                row.getLong("cost"), row.getInteger("attempts"), row.getString("output"),
                row.getString("last_error"), row.getOffsetDateTime("created_at"), row.getOffsetDateTime("updated_at"));
    }
}
