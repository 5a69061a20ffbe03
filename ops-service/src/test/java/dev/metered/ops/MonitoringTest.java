package dev.metered.ops;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metered.ops.monitoring.QueueDepthSampler;
import dev.metered.testing.TestDatabase;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.util.UUID;
import org.junit.jupiter.api.Test;

@QuarkusTest
class MonitoringTest {

    @Inject
    QueueDepthSampler sampler;

    @Test
    void readinessAndTheHeartbeatAlertFollowTheNewestWorkerHeartbeat() throws Exception {
        TestDatabase.execute("DELETE FROM worker.heartbeats");
        given().get("/api/ready").then().statusCode(503).body("ready", equalTo(false)).body("db_ok", equalTo(true))
                .body("worker_ok", equalTo(false)).body("worker_last_heartbeat", nullValue())
                .body("queue_depth.queued", notNullValue());
        assertEquals(Boolean.TRUE, alert("worker_heartbeat_stale").get("firing"));

        TestDatabase.asRole("metered_worker", "INSERT INTO worker.heartbeats (worker_id, started_at, last_beat, in_flight,"
                + " recovered_last_summary) VALUES ('w-old', now() - interval '1 hour', now() - interval '10 minutes', 0,"
                + " '{\"requeued\": 3, \"dead\": 1, \"at\": \"2026-11-23T10:00:00Z\"}') RETURNING worker_id");
        TestDatabase.asRole("metered_worker", "INSERT INTO worker.heartbeats (worker_id, started_at, last_beat, in_flight)"
                + " VALUES ('w-live', now(), now(), 2) RETURNING worker_id");
        given().get("/api/ready").then().statusCode(200).body("ready", equalTo(true)).body("worker_ok", equalTo(true))
                .body("worker_heartbeat_age_seconds", org.hamcrest.Matchers.lessThan(5f));
        assertEquals(Boolean.FALSE, alert("worker_heartbeat_stale").get("firing"));
        OpsFixtures.admin().get("/api/ops/metrics").then().statusCode(200)
                .body("worker.recovered_last_summary.requeued", equalTo(3))
                .body("worker.recovered_last_summary.worker_id", equalTo("w-old"))
                .body("worker.workers.worker_id", hasItem("w-live"))
                .body("worker_last_heartbeat", notNullValue());

        TestDatabase.asRole("metered_worker", "UPDATE worker.heartbeats SET last_beat = now() - interval '2 minutes'"
                + " WHERE worker_id = 'w-live' RETURNING worker_id");
        given().get("/api/ready").then().statusCode(503).body("worker_ok", equalTo(false));
        JsonPath stale = alert("worker_heartbeat_stale");
        assertEquals(Boolean.TRUE, stale.get("firing"));
        assertTrue(stale.getDouble("value") >= 119, stale.prettify());
        assertEquals(60, stale.getInt("threshold"));
    }

    @Test
    void failedWebhooksDeadLettersAndFailedJobsShowInMetricsAndFireTheirAlerts() throws Exception {
        JsonPath before = OpsFixtures.admin().get("/api/ops/metrics").then().statusCode(200).extract().jsonPath();
        OpsFixtures.failedWebhookEvent("charge.refunded");
        UUID user = OpsFixtures.userWithCredits(20);
        for (int i = 0; i < 11; i++) {
            OpsFixtures.deadJob(user, 1);
        }
        JsonPath after = OpsFixtures.admin().get("/api/ops/metrics").then().statusCode(200).extract().jsonPath();
        assertEquals(before.getInt("webhook_failed_last_hour") + 1, after.getInt("webhook_failed_last_hour"));
        assertEquals(before.getInt("dead_letters_last_24h") + 11, after.getInt("dead_letters_last_24h"));
        assertEquals(before.getInt("jobs_failed_last_hour") + 11, after.getInt("jobs_failed_last_hour"));
        assertEquals(before.getInt("queue_depth.dead") + 11, after.getInt("queue_depth.dead"));
        assertEquals(0, after.getInt("ledger_drift"));
        assertEquals("provider timed out", after.getString("recent_job_failures[0].last_error"));

        assertEquals(Boolean.TRUE, alert("webhook_failed_last_hour").get("firing"));
        assertEquals(Boolean.TRUE, alert("jobs_failed_last_hour").get("firing"));
        assertEquals(Boolean.TRUE, alert("dead_letters_last_24h").get("firing"));
        assertEquals(Boolean.FALSE, alert("ledger_drift").get("firing"));
        OpsFixtures.admin().get("/api/ops/alerts").then()
                .body("firing", hasItem("webhook_failed_last_hour")).body("firing", not(hasItem("ledger_drift")))
                .body("alerts.size()", equalTo(6));
    }

    @Test
    void aQueueThatGrewForTenMinutesFiresAndTheSamplesFeedTheChart() throws Exception {
        TestDatabase.execute("DELETE FROM ops.queue_depth_samples");
        for (int minutesAgo = 12; minutesAgo >= 1; minutesAgo--) {
            TestDatabase.asRole("metered_ops", "INSERT INTO ops.queue_depth_samples (sampled_at, queued, running)"
                    + " VALUES (date_trunc('minute', now()) - make_interval(mins => ?), ?, 2) RETURNING queued",
                    minutesAgo, 100 + (12 - minutesAgo) * 10);
        }
        JsonPath growing = alert("queue_growing");
        assertEquals(Boolean.TRUE, growing.get("firing"), growing.prettify());
        assertTrue(growing.getInt("value") >= 10, growing.prettify());
        OpsFixtures.admin().get("/api/ops/queue-depth/samples?minutes=30").then().statusCode(200)
                .body("samples.size()", greaterThanOrEqualTo(12)).body("samples[0].queued", equalTo(100))
                .body("samples[0].sampled_at", notNullValue());

        // a fall ends the run
        TestDatabase.asRole("metered_ops", "INSERT INTO ops.queue_depth_samples (sampled_at, queued, running)"
                + " VALUES (date_trunc('minute', now()), 5, 0) ON CONFLICT (sampled_at) DO UPDATE SET queued = 5"
                + " RETURNING queued");
        assertEquals(Boolean.FALSE, alert("queue_growing").get("firing"));
        OpsFixtures.admin().get("/api/ops/queue-depth/samples?minutes=0").then().statusCode(400);
    }

    @Test
    void theSamplerRecordsThisMinuteAndPublishesGauges() throws Exception {
        OpsFixtures.queuedJob(OpsFixtures.userWithCredits(1), 1, 3);
        TestDatabase.execute("DELETE FROM ops.queue_depth_samples WHERE sampled_at = date_trunc('minute', now())");
        sampler.sampleNow().await().atMost(java.time.Duration.ofSeconds(10));
        assertEquals(TestDatabase.single("SELECT queued FROM jobs.ops_queue_depth"), TestDatabase.single(
                "SELECT queued FROM ops.queue_depth_samples WHERE sampled_at = date_trunc('minute', now())"));
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(metrics.contains("metered_ops_queue_depth{status=\"queued\"}"), metrics);
        assertTrue(metrics.contains("metered_ops_ledger_drift_accounts"), metrics);
    }

    private static JsonPath alert(String name) {
        JsonPath alerts = OpsFixtures.admin().get("/api/ops/alerts").then().statusCode(200).extract().jsonPath();
        return new JsonPath(alerts.prettify()).setRoot("alerts.find { it.name == '" + name + "' }");
    }
}
