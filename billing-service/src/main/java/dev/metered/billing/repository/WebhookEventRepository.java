package dev.metered.billing.repository;

import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

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
            SET status = $2, attempts = attempts + 1, last_error = NULL, processed_at = now()
            WHERE event_id = $1""";
    /** Runs after the failed transaction rolled back, so it stores the event if that was lost too. */
    private static final String RECORD_FAILURE = """
            INSERT INTO billing.webhook_events (event_id, type, payload, status, attempts, last_error)
            VALUES ($1, $2, $3, 'failed', 1, $4)
            ON CONFLICT (event_id) DO UPDATE
            SET status = 'failed', attempts = billing.webhook_events.attempts + 1, last_error = EXCLUDED.last_error
            WHERE billing.webhook_events.status NOT IN ('processed', 'ignored')""";

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
}
