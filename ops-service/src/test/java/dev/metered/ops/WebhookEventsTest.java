package dev.metered.ops;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.metered.testing.TestDatabase;
import io.quarkus.test.junit.QuarkusTest;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * billing-service does not run in these tests: where an event must be applied, the test plays
 * its part (as metered_billing, the way WebhookReprocessor finishes an event).
 */
@QuarkusTest
class WebhookEventsTest {

    @Test
    void failedEventsAreListedByStatusWithoutTheirPayload() throws Exception {
        String eventId = OpsFixtures.failedWebhookEvent("charge.refunded");
        OpsFixtures.admin().get("/api/ops/webhook-events?status=failed&limit=200").then().statusCode(200)
                .body("items.id", hasItem(eventId)).body("items.status", everyItem(equalTo("failed")))
                .body("items[0].payload", org.hamcrest.Matchers.nullValue());
        OpsFixtures.admin().get("/api/ops/webhook-events/" + eventId).then().statusCode(200)
                .body("type", equalTo("charge.refunded")).body("last_error", equalTo("no credited checkout session"));
        OpsFixtures.admin().get("/api/ops/webhook-events?status=exploded").then().statusCode(400)
                .contentType("application/problem+json").body("errors[0].field", equalTo("status"));
        OpsFixtures.admin().get("/api/ops/webhook-events/evt_nobody").then().statusCode(404);
    }

    @Test
    void reprocessWaitsForBillingsAttemptAndAnswersWithTheOutcome() throws Exception {
        String eventId = OpsFixtures.failedWebhookEvent("charge.refunded");
        CompletableFuture<Void> billing = CompletableFuture.runAsync(() -> {
            try {
                for (int i = 0; i < 100; i++) {
                    int done = TestDatabase.asRole("metered_billing", "UPDATE billing.webhook_events SET status = 'processed',"
                            + " attempts = attempts + 1, processed_at = now(), last_attempt_at = now(),"
                            + " reprocess_requested_at = NULL WHERE event_id = ? AND reprocess_requested_at IS NOT NULL"
                            + " RETURNING 1", eventId).size();
                    if (done > 0) {
                        return;
                    }
                    Thread.sleep(20);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        OpsFixtures.admin().post("/api/ops/webhook-events/" + eventId + "/reprocess").then().statusCode(200)
                .body("status", equalTo("processed")).body("attempts", equalTo(2)).body("reprocess_pending", equalTo(false));
        billing.get();

        OpsFixtures.admin().post("/api/ops/webhook-events/" + eventId + "/reprocess").then().statusCode(409)
                .contentType("application/problem+json");
        assertEquals(2, ((Number) TestDatabase.single("SELECT attempts FROM billing.webhook_events WHERE event_id = ?",
                eventId)).intValue());
    }

    @Test
    void whenBillingDoesNotAnswerInTimeTheRequestStaysOpenAnd202Says() throws Exception {
        String eventId = OpsFixtures.failedWebhookEvent("charge.dispute.created");
        OpsFixtures.admin().post("/api/ops/webhook-events/" + eventId + "/reprocess").then().statusCode(202)
                .body("status", equalTo("failed")).body("reprocess_pending", equalTo(true));
        assertEquals(Boolean.TRUE, TestDatabase.single(
                "SELECT reprocess_requested_at IS NOT NULL FROM billing.webhook_events WHERE event_id = ?", eventId));
    }

    @Test
    void unknownEventsAre404() {
        OpsFixtures.admin().post("/api/ops/webhook-events/evt_nobody/reprocess").then().statusCode(404)
                .contentType("application/problem+json");
        OpsFixtures.admin().post("/api/ops/webhook-events/" + "x".repeat(300) + "/reprocess").then().statusCode(404);
        OpsFixtures.admin().urlEncodingEnabled(false).post("/api/ops/webhook-events/evt%00x/reprocess").then()
                .statusCode(404).contentType("application/problem+json");
        OpsFixtures.admin().urlEncodingEnabled(false).get("/api/ops/webhook-events/%ED%A0%80").then().statusCode(404);
    }
}
