package dev.metered.ops;

import static io.restassured.RestAssured.given;

import dev.metered.testing.TestDatabase;
import io.restassured.specification.RequestSpecification;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;

/**
 * The state ops looks at, made the way the owners make it: users as auth, credits as billing,
 * jobs through jobs' and the worker's own functions, heartbeats as the worker.
 */
final class OpsFixtures {

    static final String ADMIN_TOKEN = "test-admin-token-0123456789abcdef";

    private OpsFixtures() {
    }

    static RequestSpecification admin() {
        return given().header("X-Admin-Token", ADMIN_TOKEN);
    }

    static RequestSpecification admin(String actor) {
        return admin().header("X-Admin-Actor", actor);
    }

    static UUID user() throws SQLException {
        String email = "user-" + UUID.randomUUID() + "@example.com";
        return (UUID) TestDatabase.asRole("metered_auth",
                "INSERT INTO auth.users (email, password_hash) VALUES (?, 'not-a-hash') RETURNING id", email).get(0);
    }

    static String emailOf(UUID user) throws SQLException {
        return (String) TestDatabase.single("SELECT email FROM auth.users WHERE id = ?", user);
    }

    static UUID userWithCredits(long credits) throws SQLException {
        UUID user = user();
        if (credits > 0) {
            TestDatabase.asRole("metered_billing", "SELECT applied FROM billing.topup(?, ?, ?, 'test')", user, credits,
                    "evt_" + UUID.randomUUID());
        }
        return user;
    }

    /** A queued job whose cost is held, inserted the way POST /api/jobs does it. */
    static UUID queuedJob(UUID user, long cost, int maxAttempts) throws SQLException {
        return queuedJob(user, cost, maxAttempts, "now()");
    }

    private static UUID queuedJob(UUID user, long cost, int maxAttempts, String runAfter) throws SQLException {
        UUID job = UUID.randomUUID();
        TestDatabase.asRole("metered_jobs", """
                WITH inserted AS (
                    INSERT INTO jobs.jobs (id, user_id, type, input, cost, max_attempts, idempotency_key, request_hash, hold_key,
                                          run_after)
                    VALUES (?, ?, 'echo', '{}', ?, ?, ?, 'test', ?, %s) RETURNING id, user_id, cost, hold_key)
                SELECT (billing.hold(user_id, cost, hold_key, id)).entry_id FROM inserted""".formatted(runAfter),
                job, user, cost, maxAttempts, "key-" + job, "job:" + job + ":hold");
        return job;
    }

    /** A job that ran out of attempts: claimed and failed by a worker, so dead-lettered with its hold released. */
    static UUID deadJob(UUID user, long cost) throws SQLException {
        // queued before every other job, so that the claim below takes this one
        UUID job = queuedJob(user, cost, 1, "'2000-01-01'");
        String worker = "test-worker-" + job;
        TestDatabase.asRole("metered_worker", "SELECT id FROM jobs.claim(?, 1, 60, now()) WHERE id = ?", worker, job);
        List<Object> status = TestDatabase.asRole("metered_worker",
                "SELECT jobs.fail(?, ?, 1, 'provider timed out', true, now(), now())", job, worker);
        if (!List.of("dead").equals(status)) {
            throw new IllegalStateException("job " + job + " did not die: " + status + " (claimed by another test?)");
        }
        return job;
    }

    static long deadLetterOf(UUID job) throws SQLException {
        return ((Number) TestDatabase.single(
                "SELECT id FROM jobs.job_dead_letters WHERE job_id = ? ORDER BY id DESC LIMIT 1", job)).longValue();
    }

    static String failedWebhookEvent(String type) throws SQLException {
        String eventId = "evt_" + UUID.randomUUID().toString().replace("-", "");
        TestDatabase.asRole("metered_billing", """
                INSERT INTO billing.webhook_events (event_id, type, payload, status, attempts, last_error, last_attempt_at)
                VALUES (?, ?, '{"data":{"object":{}}}', 'failed', 1, 'no credited checkout session', now())
                RETURNING id""", eventId, type);
        return eventId;
    }

    static long balance(UUID user) throws SQLException {
        List<Object> values = TestDatabase.column("SELECT balance FROM billing.accounts WHERE user_id = ?", user);
        return values.isEmpty() ? 0 : ((Number) values.get(0)).longValue();
    }

    static long ledgerRows(UUID user, String kind) throws SQLException {
        return ((Number) TestDatabase.single("SELECT count(*) FROM billing.credit_ledger WHERE user_id = ? AND kind = ?",
                user, kind)).longValue();
    }

    static void assertNoLedgerDrift() throws SQLException {
        org.junit.jupiter.api.Assertions.assertEquals(List.of(), TestDatabase.column("SELECT user_id FROM billing.ledger_drift"));
    }
}
