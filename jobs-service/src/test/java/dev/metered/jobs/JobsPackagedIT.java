package dev.metered.jobs;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.metered.testing.AuthJwksResource;
import dev.metered.testing.PackagedServiceContract;
import dev.metered.testing.PostgresTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import org.junit.jupiter.api.Test;

/**
 * jobs-service as packaged (the JVM jar, or the native executable with -Pnative), in the prod
 * profile, against PostgreSQL with billing's functions: tokens verified through the JWKS, a paid
 * submission (job and hold in one transaction), its idempotent repeat, a read, and the refusals.
 */
@QuarkusIntegrationTest
@WithTestResource(value = PostgresTestResource.class, scope = TestResourceScope.GLOBAL,
        initArgs = { @ResourceArg(name = "role", value = "metered_jobs"),
                @ResourceArg(name = "also-migrate", value = "billing") })
@WithTestResource(value = AuthJwksResource.class, scope = TestResourceScope.GLOBAL)
class JobsPackagedIT extends PackagedServiceContract {

    @Override
    protected String schema() {
        return "jobs";
    }

    @Test
    void submittingWithoutATokenIsA401Problem() {
        given().contentType("application/json").body("{\"type\":\"echo\",\"input\":{}}").post("/api/jobs")
                .then().statusCode(401).contentType("application/problem+json").body("status", equalTo(401));
    }

    @Test
    void aPaidSubmissionHoldsItsCostAndARepeatReturnsTheSameJob() throws Exception {
        JobsFixtures buyer = new JobsFixtures().credits(3);
        String jobId = buyer.submit("first-job", "{\"type\":\"echo\",\"input\":{\"prompt\":\"hello\"}}")
                .then().statusCode(201).body("status", equalTo("queued")).body("cost", equalTo(1))
                .extract().path("job_id");
        buyer.submit("first-job", "{\"type\":\"echo\",\"input\":{\"prompt\":\"hello\"}}")
                .then().statusCode(200).body("job_id", equalTo(jobId));
        buyer.request().get("/api/jobs/" + jobId).then().statusCode(200)
                .body("job_id", equalTo(jobId)).body("type", equalTo("echo")).body("status", equalTo("queued"));
        buyer.request().get("/api/jobs").then().statusCode(200).body("items[0].job_id", equalTo(jobId));
        assertEquals(1, buyer.ledgerRows("hold"));
        assertEquals(2, buyer.balance());
        JobsFixtures.assertNoLedgerDrift();
    }

    @Test
    void withoutCreditsItIsA402AndNoJob() throws Exception {
        JobsFixtures broke = new JobsFixtures();
        broke.submit("no-money", "{\"type\":\"echo\",\"input\":{}}").then().statusCode(402)
                .contentType("application/problem+json");
        assertEquals(0, broke.jobs());
    }
}
