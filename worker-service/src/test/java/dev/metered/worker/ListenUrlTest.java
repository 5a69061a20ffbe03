package dev.metered.worker;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import dev.metered.testing.PostgresTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The LISTEN connection follows DATABASE_LISTEN_URL, not DATABASE_URL (which may name a
 * transaction-mode pooler): pointed at a closed port, the worker turns not-ready while its pool,
 * and its liveness, stay fine.
 */
@QuarkusTest
@TestProfile(ListenUrlTest.UnreachableListenUrl.class)
@WithTestResource(value = PostgresTestResource.class, scope = TestResourceScope.GLOBAL,
        initArgs = { @ResourceArg(name = "role", value = "metered_worker"),
                @ResourceArg(name = "also-migrate", value = "billing,jobs") })
class ListenUrlTest {

    public static class UnreachableListenUrl implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("DATABASE_LISTEN_URL", "postgresql://metered_worker@127.0.0.1:1/metered",
                    "worker.poll-interval-ms", "100");
        }
    }

    @Test
    void anUnreachableListenUrlMakesTheWorkerNotReadyButStillLive() throws InterruptedException {
        JobFixtures.await(() -> given().get("/q/health/ready").statusCode() == 503, Duration.ofSeconds(20),
                "readiness to report the LISTEN connection down");
        given().get("/q/health/ready").then().statusCode(503)
                .body("checks.find { it.name == 'worker-listen' }.status", equalTo("DOWN"))
                .body("checks.name", hasItem("Reactive PostgreSQL connections health check"));
        given().get("/q/health/ready").then()
                .body("checks.find { it.name == 'Reactive PostgreSQL connections health check' }.status",
                        equalTo("UP"));
        given().get("/q/health/live").then().statusCode(200);
    }
}
