package dev.metered.billing.repository;

import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

@ApplicationScoped
public class WebhookEventRepository {

    public enum Status { received, processed, ignored, failed }

    private static final String INSERT_RECEIVED = """
            INSERT INTO billing.webhook_events (event_id, type, payload, status) VALUES ($1, $2, $3, 'received')
            ON CONFLICT (event_id) DO NOTHING""";
    /** Serialises deliveries of one event: the second waits here, then finds it processed. */
    private static final String LOCK = "SELECT status FROM billing.webhook_events WHERE event_id = $1 FOR UPDATE";
    private static final String FINISH = """
            UPDATE billing.webhook_events
            SET status = $2, attempts = attempts + 1, last_error = NULL, processed_at = now(), last_attempt_at = now(),
                reprocess_requested_at = NULL
            WHERE event_id = $1""";
    /** Runs after the failed transaction rolled back, so it stores the event if that was lost too. */
    private static final String RECORD_FAILURE = """
            INSERT INTO billing.webhook_events (event_id, type, payload, status, attempts, last_error, last_attempt_at)
            VALUES ($1, $2, $3, 'failed', 1, $4, now())
            ON CONFLICT (event_id) DO UPDATE
            SET status = 'failed', attempts = billing.webhook_events.attempts + 1, last_error = EXCLUDED.last_error,
                last_attempt_at = now(), reprocess_requested_at = NULL
            WHERE billing.webhook_events.status NOT IN ('processed', 'ignored')""";

    /** An operator's reprocess request (billing.request_webhook_reprocess) still to be served. */
    private static final String REQUESTED = """
            SELECT type, payload FROM billing.webhook_events
            WHERE event_id = $1 AND reprocess_requested_at IS NOT NULL AND status IN ('failed', 'received')""";
    private static final String ALL_REQUESTED = """
            SELECT event_id FROM billing.webhook_events
            WHERE reprocess_requested_at IS NOT NULL AND status IN ('failed', 'received')
            ORDER BY reprocess_requested_at LIMIT $1""";

    public record StoredEvent(String eventId, String type, JsonObject payload) {
    }

    private final Pool pool;

    public WebhookEventRepository(Pool pool) {
        this.pool = pool;
    }

    public Pool pool() {
        return pool;
    }

    public Uni<Status> storeAndLock(SqlClient tx, String eventId, String type, JsonObject payload) {
        return tx.preparedQuery(INSERT_RECEIVED).execute(Tuple.of(eventId, type, payload))
                .chain(() -> tx.preparedQuery(LOCK).execute(Tuple.of(eventId)))
                .map(rows -> Status.valueOf(rows.iterator().next().getString("status")));
    }

    public Uni<Void> finish(SqlClient tx, String eventId, Status status) {
        return tx.preparedQuery(FINISH).execute(Tuple.of(eventId, status.name())).replaceWithVoid();
    }

    public Uni<Void> recordFailure(String eventId, String type, JsonObject payload, String error) {
        return pool.preparedQuery(RECORD_FAILURE).execute(Tuple.of(eventId, type, payload, error)).replaceWithVoid();
    }

    public Uni<StoredEvent> requestedForReprocessing(String eventId) {
        return pool.preparedQuery(REQUESTED).execute(Tuple.of(eventId)).map(rows -> {
            var it = rows.iterator();
            if (!it.hasNext()) {
                return null;
            }
            Row row = it.next();
            return new StoredEvent(eventId, row.getString("type"), row.getJsonObject("payload"));
        });
    }

    public Uni<List<String>> allRequestedForReprocessing(int limit) {
        return pool.preparedQuery(ALL_REQUESTED).execute(Tuple.of(limit))
                .map(rows -> {
                    List<String> ids = new ArrayList<>();
                    rows.forEach(row -> ids.add(row.getString(0)));
                    return ids;
                });
    }
}
