package dev.metered.ops;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.metered.testing.Concurrently;
import dev.metered.testing.TestDatabase;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

@QuarkusTest
class DeadLetterTest {

    @AfterAll
    static void everyAccountEqualsItsLedger() throws Exception {
        OpsFixtures.assertNoLedgerDrift();
    }

    @Test
    void aRequeueTakesANewHoldAndQueuesTheJobWithFreshAttempts() throws Exception {
        UUID user = OpsFixtures.userWithCredits(5);
        UUID job = OpsFixtures.deadJob(user, 2);
        long letter = OpsFixtures.deadLetterOf(job);
        assertEquals(5, OpsFixtures.balance(user));

        OpsFixtures.admin("alice").post("/api/ops/dead-letters/" + letter + "/requeue").then().statusCode(200)
                .body("job_id", equalTo(job.toString())).body("status", equalTo("queued"))
                .body("hold_key", equalTo("job:" + job + ":hold:dl" + letter));
        assertEquals(3, OpsFixtures.balance(user));
        assertEquals("queued|0", TestDatabase.single("SELECT status || '|' || attempts FROM jobs.jobs WHERE id = ?", job));
        OpsFixtures.admin().get("/api/ops/jobs/" + job).then().statusCode(200)
                .body("hold_key", equalTo("job:" + job + ":hold:dl" + letter))
                .body("error_history[0].error", equalTo("provider timed out"));

        OpsFixtures.admin().post("/api/ops/dead-letters/" + letter + "/requeue").then().statusCode(409)
                .contentType("application/problem+json");
        assertEquals(3, OpsFixtures.balance(user));
        assertEquals(2, OpsFixtures.ledgerRows(user, "hold"));
        assertEquals(1L, TestDatabase.single("SELECT count(*) FROM ops.audit_log WHERE path = ? AND outcome = 200"
                + " AND detail ->> 'job_id' = ? AND actor = 'alice'", "/api/ops/dead-letters/" + letter + "/requeue",
                job.toString()));

        // the requeued job, when it succeeds, captures the new hold: the old one stays released
        String worker = "ops-test-worker";
        TestDatabase.execute("UPDATE jobs.jobs SET run_after = '2000-01-01' WHERE id = ?", job);
        assertEquals(List.of(job), TestDatabase.asRole("metered_worker",
                "SELECT id FROM jobs.claim(?, 1, 60, now())", worker));
        assertEquals(List.of(true), TestDatabase.asRole("metered_worker",
                "SELECT jobs.complete(?, ?, 1, '{}', now())", job, worker));
        assertEquals(3, OpsFixtures.balance(user));
        assertEquals(1, OpsFixtures.ledgerRows(user, "capture"));
        assertEquals(1, OpsFixtures.ledgerRows(user, "release"));
    }

    @Test
    void concurrentRequeuesOfOneLetterMakeOneHold() throws Exception {
        UUID user = OpsFixtures.userWithCredits(10);
        UUID job = OpsFixtures.deadJob(user, 1);
        long letter = OpsFixtures.deadLetterOf(job);
        List<Integer> statuses = Concurrently.run(12, () -> OpsFixtures.admin()
                .post("/api/ops/dead-letters/" + letter + "/requeue").statusCode());
        Map<Integer, Long> counts = statuses.stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
        assertEquals(Map.of(200, 1L, 409, 11L), counts);
        assertEquals(2, OpsFixtures.ledgerRows(user, "hold"));
        assertEquals(9, OpsFixtures.balance(user));
    }

    @Test
    void aUserWhoCannotPayIsRefusedWith402AndNothingChanges() throws Exception {
        UUID user = OpsFixtures.userWithCredits(1);
        UUID job = OpsFixtures.deadJob(user, 1);
        OpsFixtures.queuedJob(user, 1, 3); // spends the credit the dead job gave back
        assertEquals(0, OpsFixtures.balance(user));
        long letter = OpsFixtures.deadLetterOf(job);
        OpsFixtures.admin().post("/api/ops/dead-letters/" + letter + "/requeue").then().statusCode(402)
                .contentType("application/problem+json");
        assertEquals("dead", TestDatabase.single("SELECT status FROM jobs.jobs WHERE id = ?", job));
        assertEquals(null, TestDatabase.single("SELECT requeued_at FROM jobs.job_dead_letters WHERE id = ?", letter));
    }

    @Test
    void unknownLettersAre404() {
        OpsFixtures.admin().post("/api/ops/dead-letters/999999999/requeue").then().statusCode(404)
                .contentType("application/problem+json");
        OpsFixtures.admin().post("/api/ops/dead-letters/abc/requeue").then().statusCode(404);
        OpsFixtures.admin().post("/api/ops/dead-letters/-1/requeue").then().statusCode(404);
    }

    @Test
    void theListPagesNewestFirstWithoutRepeats() throws Exception {
        UUID user = OpsFixtures.userWithCredits(5);
        Set<Long> mine = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            mine.add(OpsFixtures.deadLetterOf(OpsFixtures.deadJob(user, 1)));
        }
        List<Long> seen = new ArrayList<>();
        String cursor = null;
        do {
            var page = OpsFixtures.admin().queryParam("limit", 2).queryParam("cursor", cursor == null ? "" : cursor)
                    .get("/api/ops/dead-letters").then().statusCode(200).extract().jsonPath();
            seen.addAll(page.getList("items.id", Long.class));
            cursor = page.getString("next_cursor");
        } while (cursor != null);
        assertEquals(seen.size(), new HashSet<>(seen).size(), "a letter appeared twice: " + seen);
        assertEquals(true, seen.containsAll(mine));
        OpsFixtures.admin().get("/api/ops/dead-letters?limit=1").then().statusCode(200)
                .body("items[0].error_history[0].error", equalTo("provider timed out"))
                .body("items[0].user_id", notNullValue()).body("next_cursor", notNullValue());
        OpsFixtures.admin().get("/api/ops/dead-letters?cursor=garbage").then().statusCode(400);
        OpsFixtures.admin().get("/api/ops/dead-letters?limit=0").then().statusCode(400)
                .body("errors.field", hasItem("limit"));
    }
}
