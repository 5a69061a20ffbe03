package dev.metered.worker;

import static dev.metered.worker.JobFixtures.attempts;
import static dev.metered.worker.JobFixtures.await;
import static dev.metered.worker.JobFixtures.awaitStatus;
import static dev.metered.worker.JobFixtures.balance;
import static dev.metered.worker.JobFixtures.ledger;
import static dev.metered.worker.JobFixtures.row;
import static dev.metered.worker.JobFixtures.status;
import static dev.metered.worker.JobFixtures.submit;
import static dev.metered.worker.JobFixtures.submitMany;
import static dev.metered.worker.JobFixtures.userWithCredits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metered.testing.TestDatabase;
import dev.metered.worker.execute.JobExecutor.Outcome;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The claim / execute / complete / fail loop, checked item by item against real PostgreSQL. */
@QuarkusTest
@TestProfile(ManualWorkers.class)
class WorkerLoopTest extends ManualWorkerTest {


    @Test
    void aJobSucceedsWithOneHoldOneCaptureAndItsOutputStored() throws Exception {
        UUID user = userWithCredits(100);
        UUID job = submit(user, "echo", new JsonObject().put("prompt", "a cat").put("simulate",
                new JsonObject().put("latency_ms", 5)), 30, 3);
        start("happy-" + UUID.randomUUID());

        awaitStatus(job, "succeeded", WITHIN);
        JsonObject row = row(job);
        assertEquals(new JsonObject().put("echo", new JsonObject().put("prompt", "a cat")).put("provider", "simulated"),
                row.getJsonObject("output"));
        assertEquals(1, row.getInteger("attempts"));
        assertEquals(null, row.getValue("locked_by"));
        assertEquals(Map.of("hold", 1L, "capture", 1L), ledger(job));
        assertEquals(70, balance(user), "the captured hold stays spent");
    }

    @Test
    void aFailingAttemptIsRetriedWithBackoffThenSucceeds() throws Exception {
        UUID user = userWithCredits(10);
        UUID job = submit(user, "echo", new JsonObject().put("simulate", new JsonObject().put("fail_times", 2)), 10, 5);
        start("retry-" + UUID.randomUUID());

        await(() -> attemptsQuietly(job) == 1 && "queued".equals(statusQuietly(job)), WITHIN, "first failure");
        JsonObject afterFirst = row(job);
        Duration backoff = Duration.between(OffsetDateTime.parse(afterFirst.getString("updated_at")).toInstant(),
                OffsetDateTime.parse(afterFirst.getString("run_after")).toInstant());
        assertTrue(backoff.compareTo(Duration.ofMillis(500)) >= 0 && backoff.compareTo(Duration.ofMillis(1000)) <= 0,
                "first retry after base/2..base (1000 ms base), was " + backoff);
        assertEquals("simulated failure of attempt 1", afterFirst.getString("last_error"));

        clock.advance(Duration.ofMinutes(10));
        await(() -> attemptsQuietly(job) == 2 && "queued".equals(statusQuietly(job)), WITHIN, "second failure");
        clock.advance(Duration.ofMinutes(10));
        awaitStatus(job, "succeeded", WITHIN);

        JsonObject done = row(job);
        assertEquals(3, done.getInteger("attempts"));
        JsonArray history = done.getJsonArray("error_history");
        assertEquals(2, history.size());
        assertEquals(1, history.getJsonObject(0).getInteger("attempt"));
        assertEquals(2, history.getJsonObject(1).getInteger("attempt"));
        assertEquals(Map.of("hold", 1L, "capture", 1L), ledger(job));
        assertEquals(0, balance(user));
    }

    @Test
    void exhaustedRetriesDeadLetterTheJobWithItsHistoryAndReleaseTheHold() throws Exception {
        UUID user = userWithCredits(10);
        UUID job = submit(user, "echo", new JsonObject().put("simulate", new JsonObject().put("fail_always", true)), 10, 3);
        start("dead-" + UUID.randomUUID());

        for (int attempt = 1; attempt < 3; attempt++) {
            int done = attempt;
            await(() -> attemptsQuietly(job) == done && "queued".equals(statusQuietly(job)), WITHIN, "failure " + done);
            clock.advance(Duration.ofHours(1));
        }
        awaitStatus(job, "dead", WITHIN);

        assertEquals(3, attempts(job));
        String letter = (String) TestDatabase.single(
                "SELECT to_jsonb(d)::text FROM jobs.job_dead_letters d WHERE job_id = ?", job);
        JsonObject deadLetter = new JsonObject(letter);
        assertEquals(3, deadLetter.getInteger("attempts"));
        assertEquals(3, deadLetter.getJsonArray("error_history").size());
        assertEquals("simulated failure of attempt 3", deadLetter.getString("last_error"));
        assertEquals(Map.of("hold", 1L, "release", 1L), ledger(job));
        assertEquals(10, balance(user), "the released hold gives the credits back");
    }

    @Test
    void aJobTypeWithoutProviderFailsAtOnceWithoutRetryAndReleases() throws Exception {
        UUID user = userWithCredits(10);
        UUID job = submit(user, "no.such.type", new JsonObject(), 10, 5);
        start("unknown-" + UUID.randomUUID());

        awaitStatus(job, "failed", WITHIN);
        assertEquals(1, attempts(job));
        assertEquals("no provider for job type no.such.type", row(job).getString("last_error"));
        assertEquals(0L, ((Number) TestDatabase.single("SELECT count(*) FROM jobs.job_dead_letters WHERE job_id = ?",
                job)).longValue(), "not retryable is failed, not dead");
        assertEquals(Map.of("hold", 1L, "release", 1L), ledger(job));
    }

    @Test
    void twoWorkersDrainingFiveHundredJobsNeverRunOneTwice() throws Exception {
        UUID user = userWithCredits(500);
        Set<UUID> jobs = new HashSet<>(submitMany(user, "echo", new JsonObject().put("n", 1), 1, 3, 500));
        Map<UUID, AtomicInteger> executions = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> perWorker = new ConcurrentHashMap<>();
        for (String id : List.of("drain-a-" + UUID.randomUUID(), "drain-b-" + UUID.randomUUID())) {
            Worker worker = workers.create(id);
            started.add(worker);
            worker.onExecute(job -> {
                executions.computeIfAbsent(job.id(), k -> new AtomicInteger()).incrementAndGet();
                perWorker.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
            });
        }
        started.forEach(worker -> worker.start().subscribe().with(v -> { }));

        await(() -> {
            try {
                return ((Number) TestDatabase.single("SELECT count(*) FROM jobs.jobs WHERE user_id = ? AND status = 'succeeded'",
                        user)).intValue() == 500;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, Duration.ofSeconds(60), "500 jobs to succeed");

        assertEquals(jobs, executions.keySet());
        assertTrue(executions.values().stream().allMatch(count -> count.get() == 1), "every job ran exactly once");
        assertEquals(2, perWorker.size(), "both workers took part: " + perWorker);
        assertEquals(500L, ((Number) TestDatabase.single("SELECT count(*) FROM billing.credit_ledger WHERE user_id = ?"
                + " AND kind = 'capture'", user)).longValue());
        assertEquals(0, balance(user));
    }

    @Test
    void gracefulShutdownFinishesWhatItCanAndHandsBackTheRest() throws Exception {
        UUID user = userWithCredits(20);
        UUID quick = submit(user, "echo", new JsonObject().put("simulate", new JsonObject().put("latency_ms", 200)), 10, 3);
        UUID slow = submit(user, "echo", new JsonObject().put("simulate", new JsonObject().put("latency_ms", 60_000)), 10, 3);
        Worker worker = start("shutdown-" + UUID.randomUUID());
        await(() -> worker.inFlight() == 2, WITHIN, "both jobs to be claimed");

        int handedBack = worker.stop(Duration.ofSeconds(2)).await().atMost(Duration.ofSeconds(10));

        assertEquals(1, handedBack);
        assertEquals("succeeded", status(quick), "the job that fits in the grace period finishes");
        JsonObject back = row(slow);
        assertEquals("queued", back.getString("status"));
        assertEquals(0, back.getInteger("attempts"), "a handed-back attempt does not count");
        assertEquals(null, back.getValue("locked_by"));
        assertEquals(Map.of("hold", 1L), ledger(slow), "its hold stays open for the next worker");
        assertEquals(false, worker.running());
    }

    @Test
    void aCrashedWorkerRestartedWithItsIdFreesItsJobAtOnceAndItSucceedsOnce() throws Exception {
        UUID user = userWithCredits(10);
        UUID job = submit(user, "echo", new JsonObject().put("simulate", new JsonObject().put("latency_ms", 1500)), 10, 3);
        String id = "crashy-" + UUID.randomUUID();
        Worker first = start(id);
        await(() -> first.inFlight() == 1, WITHIN, "the job to be claimed");
        first.halt();
        assertEquals("running", status(job), "a crash leaves the job leased");

        Worker restarted = start(id);
        awaitStatus(job, "succeeded", WITHIN);
        await(() -> first.count(Outcome.ABANDONED) == 1, WITHIN, "the crashed attempt's answer, dropped unsettled");
        assertEquals(1, restarted.count(Outcome.SUCCEEDED));
        JsonObject row = row(job);
        assertEquals(2, row.getInteger("attempts"), "the crashed attempt counts: the provider may have run");
        assertEquals("worker " + id + " restarted", row.getJsonArray("error_history").getJsonObject(0).getString("error"));
        assertEquals(Map.of("hold", 1L, "capture", 1L), ledger(job));
        JsonObject summary = new JsonObject((String) TestDatabase.single(
                "SELECT recovered_last_summary::text FROM worker.heartbeats WHERE worker_id = ?", id));
        assertEquals(1, summary.getInteger("requeued"));
        assertEquals(0, summary.getInteger("dead"));
    }

    @Test
    void theLoopIsOffWhenTheWorkerIsDisabled() throws Exception {
        UUID user = userWithCredits(10);
        UUID job = submit(user, "echo", new JsonObject(), 10, 3);
        Thread.sleep(300);
        assertEquals("queued", status(job), "MVP_WORKER_ENABLED=false: nobody claims");
    }

    private static int attemptsQuietly(UUID job) {
        try {
            return attempts(job);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String statusQuietly(UUID job) {
        try {
            return status(job);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
