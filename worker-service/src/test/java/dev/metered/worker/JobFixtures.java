package dev.metered.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.metered.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.BooleanSupplier;

/** Acts as jobs-service and billing-service would: credits for users, jobs submitted with their hold. */
final class JobFixtures {

    private JobFixtures() {
    }

    static UUID userWithCredits(long credits) throws SQLException {
        UUID user = UUID.randomUUID();
        try (Connection db = TestDatabase.admin(); Statement role = db.createStatement()) {
            role.execute("SET ROLE metered_billing");
            try (PreparedStatement topup = db.prepareStatement("SELECT billing.topup(?, ?, ?, 'test')")) {
                topup.setObject(1, user);
                topup.setLong(2, credits);
                topup.setString(3, "evt_" + user);
                topup.execute();
            }
        }
        return user;
    }

    static UUID submit(UUID user, String type, JsonObject input, long cost, int maxAttempts) throws SQLException {
        return submitMany(user, type, input, cost, maxAttempts, 1).get(0);
    }

    /** Inserts the jobs and their holds in one transaction, as POST /api/jobs does for one. */
    static List<UUID> submitMany(UUID user, String type, JsonObject input, long cost, int maxAttempts, int count)
            throws SQLException {
        List<UUID> ids = new ArrayList<>();
        try (Connection db = TestDatabase.admin()) {
            db.setAutoCommit(false);
            try (Statement role = db.createStatement()) {
                role.execute("SET LOCAL ROLE metered_jobs");
            }
            try (PreparedStatement insert = db.prepareStatement("""
                    INSERT INTO jobs.jobs (id, user_id, type, input, cost, max_attempts, idempotency_key, request_hash,
                                           hold_key)
                    VALUES (?, ?, ?, ?::jsonb, ?, ?, ?, 'hash', 'job:' || ?::text || ':hold')""");
                 PreparedStatement hold = db.prepareStatement("SELECT billing.hold(?, ?, 'job:' || ?::text || ':hold', ?)")) {
                for (int i = 0; i < count; i++) {
                    UUID id = UUID.randomUUID();
                    insert.setObject(1, id);
                    insert.setObject(2, user);
                    insert.setString(3, type);
                    insert.setString(4, input.encode());
                    insert.setLong(5, cost);
                    insert.setInt(6, maxAttempts);
                    insert.setString(7, "key-" + id);
                    insert.setObject(8, id);
                    insert.executeUpdate();
                    hold.setObject(1, user);
                    hold.setLong(2, cost);
                    hold.setObject(3, id);
                    hold.setObject(4, id);
                    hold.execute();
                    ids.add(id);
                }
            }
            db.commit();
        }
        return ids;
    }

    /** Ends every unfinished job left by earlier tests (releasing its hold), so each test starts on an empty queue. */
    static void emptyQueue() throws SQLException {
        TestDatabase.column("""
                WITH ended AS (
                    UPDATE jobs.jobs SET status = 'cancelled', locked_by = NULL, locked_until = NULL
                     WHERE status IN ('queued', 'running') RETURNING hold_key)
                SELECT billing.release(hold_key) FROM ended""");
    }

    static String status(UUID job) throws SQLException {
        return (String) TestDatabase.single("SELECT status FROM jobs.jobs WHERE id = ?", job);
    }

    static int attempts(UUID job) throws SQLException {
        return ((Number) TestDatabase.single("SELECT attempts FROM jobs.jobs WHERE id = ?", job)).intValue();
    }

    static JsonObject row(UUID job) throws SQLException {
        return new JsonObject((String) TestDatabase.single("SELECT to_jsonb(j)::text FROM jobs.jobs j WHERE id = ?", job));
    }

    /** Ledger kinds written for a job, with their counts: e.g. {capture=1, hold=1}. */
    static Map<String, Long> ledger(UUID job) throws SQLException {
        Map<String, Long> kinds = new TreeMap<>();
        for (Object kind : TestDatabase.column("SELECT kind FROM billing.credit_ledger WHERE reference = ?", job.toString())) {
            kinds.merge((String) kind, 1L, Long::sum);
        }
        return kinds;
    }

    static long balance(UUID user) throws SQLException {
        return ((Number) TestDatabase.single("SELECT balance FROM billing.accounts WHERE user_id = ?", user)).longValue();
    }

    static void assertNoLedgerDrift() throws SQLException {
        assertEquals(0L, ((Number) TestDatabase.single("SELECT count(*) FROM billing.ledger_drift")).longValue(),
                "balance = SUM(amount) and held = open holds for every account");
    }

    static void awaitStatus(UUID job, String status, Duration within) throws Exception {
        await(() -> {
            try {
                return status.equals(status(job));
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }, within, "job " + job + " to become " + status);
    }

    /** Waits for asynchronous work (not for time to pass: tests move the clock for that). */
    static void await(BooleanSupplier condition, Duration within, String what) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }
}
