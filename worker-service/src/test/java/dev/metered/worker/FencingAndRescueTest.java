package dev.metered.worker;

import static dev.metered.worker.JobFixtures.await;
import static dev.metered.worker.JobFixtures.ledger;
import static dev.metered.worker.JobFixtures.row;
import static dev.metered.worker.JobFixtures.status;
import static dev.metered.worker.JobFixtures.submit;
import static dev.metered.worker.JobFixtures.userWithCredits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.metered.testing.TestDatabase;
import dev.metered.worker.execute.JobExecutor.Outcome;
import dev.metered.worker.queue.ClaimedJob;
import dev.metered.worker.queue.JobQueue;
import dev.metered.worker.rescue.StaleJobRescuer;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Leases: expiry and rescue (just before / just after the horizon, at max attempts), renewal, fencing, heartbeats. */
@QuarkusTest
@TestProfile(ManualWorkers.class)
class FencingAndRescueTest extends ManualWorkerTest {

    private static final int LEASE = 300;

    @Inject
    JobQueue queue;

    @Inject
    StaleJobRescuer rescuer;

    /** A worker that claims and then goes silent (paused, partitioned, or gone). */
    private ClaimedJob claimAsGhost(String ghost) {
        List<ClaimedJob> claimed = queue.claim(ghost, 1, LEASE, clock.instant()).await().atMost(Duration.ofSeconds(5));
        assertEquals(1, claimed.size());
        return claimed.get(0);
    }

    private JsonObject summary(String workerId) throws Exception {
        return new JsonObject((String) TestDatabase.single(
                "SELECT recovered_last_summary::text FROM worker.heartbeats WHERE worker_id = ?", workerId));
    }

    @Test
    void aLeaseJustBeforeItsHorizonIsLeftAlone() throws Exception {
        UUID job = submit(userWithCredits(10), "echo", new JsonObject(), 10, 3);
        claimAsGhost("ghost-" + UUID.randomUUID());
        clock.advance(Duration.ofSeconds(LEASE - 1));

        String rescuing = "rescuer-" + UUID.randomUUID();
        var recovery = rescuer.rescue(rescuing).await().atMost(Duration.ofSeconds(5));

        assertEquals(new JobQueue.Recovery(0, 0), recovery);
        assertEquals("running", status(job));
        assertEquals(0, summary(rescuing).getInteger("requeued"));
    }

    @Test
    void aLeaseJustPastItsHorizonIsRequeuedAndTheSummaryRecorded() throws Exception {
        UUID job = submit(userWithCredits(10), "echo", new JsonObject(), 10, 3);
        String ghost = "ghost-" + UUID.randomUUID();
        claimAsGhost(ghost);
        clock.advance(Duration.ofSeconds(LEASE + 1));

        String rescuing = "rescuer-" + UUID.randomUUID();
        var recovery = rescuer.rescue(rescuing).await().atMost(Duration.ofSeconds(5));

        assertEquals(new JobQueue.Recovery(1, 0), recovery);
        JsonObject row = row(job);
        assertEquals("queued", row.getString("status"));
        assertEquals(1, row.getInteger("attempts"), "the lost attempt counts");
        assertEquals(ghost, row.getJsonArray("error_history").getJsonObject(0).getString("worker"));
        JsonObject summary = summary(rescuing);
        assertEquals(1, summary.getInteger("requeued"));
        assertEquals(0, summary.getInteger("dead"));
        assertEquals(clock.instant().getEpochSecond(), OffsetDateTime.parse(summary.getString("at")).toEpochSecond(), 2);
        assertEquals(Map.of("hold", 1L), ledger(job), "still held for its next attempt");
    }

    @Test
    void anExpiredLeaseOnTheLastAttemptGoesDeadAndReleases() throws Exception {
        UUID job = submit(userWithCredits(10), "echo", new JsonObject(), 10, 1);
        claimAsGhost("ghost-" + UUID.randomUUID());
        clock.advance(Duration.ofSeconds(LEASE + 1));

        String rescuing = "rescuer-" + UUID.randomUUID();
        assertEquals(new JobQueue.Recovery(0, 1), rescuer.rescue(rescuing).await().atMost(Duration.ofSeconds(5)));

        assertEquals("dead", status(job));
        assertEquals(1L, ((Number) TestDatabase.single("SELECT count(*) FROM jobs.job_dead_letters WHERE job_id = ?",
                job)).longValue());
        assertEquals(Map.of("hold", 1L, "release", 1L), ledger(job));
        assertEquals(1, summary(rescuing).getInteger("dead"));
    }

    @Test
    void aRenewedLeaseOutlivesTheOriginalHorizon() throws Exception {
        UUID job = submit(userWithCredits(10), "echo",
                new JsonObject().put("simulate", new JsonObject().put("latency_ms", 60_000)), 10, 3);
        Worker worker = start("renewing-" + UUID.randomUUID());
        await(() -> worker.inFlight() == 1, WITHIN, "the job to be claimed");

        clock.advance(Duration.ofSeconds(LEASE * 2 / 3));
        worker.renewLeases().await().atMost(Duration.ofSeconds(5));
        clock.advance(Duration.ofSeconds(LEASE * 2 / 3));
        var recovery = rescuer.rescue("rescuer-" + UUID.randomUUID()).await().atMost(Duration.ofSeconds(5));

        assertEquals(new JobQueue.Recovery(0, 0), recovery, "400 s after the claim, 200 s after the renewal");
        assertEquals("running", status(job));
        assertEquals(worker.id(), row(job).getString("locked_by"));
    }

    @Test
    void aWorkerPausedPastItsLeaseCannotOverwriteTheResultOfTheWorkerThatTookOver() throws Exception {
        UUID user = userWithCredits(10);
        UUID job = submit(user, "echo", new JsonObject().put("simulate", new JsonObject().put("latency_ms", 3000)), 10, 3);
        Worker paused = start("paused-" + UUID.randomUUID(), 1);
        await(() -> paused.inFlight() == 1, WITHIN, "worker A to claim");

        clock.advance(Duration.ofSeconds(LEASE + 1));
        assertEquals(new JobQueue.Recovery(1, 0),
                rescuer.rescue("rescuer-" + UUID.randomUUID()).await().atMost(Duration.ofSeconds(5)));
        // B takes the job over by hand, so it certainly holds it when A's late answer arrives
        String takeover = "takeover-" + UUID.randomUUID();
        List<ClaimedJob> taken = queue.claim(takeover, 10, LEASE, clock.instant()).await().atMost(Duration.ofSeconds(5));
        assertEquals(List.of(job), taken.stream().map(ClaimedJob::id).toList());

        await(() -> paused.count(Outcome.LOST_LEASE) == 1, WITHIN, "A's late completion to be refused");
        assertEquals("running", status(job), "A's answer changed nothing");
        assertEquals(takeover, row(job).getString("locked_by"));
        assertEquals(Map.of("hold", 1L), ledger(job), "and captured nothing");

        assertEquals(true, queue.complete(job, takeover, 2, new JsonObject().put("by", "B"), clock.instant())
                .await().atMost(Duration.ofSeconds(5)));
        JsonObject row = row(job);
        assertEquals("succeeded", row.getString("status"));
        assertEquals(2, row.getInteger("attempts"));
        assertNull(row.getValue("locked_by"));
        assertEquals(Map.of("hold", 1L, "capture", 1L), ledger(job), "exactly one capture");
    }

    @Test
    void aLateFailureOfALostLeaseIsFencedToo() throws Exception {
        UUID job = submit(userWithCredits(10), "echo",
                new JsonObject().put("simulate", new JsonObject().put("latency_ms", 3000).put("fail_always", true)), 10, 2);
        Worker paused = start("paused-" + UUID.randomUUID(), 1);
        await(() -> paused.inFlight() == 1, WITHIN, "A to claim");
        clock.advance(Duration.ofSeconds(LEASE + 1));
        rescuer.rescue("rescuer-" + UUID.randomUUID()).await().atMost(Duration.ofSeconds(5));
        List<ClaimedJob> second = queue.claim("holder-" + UUID.randomUUID(), 1, LEASE, clock.instant())
                .await().atMost(Duration.ofSeconds(5));
        assertEquals(1, second.size());

        await(() -> paused.count(Outcome.LOST_LEASE) == 1, WITHIN, "A's late failure to be refused");
        JsonObject row = row(job);
        assertEquals("running", row.getString("status"), "not dead, although A failed what was its last attempt");
        assertEquals(1, row.getJsonArray("error_history").size(), "only the rescue is in the history");
        assertEquals(Map.of("hold", 1L), ledger(job), "nothing released");
        clock.advance(Duration.ofSeconds(LEASE + 1));
        rescuer.rescue("rescuer-" + UUID.randomUUID()).await().atMost(Duration.ofSeconds(5));
    }

    @Test
    void aWorkerBeatsWithItsJobsInFlight() throws Exception {
        submit(userWithCredits(10), "echo", new JsonObject().put("simulate", new JsonObject().put("latency_ms", 60_000)),
                10, 3);
        Worker worker = start("beating-" + UUID.randomUUID());
        await(() -> worker.inFlight() == 1, WITHIN, "the job to be claimed");
        JsonObject first = heartbeat(worker.id());

        clock.advance(Duration.ofSeconds(5));
        worker.beat().await().atMost(Duration.ofSeconds(5));
        JsonObject second = heartbeat(worker.id());

        assertEquals(first.getString("started_at"), second.getString("started_at"));
        assertEquals(5, Duration.between(OffsetDateTime.parse(first.getString("last_beat")),
                OffsetDateTime.parse(second.getString("last_beat"))).toSeconds(), 1);
        assertEquals(1, second.getInteger("in_flight"));
        assertEquals(0, second.getJsonObject("recovered_last_summary").getInteger("requeued"),
                "the start-up recovery wrote its summary");
    }

    private static JsonObject heartbeat(String workerId) throws Exception {
        return new JsonObject((String) TestDatabase.single(
                "SELECT to_jsonb(h)::text FROM worker.heartbeats h WHERE worker_id = ?", workerId));
    }

    @Test
    void jobsALostClaimAnswerLeasedToAWorkerAreHandedBackAndRunOnceWhileItsOwnJobsRunOn() throws Exception {
        UUID user = userWithCredits(30);
        UUID quick = submit(user, "echo", new JsonObject().put("simulate", new JsonObject().put("latency_ms", 1500)), 10, 3);
        UUID slow = submit(user, "echo", new JsonObject().put("simulate", new JsonObject().put("latency_ms", 6000)), 10, 3);
        String id = "lost-answer-" + UUID.randomUUID();
        Worker worker = start(id, 2);
        await(() -> worker.inFlight() == 2, Duration.ofSeconds(10), "both jobs running");

        // a claim that committed while its answer was lost: leased to the worker, unknown to it
        UUID orphan = submit(user, "echo", new JsonObject(), 10, 3);
        claimAsGhost(id);
        worker.claimAnswerMayBeLost();

        for (UUID job : List.of(quick, slow, orphan)) {
            JobFixtures.awaitStatus(job, "succeeded", Duration.ofSeconds(20));
            assertEquals(1, JobFixtures.attempts(job), "ran once: " + job);
            assertEquals(Map.of("hold", 1L, "capture", 1L), ledger(job));
        }
    }
}
