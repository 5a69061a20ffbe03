package dev.metered.billing;

import static dev.metered.testing.TestDatabase.asRole;
import static dev.metered.billing.BillingFixtures.balance;
import static dev.metered.billing.BillingFixtures.charge;
import static dev.metered.billing.BillingFixtures.deliver;
import static dev.metered.billing.BillingFixtures.deliverSigned;
import static dev.metered.billing.BillingFixtures.event;
import static dev.metered.billing.BillingFixtures.ledgerRows;
import static dev.metered.billing.BillingFixtures.session;
import static dev.metered.billing.BillingFixtures.signature;
import static dev.metered.billing.BillingFixtures.uniqueId;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metered.testing.Concurrently;
import dev.metered.testing.TestDatabase;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

@QuarkusTest
class StripeWebhookTest {

    private static final String SECRET = StripeFake.WEBHOOK_SECRET;

    @AfterAll
    static void everyAccountEqualsItsLedger() throws SQLException {
        BillingFixtures.assertNoLedgerDrift();
    }

    @Test
    void aPaidCheckoutTopsUpOnceAndTheEventIsStoredProcessed() throws Exception {
        UUID user = UUID.randomUUID();
        String eventId = uniqueId("evt_");
        String payload = event(eventId, "checkout.session.completed", session(uniqueId("cs_"), user, 25, "paid", uniqueId("pi_")));
        deliver(payload).then().statusCode(200).body("result", equalTo("processed"));
        deliver(payload).then().statusCode(200).body("result", equalTo("already_done"));
        assertEquals(25, balance(user));
        assertEquals("stripe:" + eventId + ":topup", TestDatabase.single(
                "SELECT idempotency_key FROM billing.credit_ledger WHERE user_id = ?", user));
        assertEquals("processed", TestDatabase.single("SELECT status FROM billing.webhook_events WHERE event_id = ?", eventId));
        assertEquals(eventId, TestDatabase.single("SELECT payload->>'id' FROM billing.webhook_events WHERE event_id = ?", eventId));
    }

    @Test
    void fiftyConcurrentDeliveriesOfOneEventMakeOneLedgerRow() throws Exception {
        UUID user = UUID.randomUUID();
        String payload = event(uniqueId("evt_"), "checkout.session.completed", session(uniqueId("cs_"), user, 7, "paid", uniqueId("pi_")));
        List<Integer> statuses = Concurrently.run(50, () -> deliver(payload).statusCode());
        assertTrue(statuses.stream().allMatch(s -> s == 200), statuses.toString());
        assertEquals(1, ledgerRows(user, "topup"));
        assertEquals(7, balance(user));
    }

    @Test
    void asyncPaymentThenADuplicateCompletedEventTopsUpOnce() throws Exception {
        UUID user = UUID.randomUUID();
        String sessionId = uniqueId("cs_");
        String paymentIntent = uniqueId("pi_");
        deliver(event(uniqueId("evt_"), "checkout.session.completed", session(sessionId, user, 12, "unpaid", paymentIntent)))
                .then().statusCode(200);
        assertEquals(0, balance(user));
        deliver(event(uniqueId("evt_"), "checkout.session.async_payment_succeeded", session(sessionId, user, 12, "paid", paymentIntent)))
                .then().statusCode(200);
        deliver(event(uniqueId("evt_"), "checkout.session.completed", session(sessionId, user, 12, "paid", paymentIntent)))
                .then().statusCode(200);
        assertEquals(12, balance(user));
        assertEquals(1, ledgerRows(user, "topup"));
    }

    @Test
    void theTwoPaidEventsOfASessionRacingStillTopUpOnce() throws Exception {
        UUID user = UUID.randomUUID();
        String sessionId = uniqueId("cs_");
        String completed = event(uniqueId("evt_"), "checkout.session.completed", session(sessionId, user, 9, "paid", "pi_" + sessionId));
        String asyncSucceeded = event(uniqueId("evt_"), "checkout.session.async_payment_succeeded", session(sessionId, user, 9, "paid", "pi_" + sessionId));
        java.util.concurrent.atomic.AtomicInteger turn = new java.util.concurrent.atomic.AtomicInteger();
        Concurrently.run(20, () -> deliver(turn.getAndIncrement() % 2 == 0 ? completed : asyncSucceeded).statusCode());
        assertEquals(9, balance(user));
        assertEquals(1, ledgerRows(user, "topup"));
    }

    @Test
    void aFailedAsyncPaymentIsRecordedWithoutCredits() throws Exception {
        UUID user = UUID.randomUUID();
        String sessionId = uniqueId("cs_");
        deliver(event(uniqueId("evt_"), "checkout.session.completed", session(sessionId, user, 5, "unpaid", uniqueId("pi_")))).then().statusCode(200);
        deliver(event(uniqueId("evt_"), "checkout.session.async_payment_failed", session(sessionId, user, 5, "unpaid", null)))
                .then().statusCode(200).body("result", equalTo("processed"));
        assertEquals("payment_failed", TestDatabase.single(
                "SELECT status FROM billing.checkout_sessions WHERE stripe_session_id = ?", sessionId));
        assertEquals(0, balance(user));
    }

    @Test
    void aRefundAfterTheCreditsWereSpentLeavesANegativeBalanceThatBlocksNewHolds() throws Exception {
        UUID user = BillingFixtures.userWithCredits(10);
        UUID job = UUID.randomUUID();
        asRole("metered_jobs", "SELECT applied FROM billing.hold(?, ?, ?, ?)", user, 8L, "job:" + job + ":hold", job);
        asRole("metered_worker", "SELECT applied FROM billing.capture(?)", "job:" + job + ":hold");

        String paymentIntent = BillingFixtures.paymentIntentOf(user);
        deliver(event(uniqueId("evt_"), "charge.refunded", charge(uniqueId("ch_"), paymentIntent, 1000, 1000)))
                .then().statusCode(200).body("result", equalTo("processed"));
        assertEquals(-8, balance(user));

        UUID next = UUID.randomUUID();
        SQLException refused = assertThrows(SQLException.class, () -> asRole("metered_jobs",
                "SELECT applied FROM billing.hold(?, ?, ?, ?)", user, 1L, "job:" + next + ":hold", next));
        assertEquals("MB402", refused.getSQLState());
    }

    @Test
    void aSecondRefundOfTheSameChargeClawsBackOnlyTheDifference() throws Exception {
        UUID user = BillingFixtures.userWithCredits(10);
        String paymentIntent = BillingFixtures.paymentIntentOf(user);
        String chargeId = uniqueId("ch_");
        deliver(event(uniqueId("evt_"), "charge.refunded", charge(chargeId, paymentIntent, 1000, 250))).then().statusCode(200);
        assertEquals(7, balance(user)); // 25% of 10 credits, rounded up: 3
        deliver(event(uniqueId("evt_"), "charge.refunded", charge(chargeId, paymentIntent, 1000, 600))).then().statusCode(200);
        assertEquals(4, balance(user)); // 60%: 6 in all, 3 more
        deliver(event(uniqueId("evt_"), "charge.refunded", charge(chargeId, paymentIntent, 1000, 600))).then().statusCode(200);
        assertEquals(4, balance(user));
        assertEquals(2, ledgerRows(user, "refund"));
    }

    @Test
    void aDisputeClawsBackTheDisputedShare() throws Exception {
        UUID user = BillingFixtures.userWithCredits(10);
        String dispute = "{\"id\":\"" + uniqueId("dp_") + "\",\"object\":\"dispute\",\"amount\":1000,\"charge\":\""
                + uniqueId("ch_") + "\",\"payment_intent\":\"" + BillingFixtures.paymentIntentOf(user) + "\",\"status\":\"needs_response\"}";
        deliver(event(uniqueId("evt_"), "charge.dispute.created", dispute)).then().statusCode(200);
        assertEquals(0, balance(user));
    }

    @Test
    void aRefundBeforeItsCompletionFailsThenAppliesOnRetry() throws Exception {
        UUID user = UUID.randomUUID();
        String paymentIntent = uniqueId("pi_");
        String refundEventId = uniqueId("evt_");
        String refund = event(refundEventId, "charge.refunded", charge(uniqueId("ch_"), paymentIntent, 500, 500));
        Response first = deliver(refund);
        assertEquals(500, first.statusCode());
        assertEquals("application/problem+json", first.contentType());
        assertEquals("failed", TestDatabase.single("SELECT status FROM billing.webhook_events WHERE event_id = ?", refundEventId));
        assertTrue(((String) TestDatabase.single("SELECT last_error FROM billing.webhook_events WHERE event_id = ?",
                refundEventId)).contains(paymentIntent));

        deliver(event(uniqueId("evt_"), "checkout.session.completed", session(uniqueId("cs_"), user, 5, "paid", paymentIntent)))
                .then().statusCode(200);
        deliver(refund).then().statusCode(200).body("result", equalTo("processed"));
        assertEquals(0, balance(user));
        assertEquals(2, ((Number) TestDatabase.single("SELECT attempts FROM billing.webhook_events WHERE event_id = ?",
                refundEventId)).intValue());
    }

    @Test
    void unknownTypesAndForeignSessionsAreStoredAsIgnored() throws Exception {
        String unknownType = uniqueId("evt_");
        deliver(event(unknownType, "customer.created", "{\"id\":\"cus_1\",\"object\":\"customer\"}"))
                .then().statusCode(200).body("result", equalTo("ignored"));
        String foreign = uniqueId("evt_");
        deliver(event(foreign, "checkout.session.completed", "{\"id\":\"" + uniqueId("cs_")
                + "\",\"object\":\"checkout.session\",\"payment_status\":\"paid\",\"metadata\":{}}"))
                .then().statusCode(200).body("result", equalTo("ignored"));
        assertEquals(List.of("ignored", "ignored"), TestDatabase.column(
                "SELECT status FROM billing.webhook_events WHERE event_id IN (?, ?)", unknownType, foreign));
    }

    @Test
    void badSignaturesAreRefusedAndStoreNothing() throws Exception {
        String eventId = uniqueId("evt_");
        String payload = event(eventId, "checkout.session.completed", session(uniqueId("cs_"), UUID.randomUUID(), 5, "paid", uniqueId("pi_")));
        long now = Instant.now().getEpochSecond();
        String valid = signature(payload, SECRET, now);
        String v1 = valid.substring(valid.indexOf("v1="));
        for (String header : new String[] {
                signature(payload, "whsec_wrong", now),                 // wrong secret
                signature(payload, SECRET, now - 301),                   // stale
                signature(payload, SECRET, now + 3600),                  // from the future
                "t=abc," + v1, "t," + v1, v1, "t=" + now, "", "garbage", "t=" + now + ",v1=",
                "t=99999999999999999999," + v1 }) {
            Response response = deliverSigned(payload, header);
            assertEquals(400, response.statusCode(), "header " + header + ": " + response.asString());
            assertEquals("application/problem+json", response.contentType());
        }
        RestAssured.given().contentType("application/json").body(payload).post("/api/billing/webhook").then().statusCode(400);
        deliverSigned(payload.replace("\"credits\":\"5\"", "\"credits\":\"500\""), valid).then().statusCode(400);
        assertEquals(0L, ((Number) TestDatabase.single("SELECT count(*) FROM billing.webhook_events WHERE event_id = ?",
                eventId)).longValue());
    }

    @Test
    void aSignatureWithSeveralV1EntriesIsAcceptedWhenOneMatches() {
        String payload = event(uniqueId("evt_"), "customer.created", "{\"id\":\"cus_2\"}");
        long now = Instant.now().getEpochSecond();
        String current = signature(payload, SECRET, now);
        String other = signature(payload, "whsec_some_other", now);
        deliverSigned(payload, other + "," + current.substring(current.indexOf("v1="))).then().statusCode(200);
        String byPreviousSecret = signature(payload.replace("cus_2", "cus_3"), StripeFake.PREVIOUS_WEBHOOK_SECRET, now);
        deliverSigned(payload.replace("cus_2", "cus_3"), byPreviousSecret).then().statusCode(200);
    }

    @Test
    void validlySignedBodiesThatAreNotEventsAreRefused() {
        for (String payload : new String[] { "{not json", "[]", "{}", "{\"id\":\"evt_1\",\"type\":\"x\"}",
                "{\"id\":5,\"type\":\"x\",\"data\":{\"object\":{}}}", "{\"id\":\"evt_1\",\"type\":\"x\",\"data\":{\"object\":[]}}" }) {
            Response response = deliver(payload);
            assertEquals(400, response.statusCode(), payload + ": " + response.asString());
            assertEquals("application/problem+json", response.contentType());
        }
    }

    /** jsonb cannot hold U+0000 or a lone surrogate anywhere in the event: refused up front, nothing stored. */
    @Test
    void aSignedEventWithTextPostgresCannotStoreIsRefusedAndNotStored() throws Exception {
        UUID user = UUID.randomUUID();
        for (String unstorable : new String[] { "\\u0000", "a\\u0000b", "\\ud800", "\\udc00x" }) {
            String eventId = uniqueId("evt_");
            String object = "{\"id\":\"" + uniqueId("cs_") + "\",\"object\":\"checkout.session\",\"payment_status\":\"paid\","
                    + "\"customer_details\":{\"name\":[\"" + unstorable + "\"]},"
                    + "\"metadata\":{\"user_id\":\"" + user + "\",\"credits\":\"5\"}}";
            Response response = deliver(event(eventId, "checkout.session.completed", object));
            assertEquals(400, response.statusCode(), unstorable + ": " + response.asString());
            assertEquals("application/problem+json", response.contentType());
            assertEquals(0L, ((Number) TestDatabase.single(
                    "SELECT count(*) FROM billing.webhook_events WHERE event_id = ?", eventId)).longValue());
        }
        assertEquals(0, balance(user));
    }

    /** 186 = 200 (credit_ledger.idempotency_key) - "stripe:" - ":refund": the longest id both its ledger keys fit. */
    @Test
    void anEventIdLongerThanItsLedgerKeysCanHoldIsRefusedAndNotStored() throws Exception {
        UUID user = UUID.randomUUID();
        for (int length : new int[] { 187, 190, 200, 255, 256 }) {
            String eventId = "evt_" + "x".repeat(length - 4);
            Response response = deliver(event(eventId, "checkout.session.completed",
                    session(uniqueId("cs_"), user, 5, "paid", uniqueId("pi_"))));
            assertEquals(400, response.statusCode(), length + ": " + response.asString());
            assertEquals("application/problem+json", response.contentType());
            assertEquals(0L, ((Number) TestDatabase.single(
                    "SELECT count(*) FROM billing.webhook_events WHERE event_id = ?", eventId)).longValue());
        }
        assertEquals(0, balance(user));
        String paymentIntent = uniqueId("pi_");
        String longest = uniqueId("evt_") + "y".repeat(186 - 36);
        assertEquals(186, longest.length());
        deliver(event(longest, "checkout.session.completed", session(uniqueId("cs_"), user, 5, "paid", paymentIntent)))
                .then().statusCode(200).body("result", equalTo("processed"));
        String refund = uniqueId("evt_") + "z".repeat(186 - 36);
        deliver(event(refund, "charge.refunded", charge(uniqueId("ch_"), paymentIntent, 500, 500)))
                .then().statusCode(200).body("result", equalTo("processed"));
        assertEquals(0, balance(user));
        assertEquals(List.of(199, 200), TestDatabase.column(
                "SELECT length(idempotency_key) FROM billing.credit_ledger WHERE user_id = ? ORDER BY id", user));
    }

    /** Signed metadata of a session we did not create, outside billing.checkout's bounds: ignored, as 0 or "lots" is. */
    @Test
    void metadataCreditsOutsideTheCheckoutBoundsAreIgnored() throws Exception {
        for (String credits : new String[] { "\"9223372036854775807\"", "9223372036854775807", "\"100001\"", "1e30",
                "92233720368547758070", "\"0\"", "0", "\"-5\"", "1.5", "\"lots\"" }) {
            UUID user = UUID.randomUUID();
            String sessionId = uniqueId("cs_");
            String eventId = uniqueId("evt_");
            String object = "{\"id\":\"" + sessionId + "\",\"object\":\"checkout.session\",\"payment_status\":\"paid\","
                    + "\"amount_total\":9223372036854775807,\"currency\":\"usd\",\"payment_intent\":\"" + uniqueId("pi_")
                    + "\",\"metadata\":{\"user_id\":\"" + user + "\",\"credits\":" + credits + "}}";
            Response response = deliver(event(eventId, "checkout.session.completed", object));
            assertEquals(200, response.statusCode(), credits + ": " + response.asString());
            assertEquals("ignored", response.path("result"), credits);
            assertEquals("ignored", TestDatabase.single("SELECT status FROM billing.webhook_events WHERE event_id = ?", eventId));
            assertEquals(0, balance(user));
            assertEquals(0L, ((Number) TestDatabase.single(
                    "SELECT count(*) FROM billing.checkout_sessions WHERE stripe_session_id = ?", sessionId)).longValue());
        }
        UUID user = UUID.randomUUID();
        deliver(event(uniqueId("evt_"), "checkout.session.completed", session(uniqueId("cs_"), user, 100000, "paid",
                uniqueId("pi_")))).then().statusCode(200).body("result", equalTo("processed"));
        assertEquals(100000, balance(user));
    }
}
