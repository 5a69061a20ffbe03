package dev.metered.worker;

import static dev.metered.worker.JobFixtures.await;
import static dev.metered.worker.JobFixtures.awaitStatus;
import static dev.metered.worker.JobFixtures.submit;
import static dev.metered.worker.JobFixtures.userWithCredits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metered.testing.PrometheusScrape;
import dev.metered.worker.queue.JobQueue;
import dev.metered.worker.rescue.StaleJobRescuer;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** What the worker did shows at /q/metrics: outcomes, durations, claims, recoveries, settlements, jobs in flight. */
@QuarkusTest
@TestProfile(ManualWorkers.class)
class WorkerMetricsTest extends ManualWorkerTest {

    private static final String IN_FLIGHT = "metered_worker_jobs_in_flight";

    @Inject
    JobQueue queue;

    @Inject
    StaleJobRescuer rescuer;

    @Test
    void jobsThatRunFailAndGoStaleAreCountedByOutcome() throws Exception {
        UUID user = userWithCredits(100);
        PrometheusScrape before = PrometheusScrape.now();

        // a job whose worker vanished on its last attempt: the rescue makes it dead and releases its hold
        UUID stale = submit(user, "echo", new JsonObject(), 1, 1);
        assertEquals(1, queue.claim("ghost-" + UUID.randomUUID(), 1, 300, clock.instant())
                .await().atMost(Duration.ofSeconds(5)).size());
        clock.advance(Duration.ofSeconds(301));
        assertEquals(new JobQueue.Recovery(0, 1), rescuer.rescue("rescuer-" + UUID.randomUUID())
                .await().atMost(Duration.ofSeconds(5)));

        UUID slow = submit(user, "echo", new JsonObject().put("simulate", new JsonObject().put("latency_ms", 1500)), 1, 3);
        UUID dead = submit(user, "echo", new JsonObject().put("simulate", new JsonObject().put("fail_always", true)), 1, 1);
        UUID retried = submit(user, "echo", new JsonObject().put("simulate", new JsonObject().put("fail_times", 1)), 1, 3);
        start("metrics-" + UUID.randomUUID());

        await(() -> "running".equals(statusQuietly(slow)) && inFlight(PrometheusScrape.now()) >= 1, WITHIN,
                "the slow job in flight");
        awaitStatus(dead, "dead", WITHIN);
        awaitStatus(retried, "succeeded", WITHIN);
        awaitStatus(slow, "succeeded", WITHIN);
        await(() -> inFlight(PrometheusScrape.now()) <= inFlight(before), WITHIN, "no job of this test in flight");

        PrometheusScrape after = PrometheusScrape.now();
        String finished = "metered_worker_jobs_finished_total";
        assertEquals(2, after.increase(before, finished, Map.of("type", "echo", "outcome", "succeeded")));
        assertEquals(1, after.increase(before, finished, Map.of("type", "echo", "outcome", "retried")));
        assertEquals(1, after.increase(before, finished, Map.of("type", "echo", "outcome", "dead")));
        assertEquals(0, after.increase(before, finished, Map.of("outcome", "failed")));
        assertEquals(2, after.increase(before, "metered_worker_job_duration_seconds_count",
                Map.of("type", "echo", "outcome", "succeeded")));
        assertTrue(after.increase(before, "metered_worker_job_duration_seconds_sum",
                Map.of("type", "echo", "outcome", "succeeded")) >= 1.5, "the slow job took 1.5 s");
        assertEquals(1, after.increase(before, "metered_worker_job_duration_seconds_bucket",
                Map.of("type", "echo", "outcome", "succeeded", "le", "1.0")), "only the fast retry within 1 s");
        assertEquals(4, after.increase(before, "metered_worker_claim_batch_sum", Map.of()), "4 attempts claimed");
        double claims = after.increase(before, "metered_worker_claim_batch_count", Map.of());
        assertTrue(claims >= 2 && claims <= 4, "claims " + claims);
        assertEquals(1, after.increase(before, "metered_worker_jobs_recovered_total", Map.of("outcome", "dead")));
        assertEquals(0, after.increase(before, "metered_worker_jobs_recovered_total", Map.of("outcome", "requeued")));
        assertEquals(2, after.increase(before, "metered_ledger_entries_total", Map.of("kind", "capture")));
        assertEquals(2, after.increase(before, "metered_ledger_entries_total", Map.of("kind", "release")));
        assertEquals("dead", JobFixtures.status(stale));
    }

    private static double inFlight(PrometheusScrape scrape) {
        return scrape.value(IN_FLIGHT, Map.of());
    }

    private static String statusQuietly(UUID job) {
        try {
            return JobFixtures.status(job);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
