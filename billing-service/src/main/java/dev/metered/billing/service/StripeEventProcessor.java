package dev.metered.billing.service;

import dev.metered.billing.config.BillingConfig;
import dev.metered.billing.repository.CheckoutSessionRepository;
import dev.metered.billing.repository.CheckoutSessionRepository.LockedSession;
import dev.metered.billing.repository.LedgerFunctions;
import dev.metered.billing.repository.WebhookEventRepository;
import dev.metered.billing.repository.WebhookEventRepository.Status;
import dev.metered.runtime.metrics.MeteredMetrics;
import dev.metered.runtime.problem.DependencyOutage;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
import java.util.Locale;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Applies a verified Stripe event exactly once: the event row, its ledger rows and the session
 * changes commit in one transaction, under a lock on the event (concurrent deliveries wait, then
 * find it done) and on its Checkout Session (so a session tops up once, whichever of its events
 * comes first). A failure rolls all of it back, leaves the event {@code failed} with its error,
 * and propagates, so that Stripe retries (or ops reprocesses) later.
 */
@ApplicationScoped
public class StripeEventProcessor {

    private static final Logger LOG = Logger.getLogger(StripeEventProcessor.class);

    public enum Result { PROCESSED, IGNORED, ALREADY_DONE }

    /** An event that cannot be applied yet or at all; kept as failed with this message. */
    static final class Unapplicable extends RuntimeException {
        Unapplicable(String message) {
            super(message, null, false, false);
        }
    }

    private final WebhookEventRepository events;
    private final CheckoutSessionRepository sessions;
    private final LedgerFunctions ledger;
    private final BillingMetrics metrics;
    private final long minCredits;
    private final long maxCredits;

    public StripeEventProcessor(WebhookEventRepository events, CheckoutSessionRepository sessions, LedgerFunctions ledger,
                                BillingMetrics metrics, BillingConfig config) {
        this.events = events;
        this.sessions = sessions;
        this.ledger = ledger;
        this.metrics = metrics;
        this.minCredits = Math.max(1, config.checkout().minCredits());
        this.maxCredits = config.checkout().maxCredits();
    }

    /** Ledger rows one application wrote, counted once its transaction has committed. */
    private static final class LedgerWrites {
        int topups;
        int refunds;
    }

    public Uni<Result> apply(String eventId, String type, JsonObject payload) {
        JsonObject object = payload.getJsonObject("data").getJsonObject("object");
        LedgerWrites written = new LedgerWrites();
        return events.pool().withTransaction(tx -> events.storeAndLock(tx, eventId, type, payload).chain(status -> {
            if (status == Status.processed || status == Status.ignored) {
                return Uni.createFrom().item(Result.ALREADY_DONE);
            }
            return handle(tx, eventId, type, object, written).call(result -> events.finish(tx, eventId,
                    result == Result.PROCESSED ? Status.processed : Status.ignored));
        })).invoke(result -> {
            metrics.webhookEvent(type, result.name().toLowerCase(Locale.ROOT));
            metrics.ledgerEntries(MeteredMetrics.KIND_TOPUP, written.topups);
            metrics.ledgerEntries(MeteredMetrics.KIND_REFUND, written.refunds);
        }).onFailure().call(failure -> {
            metrics.webhookEvent(type, "failed");
            if (expected(failure)) {
                LOG.warnf("Stripe event %s (%s) failed: %s", eventId, type, failure.getMessage());
            } else {
                // the webhook answers 500 either way; ERROR (with the stack trace) is what reaches Sentry
                LOG.errorf(failure, "Stripe event %s (%s) failed unexpectedly", eventId, type);
            }
            return events.recordFailure(eventId, type, payload, describe(failure))
                    .onFailure().recoverWithNull();
        });
    }

    private Uni<Result> handle(SqlClient tx, String eventId, String type, JsonObject object, LedgerWrites written) {
        return switch (type) {
            case "checkout.session.completed" -> "paid".equals(object.getString("payment_status"))
                    ? credit(tx, eventId, object, written)
                    : sessionOf(tx, object).chain(session -> session == null ? ignored()
                            : sessions.recordPaymentIntent(tx, session.id(), string(object, "payment_intent"))
                                    .replaceWith(Result.PROCESSED));
            case "checkout.session.async_payment_succeeded" -> credit(tx, eventId, object, written);
            case "checkout.session.async_payment_failed" -> sessionOf(tx, object).chain(session -> session == null
                    ? ignored() : sessions.markPaymentFailed(tx, session.id()).replaceWith(Result.PROCESSED));
            case "charge.refunded" -> clawBack(tx, eventId, string(object, "payment_intent"),
                    number(object, "amount_refunded"), number(object, "amount"), string(object, "id"), written);
            case "charge.dispute.created" -> clawBack(tx, eventId, string(object, "payment_intent"),
                    number(object, "amount"), null, string(object, "charge"), written);
            default -> ignored();
        };
    }

    /** Tops the session's credits up once; a second paid event for the session changes nothing. */
    private Uni<Result> credit(SqlClient tx, String eventId, JsonObject object, LedgerWrites written) {
        String stripeSessionId = object.getString("id");
        return sessionOf(tx, object).chain(session -> {
            if (session == null) {
                return ignored();
            }
            if (session.credited()) {
                return Uni.createFrom().item(Result.PROCESSED);
            }
            return ledger.topup(tx, session.userId(), session.credits(), eventId, stripeSessionId)
                    .invoke(outcome -> written.topups += outcome.applied() ? 1 : 0)
                    .chain(outcome -> sessions.markCredited(tx, session.id(), outcome.entryId(),
                            string(object, "payment_intent")))
                    .replaceWith(Result.PROCESSED);
        });
    }

    /**
     * Takes back the refunded or disputed share of the credits the charge bought, rounded up,
     * less what earlier events for the charge already took. The balance may go negative.
     */
    private Uni<Result> clawBack(SqlClient tx, String eventId, String paymentIntent, Long share, Long chargeAmount,
                                 String chargeId, LedgerWrites written) {
        if (paymentIntent == null || share == null || share < 0) {
            return Uni.createFrom().failure(new Unapplicable("the event names no payment_intent or amount"));
        }
        return sessions.lockByPaymentIntent(tx, paymentIntent).chain(session -> {
            if (session == null || !session.credited()) {
                // the completion may not have been applied yet: fail so that Stripe delivers again
                return Uni.createFrom().failure(new Unapplicable(
                        "no credited checkout session for payment_intent " + paymentIntent));
            }
            long paid = chargeAmount != null ? chargeAmount : session.amountCents();
            if (paid <= 0) {
                return Uni.createFrom().failure(new Unapplicable("the charge amount is not positive"));
            }
            long target = Math.min(session.credits(),
                    Math.floorDiv(Math.multiplyExact(session.credits(), Math.min(share, paid)) + paid - 1, paid));
            long due = target - session.clawedBack();
            if (due <= 0) {
                return Uni.createFrom().item(Result.PROCESSED);
            }
            return ledger.refund(tx, session.userId(), due, eventId, chargeId)
                    .invoke(outcome -> written.refunds += outcome.applied() ? 1 : 0)
                    .chain(() -> sessions.recordClawback(tx, session.id(), target))
                    .replaceWith(Result.PROCESSED);
        });
    }

    /**
     * The locked session of a Checkout Session object; a session we did not create is taken from
     * the event's signed metadata (user_id, credits), and one without them is not ours (null).
     */
    private Uni<LockedSession> sessionOf(SqlClient tx, JsonObject object) {
        String stripeSessionId = string(object, "id");
        if (stripeSessionId == null) {
            return Uni.createFrom().failure(new Unapplicable("the checkout session has no id"));
        }
        return sessions.lockByStripeId(tx, stripeSessionId).chain(session -> {
            if (session != null) {
                return Uni.createFrom().item(session);
            }
            JsonObject metadata = object.getValue("metadata") instanceof JsonObject m ? m : new JsonObject();
            UUID userId = uuid(metadata.getValue("user_id"));
            Long credits = credits(metadata.getValue("credits"));
            if (userId == null || credits == null) {
                return Uni.createFrom().nullItem();
            }
            Long amountTotal = number(object, "amount_total");
            return sessions.insertFromEvent(tx, userId, credits, amountTotal == null ? 0 : amountTotal,
                    stripeSessionId, string(object, "currency") == null ? "usd" : string(object, "currency"))
                    .chain(() -> sessions.lockByStripeId(tx, stripeSessionId));
        });
    }

    /** Not a bug: an event that cannot be applied (yet), a ledger rule (SQLSTATE MBxxx), or an outage. */
    private static boolean expected(Throwable failure) {
        return failure instanceof Unapplicable || DependencyOutage.isTransient(failure)
                || failure instanceof PgException pg && pg.getSqlState() != null && pg.getSqlState().startsWith("MB");
    }

    private static Uni<Result> ignored() {
        return Uni.createFrom().item(Result.IGNORED);
    }

    private static String describe(Throwable failure) {
        String message = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
        return message.length() > 1000 ? message.substring(0, 1000) : message;
    }

    private static String string(JsonObject object, String field) {
        return object.getValue(field) instanceof String s && !s.isEmpty() ? s : null;
    }

    private static Long number(JsonObject object, String field) {
        return object.getValue(field) instanceof Number n ? n.longValue() : null;
    }

    private static UUID uuid(Object value) {
        try {
            return value instanceof String s ? UUID.fromString(s) : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * The signed metadata's credits when they are a whole number within the bounds a checkout may
     * buy, else null (the session is not one of ours): 0, -5, 1.5, 2^63-1 or "lots" credit nothing.
     */
    private Long credits(Object value) {
        try {
            long parsed = value instanceof String s ? Long.parseLong(s)
                    : value instanceof Number n ? new BigDecimal(n.toString()).longValueExact() : -1;
            return parsed >= minCredits && parsed <= maxCredits ? parsed : null;
        } catch (NumberFormatException | ArithmeticException e) {
            return null;
        }
    }
}
