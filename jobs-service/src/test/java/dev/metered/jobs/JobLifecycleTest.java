package dev.metered.jobs;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.metered.testing.Concurrently;
import dev.metered.testing.TestDatabase;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Reading, listing and cancelling jobs, and the deprecated kling aliases. */
@QuarkusTest
class JobLifecycleTest {

    @AfterAll
    static void everyAccountEqualsItsLedger() throws SQLException {
        JobsFixtures.assertNoLedgerDrift();
    }

    private static String submit(JobsFixtures user) {
        return user.submit(null, "{\"type\":\"echo\",\"input\":{}}").then().statusCode(201).extract().path("job_id");
    }

    @Test
    void onlyTheOwnerSeesAJob() throws Exception {
        JobsFixtures owner = new JobsFixtures().credits(2);
        String jobId = submit(owner);
        owner.request().get("/api/jobs/" + jobId).then().statusCode(200).body("job_id", equalTo(jobId))
                .body("type", equalTo("echo")).body("status", equalTo("queued")).body("cost", equalTo(1))
                .body("attempts", equalTo(0)).body("created_at", notNullValue()).body("updated_at", notNullValue());
        JobsFixtures stranger = new JobsFixtures();
        stranger.request().get("/api/jobs/" + jobId).then().statusCode(404).contentType("application/problem+json");
        stranger.request().post("/api/jobs/" + jobId + "/cancel").then().statusCode(404);
        owner.request().get("/api/jobs/not-a-uuid").then().statusCode(404);
        owner.request().get("/api/jobs/00000000-0000-0000-0000-000000000000").then().statusCode(404);
    }

    @Test
    void theListPagesNewestFirstAndFiltersByStatus() throws Exception {
        JobsFixtures user = new JobsFixtures().credits(10);
        List<String> submitted = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            submitted.add(submit(user));
        }
        user.request().post("/api/jobs/" + submitted.get(0) + "/cancel").then().statusCode(200);
        List<String> seen = new ArrayList<>();
        String cursor = null;
        do {
            Response page = user.request().queryParam("limit", 2).queryParam("cursor", cursor == null ? "" : cursor)
                    .get("/api/jobs");
            page.then().statusCode(200);
            seen.addAll(page.path("items.job_id"));
            cursor = page.path("next_cursor");
        } while (cursor != null);
        List<String> newestFirst = new ArrayList<>(submitted);
        java.util.Collections.reverse(newestFirst);
        assertEquals(newestFirst, seen);
        user.request().queryParam("status", "cancelled").get("/api/jobs").then().statusCode(200)
                .body("items.size()", equalTo(1)).body("items[0].job_id", equalTo(submitted.get(0)));
        user.request().queryParam("status", "exploded").get("/api/jobs").then().statusCode(400)
                .body("errors.field", hasItem("status"));
        user.request().queryParam("limit", 0).get("/api/jobs").then().statusCode(400);
        user.request().queryParam("cursor", "garbage").get("/api/jobs").then().statusCode(400);
    }

    @Test
    void cancellingAQueuedJobReleasesItsHoldOnce() throws Exception {
        JobsFixtures user = new JobsFixtures().credits(3);
        String jobId = submit(user);
        assertEquals(2, user.balance());
        user.request().post("/api/jobs/" + jobId + "/cancel").then().statusCode(200).body("status", equalTo("cancelled"));
        user.request().post("/api/jobs/" + jobId + "/cancel").then().statusCode(200).body("status", equalTo("cancelled"));
        assertEquals(3, user.balance());
        assertEquals(1, user.ledgerRows("release"));
        assertEquals(jobId, TestDatabase.single("SELECT reference FROM billing.credit_ledger WHERE user_id = ?"
                + " AND kind = 'release'", user.user));
    }

    @Test
    void aRunningJobCannotBeCancelled() throws Exception {
        JobsFixtures user = new JobsFixtures().credits(3);
        String jobId = submit(user);
        TestDatabase.asRole("metered_worker", "SELECT id FROM jobs.claim(?, 1000, 60, now())", "cancel-test-worker");
        user.request().post("/api/jobs/" + jobId + "/cancel").then().statusCode(409)
                .contentType("application/problem+json").body("type", equalTo("urn:metered:problem:job-not-queued"));
        assertEquals(0, user.ledgerRows("release"));
    }

    @Test
    void aCancelRacingAClaimHasExactlyOneWinner() throws Exception {
        for (int round = 0; round < 10; round++) {
            JobsFixtures user = new JobsFixtures().credits(3);
            String jobId = submit(user);
            AtomicInteger turn = new AtomicInteger();
            List<String> outcomes = Concurrently.run(2, () -> {
                if (turn.getAndIncrement() == 0) {
                    return "cancel:" + user.request().post("/api/jobs/" + jobId + "/cancel").statusCode();
                }
                return "claimed:" + TestDatabase.asRole("metered_worker",
                        "SELECT count(*) FROM jobs.claim(?, 1000, 60, now()) c WHERE c.id = ?::uuid", "racer", jobId).get(0);
            });
            boolean cancelled = outcomes.contains("cancel:200");
            boolean claimed = outcomes.contains("claimed:1");
            assertEquals(true, cancelled ^ claimed, outcomes.toString());
            String status = (String) TestDatabase.single("SELECT status FROM jobs.jobs WHERE id = ?::uuid", jobId);
            assertEquals(cancelled ? "cancelled" : "running", status);
            assertEquals(cancelled ? 1 : 0, user.ledgerRows("release"));
        }
    }

    @Test
    void theKlingAliasesSubmitVideoKlingJobsAndSayTheyAreDeprecated() throws Exception {
        JobsFixtures user = new JobsFixtures().credits(25);
        Response created = user.request().header("Idempotency-Key", "kling-1").body("{\"prompt\":\"a cat\"}")
                .post("/api/kling/jobs");
        created.then().statusCode(201).body("cost", equalTo(10)).header("Deprecation", notNullValue())
                .header("Sunset", notNullValue()).header("Link", org.hamcrest.Matchers.containsString("/api/jobs"));
        String jobId = created.path("job_id");
        user.request().header("Idempotency-Key", "kling-1").body("{\"prompt\":\"a cat\"}").post("/api/kling/generate")
                .then().statusCode(200).body("job_id", equalTo(jobId));
        user.request().get("/api/kling/jobs/" + jobId).then().statusCode(200).body("type", equalTo("video.kling"))
                .header("Deprecation", notNullValue());
        user.request().get("/api/kling/status/" + jobId).then().statusCode(200);
        submit(user);
        user.request().get("/api/kling/jobs").then().statusCode(200).body("items.size()", equalTo(1));
        user.request().get("/api/kling/jobs/not-a-job").then().statusCode(404).header("Sunset", notNullValue());
        user.request().post("/api/kling/jobs/" + jobId + "/cancel").then().statusCode(200);
        given().get("/api/jobs/" + jobId).then().statusCode(401);
    }

    private static String cursor(String text) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Well-formed cursors that no row can have produced: a 400 on both lists, never the database's "out of range" as a 500. */
    @Test
    void cursorsOutsideWhatPostgresqlStoresAreProblems() {
        JobsFixtures user = new JobsFixtures();
        String job = "00000000-0000-4000-8000-000000000000";
        for (String list : new String[] { "/api/jobs", "/api/kling/jobs" }) {
            for (String text : new String[] { "+294277-01-01T00:00:00Z|" + job, "+999999999-12-31T23:59:59Z|" + job,
                    "-4713-11-23T23:59:59.999999Z|" + job, "2025-01-01T00:00:00Z|" + job + "\u0000" }) {
                Response response = user.request().queryParam("cursor", cursor(text)).get(list);
                assertEquals(400, response.statusCode(), list + " " + text + ": " + response.asString());
                response.then().contentType("application/problem+json").body("errors.field", hasItem("cursor"));
            }
            for (String text : new String[] { "+294276-12-31T23:59:59.999999Z|" + job, "-4713-11-24T00:00:00Z|" + job }) {
                user.request().queryParam("cursor", cursor(text)).get(list).then().statusCode(200)
                        .body("items.size()", equalTo(0));
            }
        }
    }

    /** docs/API.md: every answer of the aliases carries the three headers, also a refusal before any method is chosen. */
    @Test
    void theKlingAliasesSayTheyAreDeprecatedOnEveryAnswer() {
        JobsFixtures user = new JobsFixtures();
        List<Response> answers = List.of(
                user.request().contentType("text/plain").body("a cat").post("/api/kling/jobs"),
                user.request().contentType("application/xml").body("<a/>").post("/api/kling/generate"),
                user.request().body("{\"prompt\":\"a cat\"}").post("/api/kling/jobs"),
                user.request().queryParam("status", "exploded").get("/api/kling/jobs"),
                given().get("/api/kling/jobs"),
                user.request().put("/api/kling/jobs"));
        List<Integer> statuses = answers.stream().map(Response::statusCode).toList();
        assertEquals(List.of(415, 415, 402, 400, 401, 405), statuses);
        for (Response answer : answers) {
            answer.then().contentType("application/problem+json").header("Deprecation", notNullValue())
                    .header("Sunset", notNullValue()).header("Link", org.hamcrest.Matchers.containsString("/api/jobs"));
        }
    }
}
