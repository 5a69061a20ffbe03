package dev.metered.jobs;

import static io.restassured.RestAssured.given;

import dev.metered.testing.AccessTokens;
import dev.metered.testing.TestDatabase;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;

/** A signed-in user with credits, and calls as the other owners' roles. */
final class JobsFixtures {

    final UUID user = UUID.randomUUID();
    final String token = AccessTokens.forUser(user);

    JobsFixtures credits(long amount) throws SQLException {
        TestDatabase.asRole("metered_billing", "SELECT applied FROM billing.topup(?, ?, ?, 'test')", user, amount,
                "evt_" + UUID.randomUUID());
        return this;
    }

    RequestSpecification request() {
        return given().header("Authorization", "Bearer " + token).contentType("application/json");
    }

    Response submit(String key, String body) {
        RequestSpecification request = request().body(body);
        if (key != null) {
            request.header("Idempotency-Key", key);
        }
        return request.post("/api/jobs");
    }

    long balance() throws SQLException {
        List<Object> values = TestDatabase.column("SELECT balance FROM billing.accounts WHERE user_id = ?", user);
        return values.isEmpty() ? 0 : ((Number) values.get(0)).longValue();
    }

    long ledgerRows(String kind) throws SQLException {
        return ((Number) TestDatabase.single("SELECT count(*) FROM billing.credit_ledger WHERE user_id = ? AND kind = ?",
                user, kind)).longValue();
    }

    long jobs() throws SQLException {
        return ((Number) TestDatabase.single("SELECT count(*) FROM jobs.jobs WHERE user_id = ?", user)).longValue();
    }


    /** Claims up to n queued jobs as a worker would; returns their ids. */
    static List<Object> claim(String worker, int n) throws SQLException {
        return TestDatabase.asRole("metered_worker", "SELECT id FROM jobs.claim(?, ?, 60, now())", worker, n);
    }

    static void assertNoLedgerDrift() throws SQLException {
        org.junit.jupiter.api.Assertions.assertEquals(List.of(), TestDatabase.column("SELECT user_id FROM billing.ledger_drift"));
    }
}
