package dev.metered.billing;

import static dev.metered.testing.TestDatabase.asRole;
import static dev.metered.billing.BillingFixtures.balance;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metered.testing.Concurrently;
import dev.metered.testing.TestDatabase;
import io.quarkus.test.junit.QuarkusTest;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The published ledger functions, called as the roles that own the calling services. */
@QuarkusTest
class LedgerFunctionsTest {

    private static final String HOLD = "SELECT applied FROM billing.hold(?, ?, ?, ?)";

    @AfterAll
    static void everyAccountEqualsItsLedger() throws SQLException {
        BillingFixtures.assertNoLedgerDrift();
    }

    @Test
    void holdTakesTheCostAndIsIdempotentOnItsKey() throws Exception {
        UUID user = BillingFixtures.userWithCredits(10);
        UUID job = UUID.randomUUID();
        assertEquals(List.of(true), asRole("metered_jobs", HOLD, user, 4L, "job:" + job + ":hold", job));
        assertEquals(List.of(false), asRole("metered_jobs", HOLD, user, 4L, "job:" + job + ":hold", job));
        assertEquals(6, balance(user));
        assertEquals(4L, ((Number) TestDatabase.single("SELECT held FROM billing.accounts WHERE user_id = ?", user)).longValue());
        assertEquals(1, BillingFixtures.ledgerRows(user, "hold"));
    }

    @Test
    void theSameKeyWithOtherValuesIsRefused() throws Exception {
        UUID user = BillingFixtures.userWithCredits(10);
        UUID job = UUID.randomUUID();
        asRole("metered_jobs", HOLD, user, 4L, "job:" + job + ":hold", job);
        assertSqlState("MB409", () -> asRole("metered_jobs", HOLD, user, 5L, "job:" + job + ":hold", job));
        assertSqlState("MB409", () -> asRole("metered_jobs", HOLD, UUID.randomUUID(), 4L, "job:" + job + ":hold", job));
    }

    @Test
    void aHoldNeverTakesTheBalanceBelowZero() throws Exception {
        UUID user = BillingFixtures.userWithCredits(3);
        UUID job = UUID.randomUUID();
        assertSqlState("MB402", () -> asRole("metered_jobs", HOLD, user, 4L, "job:" + job + ":hold", job));
        assertSqlState("MB402", () -> asRole("metered_jobs", HOLD, UUID.randomUUID(), 1L, "job:" + job + ":hold", job));
        assertEquals(3, balance(user));
    }

    @Test
    void holdArgumentsAreChecked() throws Exception {
        UUID user = BillingFixtures.userWithCredits(3);
        UUID job = UUID.randomUUID();
        assertSqlState("MB422", () -> asRole("metered_jobs", HOLD, user, 0L, "job:" + job + ":hold", job));
        assertSqlState("MB422", () -> asRole("metered_jobs", HOLD, user, -1L, "job:" + job + ":hold", job));
        assertSqlState("MB422", () -> asRole("metered_jobs", HOLD, user, 1L, "job:" + UUID.randomUUID() + ":hold", job));
        assertSqlState("MB422", () -> asRole("metered_jobs", HOLD, user, 1L, "stripe:evt_1:topup", job));
    }

    @Test
    void captureXorReleaseEachSettlesAHoldOnce() throws Exception {
        UUID user = BillingFixtures.userWithCredits(10);
        UUID captured = UUID.randomUUID();
        UUID released = UUID.randomUUID();
        asRole("metered_jobs", HOLD, user, 3L, "job:" + captured + ":hold", captured);
        asRole("metered_jobs", HOLD, user, 2L, "job:" + released + ":hold", released);

        assertEquals(List.of(true), asRole("metered_worker", "SELECT applied FROM billing.capture(?)", "job:" + captured + ":hold"));
        assertEquals(List.of(false), asRole("metered_worker", "SELECT applied FROM billing.capture(?)", "job:" + captured + ":hold"));
        assertSqlState("MB409", () -> asRole("metered_worker", "SELECT applied FROM billing.release(?)", "job:" + captured + ":hold"));

        assertEquals(List.of(true), asRole("metered_jobs", "SELECT applied FROM billing.release(?)", "job:" + released + ":hold"));
        assertEquals(List.of(false), asRole("metered_worker", "SELECT applied FROM billing.release(?)", "job:" + released + ":hold"));
        assertSqlState("MB409", () -> asRole("metered_worker", "SELECT applied FROM billing.capture(?)", "job:" + released + ":hold"));

        assertEquals(7, balance(user)); // 10 - 3 captured; the released 2 came back
        assertEquals(0L, ((Number) TestDatabase.single("SELECT held FROM billing.accounts WHERE user_id = ?", user)).longValue());
        assertSqlState("MB404", () -> asRole("metered_worker", "SELECT applied FROM billing.capture(?)", "job:" + UUID.randomUUID() + ":hold"));
    }

    @Test
    void concurrentCaptureAndReleaseOfOneHoldSettleItExactlyOnce() throws Exception {
        UUID user = BillingFixtures.userWithCredits(10);
        UUID job = UUID.randomUUID();
        String key = "job:" + job + ":hold";
        asRole("metered_jobs", HOLD, user, 5L, key, job);
        AtomicInteger turn = new AtomicInteger();
        List<String> outcomes = Concurrently.run(20, () -> {
            String function = turn.getAndIncrement() % 2 == 0 ? "capture" : "release";
            try {
                return function + ":" + asRole("metered_worker", "SELECT applied FROM billing." + function + "(?)", key).get(0);
            } catch (SQLException e) {
                return function + ":" + e.getSQLState();
            }
        });
        assertEquals(1, outcomes.stream().filter(o -> o.endsWith(":true")).count(), outcomes.toString());
        assertEquals(1L, ((Number) TestDatabase.single("SELECT count(*) FROM billing.credit_ledger WHERE settles = ?", key))
                .longValue());
    }

    @Test
    void aHundredConcurrentHoldsAgainstABalanceForTenLetExactlyTenThrough() throws Exception {
        UUID user = BillingFixtures.userWithCredits(10);
        List<String> outcomes = Concurrently.run(100, () -> {
            UUID job = UUID.randomUUID();
            try {
                return String.valueOf(asRole("metered_jobs", HOLD, user, 1L, "job:" + job + ":hold", job).get(0));
            } catch (SQLException e) {
                return e.getSQLState();
            }
        });
        assertEquals(10, outcomes.stream().filter("true"::equals).count(), outcomes.toString());
        assertEquals(90, outcomes.stream().filter("MB402"::equals).count(), outcomes.toString());
        assertEquals(0, balance(user));
        assertEquals(0L, ((Number) TestDatabase.single(
                "SELECT count(*) FROM billing.credit_ledger l WHERE l.user_id = ? AND (SELECT sum(amount)"
                        + " FROM billing.credit_ledger p WHERE p.user_id = l.user_id AND p.id <= l.id) < 0", user))
                .longValue(), "the running balance never went below zero");
    }

    @Test
    void adjustmentsNeedAReasonAndAnActorAndAreIdempotent() throws Exception {
        UUID user = BillingFixtures.userWithCredits(5);
        String adjust = "SELECT applied FROM billing.adjust(?, ?, ?, ?, ?)";
        assertEquals(List.of(true), asRole("metered_ops", adjust, user, -2L, "goodwill reversal", "ticket-17", "ops:alice"));
        assertEquals(List.of(false), asRole("metered_ops", adjust, user, -2L, "goodwill reversal", "ticket-17", "ops:alice"));
        assertSqlState("MB422", () -> asRole("metered_ops", adjust, user, 2L, " ", "ticket-18", "ops:alice"));
        assertSqlState("MB422", () -> asRole("metered_ops", adjust, user, 0L, "nothing", "ticket-19", "ops:alice"));
        assertEquals(3, balance(user));
        assertEquals("admin:ticket-17", TestDatabase.single(
                "SELECT idempotency_key FROM billing.credit_ledger WHERE user_id = ? AND kind = 'adjustment'", user));
    }

    @Test
    void anAdjustmentCannotTakeTheBalanceBelowZeroButItsReplayStillAnswers() throws Exception {
        UUID user = BillingFixtures.userWithCredits(3);
        String adjust = "SELECT applied FROM billing.adjust(?, ?, ?, ?, ?)";
        assertSqlState("MB402", () -> asRole("metered_ops", adjust, user, -4L, "chargeback", "ticket-40", "ops:bob"));
        assertEquals(List.of(true), asRole("metered_ops", adjust, user, -3L, "chargeback", "ticket-41", "ops:bob"));
        assertEquals(List.of(false), asRole("metered_ops", adjust, user, -3L, "chargeback", "ticket-41", "ops:bob"));
        assertEquals(0, balance(user));
    }

    @Test
    void opsReadsThroughItsViewsOnly() throws Exception {
        UUID user = BillingFixtures.userWithCredits(2);
        assertEquals(List.of(2L), asRole("metered_ops", "SELECT balance FROM billing.ops_accounts WHERE user_id = ?", user));
        assertEquals(List.of(2L), asRole("metered_ops", "SELECT sum(amount)::bigint FROM billing.ops_ledger WHERE user_id = ?", user));
        assertEquals(List.of(0L), asRole("metered_ops", "SELECT count(*) FROM billing.ops_ledger_drift"));
        assertSqlState("42501", () -> asRole("metered_ops", "SELECT count(*) FROM billing.credit_ledger"));
        assertSqlState("42501", () -> asRole("metered_ops", "SELECT payload FROM billing.webhook_events"));
        assertSqlState("42501", () -> asRole("metered_jobs", "SELECT count(*) FROM billing.ops_ledger"));
    }

    @Test
    void eachRoleMayCallOnlyWhatItNeeds() throws Exception {
        UUID user = UUID.randomUUID();
        UUID job = UUID.randomUUID();
        assertSqlState("42501", () -> asRole("metered_worker", HOLD, user, 1L, "job:" + job + ":hold", job));
        assertSqlState("42501", () -> asRole("metered_worker", "SELECT applied FROM billing.adjust(?, 1, 'r', 'k', 'a')", user));
        assertSqlState("42501", () -> asRole("metered_jobs", "SELECT applied FROM billing.topup(?, 5, 'evt_y', 'cs_y')", user));
        assertSqlState("42501", () -> asRole("metered_jobs", "SELECT applied FROM billing.adjust(?, 1, 'r', 'k', 'a')", user));
        assertSqlState("42501", () -> asRole("metered_ops", "SELECT applied FROM billing.topup(?, 5, 'evt_x', 'cs_x')", user));
        assertSqlState("42501", () -> asRole("metered_jobs", "SELECT count(*) FROM billing.credit_ledger"));
        assertSqlState("42501", () -> asRole("metered_auth", "SELECT applied FROM billing.release('job:x:hold')"));
    }

    @Test
    void theLedgerRefusesUpdatesDeletesAndTruncation() throws Exception {
        UUID user = BillingFixtures.userWithCredits(5);
        assertSqlState("MB403", () -> asRole("metered_billing",
                "UPDATE billing.credit_ledger SET amount = 500 WHERE user_id = ? RETURNING id", user));
        assertSqlState("MB403", () -> asRole("metered_billing",
                "DELETE FROM billing.credit_ledger WHERE user_id = ? RETURNING id", user));
        assertSqlState("MB403", () -> asRole("metered_billing", "TRUNCATE billing.credit_ledger CASCADE; SELECT 1"));
        assertEquals(5, balance(user));
    }

    private static void assertSqlState(String expected, org.junit.jupiter.api.function.Executable call) {
        SQLException failure = assertThrows(SQLException.class, call);
        assertEquals(expected, failure.getSQLState(), failure.getMessage());
    }
}
