package dev.metered.ops;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;

import dev.metered.testing.AccessTokens;
import dev.metered.testing.AuthJwksResource;
import dev.metered.testing.PackagedServiceContract;
import dev.metered.testing.PostgresTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * ops-service as packaged (the JVM jar, or the native executable with -Pnative), in the prod
 * profile, against PostgreSQL with every owner's schema: the public probes, the admin gate, an
 * audited credit adjustment through billing's function, and the dashboard's static files.
 */
@QuarkusIntegrationTest
@WithTestResource(value = PostgresTestResource.class, scope = TestResourceScope.GLOBAL,
        initArgs = { @ResourceArg(name = "role", value = "metered_ops"),
                @ResourceArg(name = "also-migrate", value = "auth,billing,jobs,worker") })
@WithTestResource(value = AuthJwksResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = AdminTokenResource.class, scope = TestResourceScope.GLOBAL)
class OpsPackagedIT extends PackagedServiceContract {

    @Override
    protected String schema() {
        return "ops";
    }

    @Test
    void adminCallsWithoutTheTokenOrWithAUserTokenAre401Problems() {
        given().get("/api/ops/metrics").then().statusCode(401).contentType("application/problem+json");
        given().header("Authorization", "Bearer " + AccessTokens.forUser(UUID.randomUUID())).get("/api/ops/metrics")
                .then().statusCode(401).contentType("application/problem+json");
    }

    @Test
    void adminCallsWithTheTokenAnswer() {
        given().header("Authorization", "Bearer " + OpsFixtures.ADMIN_TOKEN).get("/api/ops/metrics")
                .then().statusCode(200).body("$", hasKey("queue_depth")).body("ledger_drift", equalTo(0));
        OpsFixtures.admin().get("/api/ops/alerts").then().statusCode(200).body("$", hasKey("alerts"));
    }

    @Test
    void healthIsPublicAndReadinessWantsAWorker() {
        given().get("/api/health").then().statusCode(200).body("status", equalTo("ok"));
        // no worker heartbeat in this database: not ready, and the body says why
        given().get("/api/ready").then().statusCode(503).body("db_ok", equalTo(true)).body("worker_ok", equalTo(false));
    }

    @Test
    void anAdjustmentIsMadeOnceThroughBilling() throws Exception {
        UUID user = OpsFixtures.user();
        String body = "{\"user_id\":\"" + user + "\",\"amount\":7,\"reason\":\"goodwill for outage\","
                + "\"idempotency_key\":\"it-adjust-" + user + "\"}";
        OpsFixtures.admin("alice").contentType("application/json").body(body).post("/api/ops/credits/adjust")
                .then().statusCode(201).body("balance", equalTo(7)).body("actor", equalTo("ops:alice"));
        OpsFixtures.admin("alice").contentType("application/json").body(body).post("/api/ops/credits/adjust")
                .then().statusCode(200).body("balance", equalTo(7));
    }

    @Test
    void theDashboardIsServedUnderItsContentSecurityPolicy() {
        given().get("/ops/").then().statusCode(200).contentType(containsString("text/html"))
                .header("Content-Security-Policy", containsString("frame-ancestors 'none'"));
        given().get("/ops/app.js").then().statusCode(200);
    }
}
