package dev.metered.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.metered.testing.PrometheusScrape;
import io.quarkus.test.junit.QuarkusTest;
import java.sql.SQLException;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The domain and HTTP metrics at /q/metrics move with what the API did, by exactly as much. */
@QuarkusTest
class JobMetricsTest {

    private static final String ECHO = "{\"type\":\"echo\",\"input\":{\"n\":1}}";

    @AfterAll
    static void everyAccountEqualsItsLedger() throws SQLException {
        JobsFixtures.assertNoLedgerDrift();
    }

    @Test
    void submissionsReplaysRefusalsAndCancelsAreCountedOnceEach() throws Exception {
        JobsFixtures user = new JobsFixtures().credits(5);
        PrometheusScrape before = PrometheusScrape.now();

        String jobId = user.submit("metrics-1", ECHO).then().statusCode(201).extract().path("job_id");
        user.submit("metrics-1", ECHO).then().statusCode(200);
        user.submit(null, "{\"type\":\"video.kling\",\"input\":{}}").then().statusCode(402);
        user.submit("metrics-1", "{\"type\":\"echo\",\"input\":{\"n\":2}}").then().statusCode(409);
        user.request().post("/api/jobs/" + jobId + "/cancel").then().statusCode(200);
        user.request().post("/api/jobs/" + jobId + "/cancel").then().statusCode(200); // already cancelled: no release

        PrometheusScrape after = PrometheusScrape.now();
        assertEquals(1, after.increase(before, "metered_jobs_submitted_total", Map.of("type", "echo")));
        assertEquals(0, after.increase(before, "metered_jobs_submitted_total", Map.of("type", "video.kling")));
        assertEquals(1, after.increase(before, "metered_jobs_replayed_total", Map.of("type", "echo")));
        assertEquals(1, after.increase(before, "metered_jobs_refused_total",
                Map.of("type", "video.kling", "reason", "insufficient_credits")));
        assertEquals(1, after.increase(before, "metered_jobs_refused_total",
                Map.of("type", "echo", "reason", "idempotency_key_reused")));
        assertEquals(1, after.increase(before, "metered_ledger_entries_total", Map.of("kind", "hold")));
        assertEquals(1, after.increase(before, "metered_ledger_entries_total", Map.of("kind", "release")));
        assertEquals(1, user.ledgerRows("hold"));
        assertEquals(1, user.ledgerRows("release"));
    }

    @Test
    void httpRequestsAreTaggedWithThePathTemplateNeverTheId() throws Exception {
        JobsFixtures user = new JobsFixtures().credits(1);
        String jobId = user.submit(null, ECHO).then().statusCode(201).extract().path("job_id");
        PrometheusScrape before = PrometheusScrape.now();

        user.request().get("/api/jobs/" + jobId).then().statusCode(200);
        user.request().get("/api/jobs/" + jobId).then().statusCode(200);
        String unknown = UUID.randomUUID().toString();
        user.request().get("/api/no-such-thing/" + unknown).then().statusCode(404);

        PrometheusScrape after = PrometheusScrape.now();
        assertEquals(2, after.increase(before, "http_server_requests_seconds_count",
                Map.of("method", "GET", "uri", "/api/jobs/{id}", "status", "200")));
        assertFalse(after.text().contains(jobId), "a job id in a metric's labels");
        assertFalse(after.text().contains(unknown), "an unrouted path in a metric's labels");
    }
}
