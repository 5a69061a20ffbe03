package dev.metered.ops;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.metered.testing.Concurrently;
import dev.metered.testing.TestDatabase;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

@QuarkusTest
class CreditsTest {

    @AfterAll
    static void everyAccountEqualsItsLedger() throws Exception {
        OpsFixtures.assertNoLedgerDrift();
    }

    private static Response adjust(String actor, String body) {
        return (actor == null ? OpsFixtures.admin() : OpsFixtures.admin(actor)).contentType("application/json").body(body).post("/api/ops/credits/adjust");
    }

    private static String body(UUID user, long amount, String reason, String key) {
        return "{\"user_id\":\"" + user + "\",\"amount\":" + amount + ",\"reason\":\"" + reason
                + "\",\"idempotency_key\":\"" + key + "\"}";
    }

    @Test
    void anAdjustmentIsOneLedgerRowWithItsActorAndReasonAndItsKeyMakesItOnce() throws Exception {
        UUID user = OpsFixtures.userWithCredits(3);
        String key = "ticket-" + UUID.randomUUID();
        long entry = adjust("alice", body(user, 5, "goodwill for outage", key)).then().statusCode(201)
                .body("balance", equalTo(8)).body("amount", equalTo(5)).body("actor", equalTo("ops:alice"))
                .body("idempotency_key", equalTo(key)).extract().jsonPath().getLong("entry_id");
        adjust("alice", body(user, 5, "goodwill for outage", key)).then().statusCode(200)
                .body("entry_id", equalTo((int) entry)).body("balance", equalTo(8));
        adjust("alice", body(user, 5, "another reason", key)).then().statusCode(409).contentType("application/problem+json");
        adjust("alice", body(user, 6, "goodwill for outage", key)).then().statusCode(409);
        adjust("alice", body(OpsFixtures.user(), 5, "goodwill for outage", key)).then().statusCode(409);

        assertEquals(8, OpsFixtures.balance(user));
        assertEquals(1, OpsFixtures.ledgerRows(user, "adjustment"));
        assertEquals("ops:alice|goodwill for outage|admin:" + key, TestDatabase.single(
                "SELECT actor || '|' || reason || '|' || idempotency_key FROM billing.credit_ledger"
                        + " WHERE user_id = ? AND kind = 'adjustment'", user));
        assertEquals(1L, TestDatabase.single("SELECT count(*) FROM ops.audit_log WHERE path = '/api/ops/credits/adjust'"
                + " AND outcome = 201 AND detail ->> 'idempotency_key' = ? AND actor = 'alice'", key));

        OpsFixtures.admin().get("/api/ops/users/" + user + "/credits").then().statusCode(200)
                .body("balance", equalTo(8)).body("ledger_sum", equalTo(8)).body("held", equalTo(0))
                .body("entries[0].kind", equalTo("adjustment")).body("entries[0].reason", equalTo("goodwill for outage"))
                .body("entries.kind", hasItem("topup"));
        OpsFixtures.admin().queryParam("email", OpsFixtures.emailOf(user).toUpperCase()).get("/api/ops/users")
                .then().statusCode(200).body("user_id", equalTo(user.toString()));
    }

    @Test
    void manyConcurrentCallsWithOneKeyMakeOneRow() throws Exception {
        UUID user = OpsFixtures.userWithCredits(0);
        String key = "storm-" + UUID.randomUUID();
        List<Integer> statuses = Concurrently.run(20, () -> adjust(null, body(user, 7, "storm", key)).statusCode());
        Map<Integer, Long> counts = statuses.stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
        assertEquals(Map.of(201, 1L, 200, 19L), counts);
        assertEquals(7, OpsFixtures.balance(user));
        assertEquals(1, OpsFixtures.ledgerRows(user, "adjustment"));
        assertEquals("ops:admin", TestDatabase.single(
                "SELECT actor FROM billing.credit_ledger WHERE user_id = ? AND kind = 'adjustment'", user));
    }

    @Test
    void invalidRequestsAre400WithTheField() throws Exception {
        UUID user = OpsFixtures.userWithCredits(1);
        adjust(null, "{\"user_id\":\"" + user + "\",\"amount\":1,\"idempotency_key\":\"k-1\"}").then().statusCode(400)
                .contentType("application/problem+json").body("errors.field", hasItem("reason"));
        adjust(null, body(user, 1, "   ", "k-2")).then().statusCode(400).body("errors.field", hasItem("reason"));
        adjust(null, body(user, 0, "zero", "k-3")).then().statusCode(400).body("errors.field", hasItem("amount"));
        adjust(null, body(user, 1, "bad key", "has spaces")).then().statusCode(400)
                .body("errors.field", hasItem("idempotency_key"));
        adjust(null, "{\"user_id\":\"not-a-uuid\",\"amount\":1,\"reason\":\"r\",\"idempotency_key\":\"k-4\"}")
                .then().statusCode(400).body("errors.field", hasItem("user_id"));
        adjust(null, "{\"user_id\":\"" + user + "\",\"amount\":\"1\",\"reason\":\"r\",\"idempotency_key\":\"k-5\"}")
                .then().statusCode(400);
        adjust(null, "{\"user_id\":\"" + user + "\",\"amount\":1.5,\"reason\":\"r\",\"idempotency_key\":\"k-6\"}")
                .then().statusCode(400);
        adjust(null, "{\"user_id\":\"" + user + "\",\"amount\":99999999999999,\"reason\":\"r\",\"idempotency_key\":\"k-7\"}")
                .then().statusCode(400);
        adjust(null, "{not json").then().statusCode(400).contentType("application/problem+json");
        adjust(null, "").then().statusCode(400);
        assertEquals(0, OpsFixtures.ledgerRows(user, "adjustment"));
    }

    @Test
    void unknownUsersAre404AndOverdrawingIs402() throws Exception {
        adjust(null, body(UUID.randomUUID(), 5, "typo in the id", "k-" + UUID.randomUUID())).then().statusCode(404)
                .contentType("application/problem+json");
        OpsFixtures.admin().get("/api/ops/users/" + UUID.randomUUID() + "/credits").then().statusCode(404);
        OpsFixtures.admin().get("/api/ops/users/nope/credits").then().statusCode(404);
        OpsFixtures.admin().queryParam("email", "nobody@example.com").get("/api/ops/users").then().statusCode(404);
        OpsFixtures.admin().urlEncodingEnabled(false).get("/api/ops/users?email=a%00b").then().statusCode(400)
                .contentType("application/problem+json");
        OpsFixtures.admin().get("/api/ops/users").then().statusCode(400);

        UUID user = OpsFixtures.userWithCredits(2);
        adjust(null, body(user, -3, "chargeback", "k-" + UUID.randomUUID())).then().statusCode(402)
                .contentType("application/problem+json");
        adjust(null, body(user, -2, "chargeback", "k-" + UUID.randomUUID())).then().statusCode(201).body("balance", equalTo(0));
    }
}
