package dev.metered.worker;

import static dev.metered.worker.JobFixtures.await;
import static dev.metered.worker.JobFixtures.awaitStatus;
import static dev.metered.worker.JobFixtures.submit;
import static dev.metered.worker.JobFixtures.userWithCredits;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metered.testing.PostgresTestResource;
import dev.metered.testing.TestDatabase;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/** The process's own worker (WORKER_ID test-app-worker), polling only every 30 s in tests. */
@QuarkusTest
@WithTestResource(value = PostgresTestResource.class, scope = TestResourceScope.GLOBAL,
        initArgs = { @ResourceArg(name = "role", value = "metered_worker"),
                @ResourceArg(name = "also-migrate", value = "billing,jobs") })
class ProcessWorkerTest {

    /** The poll interval of the test profile is 30 s: a pickup well under it was woken by NOTIFY. */
    private static final Duration NOTIFY_BOUND = Duration.ofSeconds(2);

    @Inject
    WorkerLifecycle lifecycle;

    @Test
    void aJobSubmittedToAnIdleWorkerStartsWithinMillisecondsThanksToNotify() throws Exception {
        Worker worker = awaitListening();
        Map<UUID, Long> startedAt = new ConcurrentHashMap<>();
        worker.onExecute(job -> startedAt.putIfAbsent(job.id(), System.nanoTime()));
        Thread.sleep(200); // idle: no claim in progress when the job arrives

        long submittedAt = System.nanoTime();
        UUID job = submit(userWithCredits(10), "echo", new JsonObject(), 10, 3);
        await(() -> startedAt.containsKey(job), Duration.ofSeconds(5), "the job to start");

        Duration pickup = Duration.ofNanos(startedAt.get(job) - submittedAt);
        assertTrue(pickup.compareTo(NOTIFY_BOUND) < 0, "picked up in " + pickup.toMillis()
                + " ms with a 30 s poll interval");
        awaitStatus(job, "succeeded", Duration.ofSeconds(10));
    }

    @Test
    void theListenConnectionComesBackAfterTheDatabaseDropsIt() throws Exception {
        Worker worker = awaitListening();
        Object before = listenPid();
        TestDatabase.column("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ?", before);
        await(() -> {
            try {
                return worker.listenerDownFor().isZero() && TestDatabase.column(
                        "SELECT pid FROM pg_stat_activity WHERE application_name = 'metered-worker-listen'"
                                + " AND datname = current_database() AND pid <> ?", before).size() == 1;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, Duration.ofSeconds(10), "a new LISTEN connection");

        Map<UUID, Long> startedAt = new ConcurrentHashMap<>();
        worker.onExecute(job -> startedAt.putIfAbsent(job.id(), System.nanoTime()));
        long submittedAt = System.nanoTime();
        UUID job = submit(userWithCredits(10), "echo", new JsonObject(), 10, 3);
        await(() -> startedAt.containsKey(job), Duration.ofSeconds(5), "the job to start");
        long pickupMillis = Duration.ofNanos(startedAt.get(job) - submittedAt).toMillis();
        assertTrue(pickupMillis < NOTIFY_BOUND.toMillis(), "woken by NOTIFY again, not after " + pickupMillis + " ms");
    }

    private static Object listenPid() throws Exception {
        return TestDatabase.single("SELECT pid FROM pg_stat_activity WHERE application_name = 'metered-worker-listen'"
                + " AND datname = current_database()");
    }

    @Test
    void theProcessWorkerBeatsUnderItsConfiguredId() throws Exception {
        awaitListening();
        assertEquals(1L, ((Number) TestDatabase.single(
                "SELECT count(*) FROM worker.heartbeats WHERE worker_id = 'test-app-worker'")).longValue());
    }

    @Test
    void readinessReportsTheListenConnectionAndLivenessDoesNotAskTheDatabase() throws Exception {
        awaitListening();
        given().get("/q/health/ready").then().statusCode(200).body("checks.name", hasItem("worker-listen"));
        given().get("/q/health/live").then().statusCode(200);
    }

    private Worker awaitListening() throws InterruptedException {
        await(() -> lifecycle.worker().map(w -> w.running() && w.listenerDownFor().isZero()).orElse(false),
                Duration.ofSeconds(10), "the process worker to listen");
        return lifecycle.worker().orElseThrow();
    }
}
