package dev.metered.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.metered.testing.PackagedServiceContract;
import dev.metered.testing.PostgresTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * worker-service as packaged (the JVM jar, or the native executable with -Pnative), in the prod
 * profile, against PostgreSQL with billing's and jobs' schemas: a job submitted the way jobs-service
 * submits it is claimed (LISTEN/NOTIFY wake-up), run by the simulated provider and captured.
 */
@QuarkusIntegrationTest
@WithTestResource(value = PostgresTestResource.class, scope = TestResourceScope.GLOBAL,
        initArgs = { @ResourceArg(name = "role", value = "metered_worker"),
                @ResourceArg(name = "also-migrate", value = "billing,jobs") })
class WorkerPackagedIT extends PackagedServiceContract {

    @Override
    protected String schema() {
        return "worker";
    }

    @Test
    void aSubmittedJobSucceedsOnceAndItsHoldIsCaptured() throws Exception {
        UUID user = JobFixtures.userWithCredits(5);
        UUID job = JobFixtures.submit(user, "echo", new JsonObject().put("prompt", "hello"), 2, 3);
        JobFixtures.awaitStatus(job, "succeeded", Duration.ofSeconds(30));

        JsonObject row = JobFixtures.row(job);
        assertEquals(1, row.getInteger("attempts"));
        assertEquals("hello", row.getJsonObject("output").getJsonObject("echo").getString("prompt"));
        assertEquals(Map.of("capture", 1L, "hold", 1L), JobFixtures.ledger(job));
        assertEquals(3, JobFixtures.balance(user));
        JobFixtures.assertNoLedgerDrift();
    }
}
