package dev.metered.billing;

import static dev.metered.billing.BillingFixtures.balance;
import static dev.metered.billing.BillingFixtures.charge;
import static dev.metered.billing.BillingFixtures.deliver;
import static dev.metered.billing.BillingFixtures.event;
import static dev.metered.billing.BillingFixtures.ledgerRows;
import static dev.metered.billing.BillingFixtures.session;
import static dev.metered.billing.BillingFixtures.uniqueId;
import static dev.metered.testing.TestDatabase.asRole;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.metered.testing.Concurrently;
import dev.metered.testing.TestDatabase;
import io.quarkus.test.junit.QuarkusTest;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Operators' reprocess requests, made as ops-service makes them: through billing's function, as metered_ops. */
@QuarkusTest
class WebhookReprocessTest {

    private static final String REQUEST = "SELECT status FROM billing.request_webhook_reprocess(?)";

    @AfterAll
    static void everyAccountEqualsItsLedger() throws SQLException {
        BillingFixtures.assertNoLedgerDrift();
    }

    @Test
    void aFailedRefundIsAppliedOnceWhenAnOperatorAsksAfterItsCauseWasFixed() throws Exception {
        UUID user = UUID.randomUUID();
        String paymentIntent = uniqueId("pi_");
        String refundEventId = uniqueId("evt_");
        deliver(event(refundEventId, "charge.refunded", charge(uniqueId("ch_"), paymentIntent, 500, 500)))
                .then().statusCode(500);
        deliver(event(uniqueId("evt_"), "checkout.session.completed", session(uniqueId("cs_"), user, 5, "paid", paymentIntent)))
                .then().statusCode(200);
        assertEquals(5, balance(user));

        // many operators (or clicks) at once: one refund row
        List<Object> answers = Concurrently.run(8, () -> asRole("metered_ops", REQUEST, refundEventId).get(0));
        assertEquals(8, answers.size());
        awaitStatus(refundEventId, "processed");
        assertEquals(0, balance(user));
        assertEquals(1, ledgerRows(user, "refund"));
        assertEquals(null, TestDatabase.single(
                "SELECT reprocess_requested_at FROM billing.webhook_events WHERE event_id = ?", refundEventId));

        // a processed event is left alone
        assertEquals(List.of("processed"), asRole("metered_ops", REQUEST, refundEventId));
        Thread.sleep(300);
        assertEquals(1, ledgerRows(user, "refund"));
    }

    @Test
    void aReprocessThatFailsAgainKeepsTheEventFailedWithItsNewError() throws Exception {
        String refundEventId = uniqueId("evt_");
        deliver(event(refundEventId, "charge.refunded", charge(uniqueId("ch_"), uniqueId("pi_"), 500, 500)))
                .then().statusCode(500);
        assertEquals(List.of("failed"), asRole("metered_ops", REQUEST, refundEventId));
        Instant deadline = Instant.now().plusSeconds(10);
        while (TestDatabase.single("SELECT reprocess_requested_at FROM billing.webhook_events WHERE event_id = ?",
                refundEventId) != null && Instant.now().isBefore(deadline)) {
            Thread.sleep(50);
        }
        assertEquals(2, ((Number) TestDatabase.single(
                "SELECT attempts FROM billing.webhook_events WHERE event_id = ?", refundEventId)).intValue());
        assertEquals("failed", TestDatabase.single("SELECT status FROM billing.webhook_events WHERE event_id = ?", refundEventId));
    }

    @Test
    void aRequestMadeWhileNobodyListenedIsServedByTheSweep() throws Exception {
        UUID user = UUID.randomUUID();
        String paymentIntent = uniqueId("pi_");
        String refundEventId = uniqueId("evt_");
        deliver(event(refundEventId, "charge.refunded", charge(uniqueId("ch_"), paymentIntent, 200, 200)))
                .then().statusCode(500);
        deliver(event(uniqueId("evt_"), "checkout.session.completed", session(uniqueId("cs_"), user, 2, "paid", paymentIntent)))
                .then().statusCode(200);
        // the mark without its notification: as if billing-service was down when ops asked
        TestDatabase.execute("UPDATE billing.webhook_events SET reprocess_requested_at = now() WHERE event_id = ?",
                refundEventId);
        awaitStatus(refundEventId, "processed", Duration.ofSeconds(10));
        assertEquals(0, balance(user));
    }

    @Test
    void unknownEventsAreRefusedAndOnlyOpsMayAsk() {
        SQLException unknown = assertThrows(SQLException.class, () -> asRole("metered_ops", REQUEST, "evt_nobody"));
        assertEquals("MB404", unknown.getSQLState());
        SQLException denied = assertThrows(SQLException.class, () -> asRole("metered_jobs", REQUEST, "evt_nobody"));
        assertEquals("42501", denied.getSQLState());
    }

    private static void awaitStatus(String eventId, String status) throws Exception {
        awaitStatus(eventId, status, Duration.ofSeconds(5));
    }

    private static void awaitStatus(String eventId, String status, Duration timeout) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        Object seen = null;
        while (Instant.now().isBefore(deadline)) {
            seen = TestDatabase.single("SELECT status FROM billing.webhook_events WHERE event_id = ?", eventId);
            if (status.equals(seen)) {
                return;
            }
            Thread.sleep(50);
        }
        assertEquals(status, seen, "event " + eventId);
    }
}
