package dev.metered.ops;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metered.testing.AccessTokens;
import dev.metered.testing.TestDatabase;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

@QuarkusTest
class AdminAccessTest {

    @Test
    void everyAdminPathNeedsTheTokenBeforeRoutingSoEvenUnknownPathsAnswer401() {
        for (String path : List.of("/api/ops/metrics", "/api/ops/alerts", "/api/ops/no-such-thing", "/api//ops/metrics",
                "/API/OPS/metrics", "/api/ops/metrics/", "/api/other")) {
            given().get(path).then().statusCode(401).contentType("application/problem+json")
                    .header("WWW-Authenticate", startsWith("Bearer"));
        }
        given().contentType("application/json").body("{}").post("/api/ops/credits/adjust").then().statusCode(401);
    }

    @Test
    void aUsersJwtAndWrongOrShortTokensAreRefused() {
        String userJwt = AccessTokens.forUser(UUID.randomUUID());
        given().header("Authorization", "Bearer " + userJwt).get("/api/ops/metrics").then().statusCode(401);
        given().header("X-Admin-Token", userJwt).get("/api/ops/metrics").then().statusCode(401);
        String sameLengthWrong = "x".repeat(OpsFixtures.ADMIN_TOKEN.length());
        given().header("X-Admin-Token", sameLengthWrong).get("/api/ops/metrics").then().statusCode(401);
        given().header("X-Admin-Token", OpsFixtures.ADMIN_TOKEN.substring(1)).get("/api/ops/metrics").then().statusCode(401);
        given().header("Authorization", "Basic " + OpsFixtures.ADMIN_TOKEN).get("/api/ops/metrics").then().statusCode(401);
    }

    @Test
    void theTokenIsAcceptedAsBearerOrXAdminToken() {
        given().header("Authorization", "Bearer " + OpsFixtures.ADMIN_TOKEN).get("/api/ops/metrics").then().statusCode(200);
        OpsFixtures.admin().get("/api/ops/metrics").then().statusCode(200);
        OpsFixtures.admin().get("/api/ops/no-such-thing").then().statusCode(404).contentType("application/problem+json");
    }

    @Test
    void anUnreadableActorNameIsRefused() {
        OpsFixtures.admin("robert'); DROP TABLE--").get("/api/ops/metrics").then().statusCode(400)
                .contentType("application/problem+json").body("errors[0].field", equalTo("X-Admin-Actor"));
    }

    @Test
    void theProbesArePublic() {
        given().get("/api/health").then().statusCode(200).body("status", equalTo("ok")).body("db_ok", equalTo(true));
        int ready = given().get("/api/ready").then().extract().statusCode();
        assertTrue(ready == 200 || ready == 503, "ready answered " + ready);
    }

    @Test
    void everyCallIsAuditedRefusalsIncluded() throws Exception {
        String marker = "audit-" + UUID.randomUUID();
        given().header("X-Admin-Actor", "mallory").get("/api/ops/metrics?probe=" + marker).then().statusCode(401);
        OpsFixtures.admin("alice").get("/api/ops/alerts?probe=" + marker).then().statusCode(200);

        List<Object> refused = TestDatabase.column("SELECT actor || '|' || coalesce(token_fingerprint, '-') || '|' || outcome"
                + " FROM ops.audit_log WHERE path = ?", "/api/ops/metrics?probe=" + marker);
        assertEquals(List.of("mallory|-|401"), refused);
        List<Object> accepted = TestDatabase.column("SELECT actor || '|' || method || '|' || outcome"
                + " FROM ops.audit_log WHERE path = ?", "/api/ops/alerts?probe=" + marker);
        assertEquals(List.of("alice|GET|200"), accepted);
        String fingerprint = (String) TestDatabase.single("SELECT token_fingerprint FROM ops.audit_log WHERE path = ?",
                "/api/ops/alerts?probe=" + marker);
        assertEquals(12, fingerprint.length());
        assertTrue(!OpsFixtures.ADMIN_TOKEN.contains(fingerprint));

        OpsFixtures.admin().get("/api/ops/audit?limit=5").then().statusCode(200)
                .body("items.size()", equalTo(5)).body("next_cursor", org.hamcrest.Matchers.notNullValue());
    }

    @Test
    void aPathPostgresCannotStoreIsStillAudited() throws Exception {
        String marker = UUID.randomUUID().toString();
        given().urlEncodingEnabled(false).get("/api/ops/" + marker + "%00x").then().statusCode(401);
        assertEquals(1L, TestDatabase.single("SELECT count(*) FROM ops.audit_log WHERE path = ?",
                "/api/ops/" + marker + "\uFFFDx"));
    }

    @Test
    void opsReadsOtherSchemasOnlyThroughTheirOpsViews() {
        for (String table : List.of("worker.heartbeats", "jobs.jobs", "jobs.job_dead_letters", "billing.credit_ledger",
                "billing.webhook_events", "billing.accounts", "auth.users")) {
            java.sql.SQLException refused = org.junit.jupiter.api.Assertions.assertThrows(java.sql.SQLException.class,
                    () -> TestDatabase.asRole("metered_ops", "SELECT count(*) FROM " + table));
            assertEquals("42501", refused.getSQLState(), table);
        }
    }

    @Test
    void theAuditLogIsAppendOnly() {
        OpsFixtures.admin().get("/api/ops/metrics").then().statusCode(200);
        Exception refused = org.junit.jupiter.api.Assertions.assertThrows(java.sql.SQLException.class,
                () -> TestDatabase.asRole("metered_ops", "DELETE FROM ops.audit_log RETURNING id"));
        assertTrue(refused.getMessage().contains("append-only"), refused.getMessage());
    }
}
