package dev.metered.billing.repository;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.UUID;

@ApplicationScoped
public class CheckoutSessionRepository {

    /** A session as the event handlers see it, locked for the rest of their transaction. */
    public record LockedSession(long id, UUID userId, long credits, long amountCents, Long topupEntryId,
                                long clawedBack) {
        public boolean credited() {
            return topupEntryId != null;
        }
    }

    /** A session as the checkout endpoint sees it. */
    public record Requested(long id, String requestHash, String status, String stripeSessionId, String url,
                            boolean stale) {
    }

    private static final String SESSION_COLUMNS = "id, user_id, credits, amount_cents, topup_entry_id, clawed_back";
    private static final String LOCK_BY_STRIPE_ID =
            "SELECT " + SESSION_COLUMNS + " FROM billing.checkout_sessions WHERE stripe_session_id = $1 FOR UPDATE";
    private static final String LOCK_BY_PAYMENT_INTENT =
            "SELECT " + SESSION_COLUMNS + " FROM billing.checkout_sessions WHERE payment_intent = $1 FOR UPDATE";
    /** A session only known from a signed event (created before a restore, or by hand in Stripe). */
    private static final String INSERT_FROM_EVENT = """
            INSERT INTO billing.checkout_sessions (user_id, idempotency_key, request_hash, credits, amount_cents,
                                                   currency, status, stripe_session_id)
            VALUES ($1, 'stripe:' || $4, '', $2, $3, $5, 'open', $4)
            ON CONFLICT (stripe_session_id) DO NOTHING""";
    private static final String MARK_CREDITED = """
            UPDATE billing.checkout_sessions
            SET status = 'completed', topup_entry_id = $2, payment_intent = coalesce($3, payment_intent), updated_at = now()
            WHERE id = $1""";
    private static final String RECORD_PAYMENT_INTENT = """
            UPDATE billing.checkout_sessions SET payment_intent = coalesce($2, payment_intent), updated_at = now()
            WHERE id = $1""";
    private static final String MARK_PAYMENT_FAILED = """
            UPDATE billing.checkout_sessions SET status = 'payment_failed', updated_at = now()
            WHERE id = $1 AND topup_entry_id IS NULL""";
    private static final String RECORD_CLAWBACK =
            "UPDATE billing.checkout_sessions SET clawed_back = $2, updated_at = now() WHERE id = $1";

    private static final String INSERT_REQUEST = """
            INSERT INTO billing.checkout_sessions (user_id, idempotency_key, request_hash, credits, amount_cents,
                                                   currency, status)
            VALUES ($1, $2, $3, $4, $5, $6, 'creating')
            ON CONFLICT (user_id, idempotency_key) DO NOTHING
            RETURNING id""";
    private static final String FIND_REQUEST = """
            SELECT id, request_hash, status, stripe_session_id, url,
                   status = 'creating' AND updated_at < now() - make_interval(secs => $3) AS stale
            FROM billing.checkout_sessions WHERE user_id = $1 AND idempotency_key = $2""";
    private static final String TOUCH = "UPDATE billing.checkout_sessions SET updated_at = now() WHERE id = $1";
    private static final String MARK_OPEN = """
            UPDATE billing.checkout_sessions SET status = 'open', stripe_session_id = $2, url = $3, updated_at = now()
            WHERE id = $1 AND status = 'creating'""";
    /** Stripe refused or was unreachable: forget the attempt so the same key can try again. */
    private static final String FORGET = "DELETE FROM billing.checkout_sessions WHERE id = $1 AND status = 'creating'";

    private final Pool pool;

    public CheckoutSessionRepository(Pool pool) {
        this.pool = pool;
    }

    public Uni<LockedSession> lockByStripeId(SqlClient tx, String stripeSessionId) {
        return tx.preparedQuery(LOCK_BY_STRIPE_ID).execute(Tuple.of(stripeSessionId)).map(CheckoutSessionRepository::locked);
    }

    public Uni<LockedSession> lockByPaymentIntent(SqlClient tx, String paymentIntent) {
        return tx.preparedQuery(LOCK_BY_PAYMENT_INTENT).execute(Tuple.of(paymentIntent))
                .map(CheckoutSessionRepository::locked);
    }

    public Uni<Void> insertFromEvent(SqlClient tx, UUID userId, long credits, long amountCents, String stripeSessionId,
                                     String currency) {
        return tx.preparedQuery(INSERT_FROM_EVENT)
                .execute(Tuple.of(userId, credits, amountCents, stripeSessionId, currency)).replaceWithVoid();
    }

    public Uni<Void> markCredited(SqlClient tx, long id, long entryId, String paymentIntent) {
        return tx.preparedQuery(MARK_CREDITED).execute(Tuple.of(id, entryId, paymentIntent)).replaceWithVoid();
    }

    public Uni<Void> recordPaymentIntent(SqlClient tx, long id, String paymentIntent) {
        return tx.preparedQuery(RECORD_PAYMENT_INTENT).execute(Tuple.of(id, paymentIntent)).replaceWithVoid();
    }

    public Uni<Void> markPaymentFailed(SqlClient tx, long id) {
        return tx.preparedQuery(MARK_PAYMENT_FAILED).execute(Tuple.of(id)).replaceWithVoid();
    }

    public Uni<Void> recordClawback(SqlClient tx, long id, long clawedBack) {
        return tx.preparedQuery(RECORD_CLAWBACK).execute(Tuple.of(id, clawedBack)).replaceWithVoid();
    }

    /** The new request's id, or null when the user already used this key. */
    public Uni<Long> insertRequest(UUID userId, String key, String requestHash, long credits, long amountCents,
                                   String currency) {
        return pool.preparedQuery(INSERT_REQUEST)
                .execute(Tuple.of(userId, key, requestHash, credits, amountCents, currency))
                .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getLong("id"));
    }

    public Uni<Requested> findRequest(UUID userId, String key, Duration staleAfter) {
        return pool.preparedQuery(FIND_REQUEST).execute(Tuple.of(userId, key, (double) staleAfter.toSeconds()))
                .map(rows -> {
                    if (rows.size() == 0) {
                        return null;
                    }
                    Row row = rows.iterator().next();
                    return new Requested(row.getLong("id"), row.getString("request_hash"), row.getString("status"),
                            row.getString("stripe_session_id"), row.getString("url"), row.getBoolean("stale"));
                });
    }

    public Uni<Void> touch(long id) {
        return pool.preparedQuery(TOUCH).execute(Tuple.of(id)).replaceWithVoid();
    }

    public Uni<Void> markOpen(long id, String stripeSessionId, String url) {
        return pool.preparedQuery(MARK_OPEN).execute(Tuple.of(id, stripeSessionId, url)).replaceWithVoid();
    }

    public Uni<Void> forget(long id) {
        return pool.preparedQuery(FORGET).execute(Tuple.of(id)).replaceWithVoid();
    }

    private static LockedSession locked(RowSet<Row> rows) {
        if (rows.size() == 0) {
            return null;
        }
        Row row = rows.iterator().next();
        return new LockedSession(row.getLong("id"), row.getUUID("user_id"), row.getLong("credits"),
                row.getLong("amount_cents"), row.getLong("topup_entry_id"), row.getLong("clawed_back"));
    }
}
