package dev.metered.jobs;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metered.testing.Concurrently;
import dev.metered.testing.TestDatabase;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

@QuarkusTest
class JobSubmissionTest {

    @AfterAll
    static void everyAccountEqualsItsLedger() throws SQLException {
        JobsFixtures.assertNoLedgerDrift();
    }

    @Test
    void aSubmissionCreatesTheJobHoldsItsServerSideCostAndWakesTheWorkers() throws Exception {
        JobsFixtures user = new JobsFixtures().credits(5);
        try (Connection listener = TestDatabase.admin(); Statement listen = listener.createStatement()) {
            listen.execute("LISTEN jobs_queued");
            Response created = user.submit("first", "{\"type\":\"echo\",\"input\":{\"text\":\"hi\"},\"cost\":0}");
            created.then().statusCode(201).body("status", equalTo("queued")).body("cost", equalTo(1));
            String jobId = created.path("job_id");

            assertEquals(4, user.balance());
            assertEquals("object", TestDatabase.single("SELECT jsonb_typeof(input) FROM jobs.jobs WHERE id = ?::uuid", jobId));
            assertEquals("hi", TestDatabase.single("SELECT input->>'text' FROM jobs.jobs WHERE id = ?::uuid", jobId));
            assertEquals(jobId, TestDatabase.single("SELECT reference FROM billing.credit_ledger WHERE user_id = ?"
                    + " AND kind = 'hold'", user.user));
            PGNotification[] notifications = listener.unwrap(PGConnection.class).getNotifications(5_000);
            assertTrue(notifications != null && notifications.length > 0, "no NOTIFY jobs_queued");
        }
    }

    @Test
    void aRepeatWithTheSameKeyAndBodyReturnsTheJobWithoutAnotherHold() throws Exception {
        JobsFixtures user = new JobsFixtures().credits(5);
        String first = user.submit("same", "{\"type\":\"echo\",\"input\":{\"a\":1,\"b\":[1,2]}}").then().statusCode(201)
                .extract().path("job_id");
        user.submit("same", "{\"type\":\"echo\",\"input\":{\"b\":[1,2],\"a\":1}}").then().statusCode(200)
                .body("job_id", equalTo(first));
        user.request().body("{\"type\":\"echo\",\"input\":{\"a\":1,\"b\":[1,2]},\"idempotency_key\":\"same\"}")
                .post("/api/jobs").then().statusCode(200).body("job_id", equalTo(first));
        assertEquals(1, user.ledgerRows("hold"));
        assertEquals(4, user.balance());
    }

    @Test
    void theSameKeyWithAnotherBodyIsAConflict() throws Exception {
        JobsFixtures user = new JobsFixtures().credits(5);
        user.submit("k", "{\"type\":\"echo\",\"input\":{\"a\":1}}").then().statusCode(201);
        user.submit("k", "{\"type\":\"echo\",\"input\":{\"a\":2}}").then().statusCode(409)
                .contentType("application/problem+json").body("type", equalTo("urn:metered:problem:idempotency-key-reused"));
        user.submit("k", "{\"type\":\"video.kling\",\"input\":{\"a\":1}}").then().statusCode(409);
        user.request().header("Idempotency-Key", "k").body("{\"type\":\"echo\",\"input\":{\"a\":1},\"idempotency_key\":\"other\"}")
                .post("/api/jobs").then().statusCode(400).body("errors.field", hasItem("idempotency_key"));
        assertEquals(1, user.jobs());
    }

    @Test
    void twentyConcurrentSubmissionsWithOneKeyGiveOneJobAndOneHold() throws Exception {
        JobsFixtures user = new JobsFixtures().credits(50);
        List<Response> responses = Concurrently.run(20, () -> user.submit("storm", "{\"type\":\"echo\",\"input\":{}}"));
        List<Integer> statuses = responses.stream().map(Response::statusCode).toList();
        assertEquals(1, statuses.stream().filter(s -> s == 201).count(), statuses.toString());
        assertEquals(19, statuses.stream().filter(s -> s == 200).count(), statuses.toString());
        assertEquals(1, responses.stream().map(r -> r.<String>path("job_id")).distinct().count());
        assertEquals(1, user.jobs());
        assertEquals(1, user.ledgerRows("hold"));
    }

    @Test
    void withoutCreditsThereIsA402AndNoJob() throws Exception {
        JobsFixtures user = new JobsFixtures().credits(5);
        user.submit(null, "{\"type\":\"video.kling\",\"input\":{}}").then().statusCode(402)
                .contentType("application/problem+json").body("type", equalTo("urn:metered:problem:insufficient-credits"));
        assertEquals(0, user.jobs());
        assertEquals(0, user.ledgerRows("hold"));
        assertEquals(5, user.balance());
    }

    @Test
    void aRefundOfSpentCreditsMakesTheNextJob402() throws Exception {
        JobsFixtures user = new JobsFixtures().credits(3);
        String jobId = user.submit(null, "{\"type\":\"echo\",\"input\":{}}").then().statusCode(201).extract().path("job_id");
        TestDatabase.asRole("metered_worker", "SELECT id FROM jobs.claim(?, 100, 60, now())", "refund-test-worker");
        TestDatabase.asRole("metered_worker", "SELECT jobs.complete(?::uuid, 'refund-test-worker', 1, '{}', now())", jobId);
        TestDatabase.asRole("metered_billing", "SELECT applied FROM billing.refund(?, 3, ?, 'ch_x')", user.user,
                "evt_" + UUID.randomUUID());
        assertEquals(-1, user.balance());
        user.submit(null, "{\"type\":\"echo\",\"input\":{}}").then().statusCode(402);
    }

    @Test
    void withoutAKeyEveryCallIsANewJob() throws Exception {
        JobsFixtures user = new JobsFixtures().credits(5);
        user.submit(null, "{\"type\":\"echo\",\"input\":{}}").then().statusCode(201);
        user.submit(null, "{\"type\":\"echo\",\"input\":{}}").then().statusCode(201);
        assertEquals(2, user.jobs());
    }

    @Test
    void invalidSubmissionsAreProblems() throws Exception {
        JobsFixtures user = new JobsFixtures().credits(5);
        for (String body : new String[] { "{\"type\":\"bitcoin.mine\",\"input\":{}}", "{\"type\":\"echo\"}",
                "{\"type\":\"echo\",\"input\":[1]}", "{\"type\":\"echo\",\"input\":\"x\"}", "{\"input\":{}}",
                "{\"type\":5,\"input\":{}}", "{\"type\":\"echo\",\"input\":{\"t\":\"a\\u0000b\"}}",
                "{\"type\":\"echo\",\"input\":{\"a\\u0000\":1}}", "{\"type\":\"echo\",\"input\":{\"t\":\"\\ud800\"}}",
                "{\"type\":\"echo\",\"input\":{\"t\":\"" + "x".repeat(70_000) + "\"}}", "{", "[]" }) {
            Response response = user.submit("bad-" + body.hashCode(), body);
            assertEquals(400, response.statusCode(), body + " -> " + response.asString());
            assertEquals("application/problem+json", response.contentType());
        }
        user.submit("bad-key", "{\"type\":\"echo\",\"input\":{}}").then().statusCode(201);
        user.request().header("Idempotency-Key", "has space").body("{\"type\":\"echo\",\"input\":{}}").post("/api/jobs")
                .then().statusCode(400);
        assertEquals(1, user.jobs());
    }

    @Test
    void callsWithoutAValidTokenAreRefused() {
        io.restassured.RestAssured.given().contentType("application/json").body("{\"type\":\"echo\",\"input\":{}}")
                .post("/api/jobs").then().statusCode(401).contentType("application/problem+json");
    }
}
