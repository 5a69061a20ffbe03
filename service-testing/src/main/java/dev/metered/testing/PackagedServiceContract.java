package dev.metered.testing;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;

import org.junit.jupiter.api.Test;

/**
 * {@link ServiceFoundationContract} for {@code @QuarkusIntegrationTest}s: the same probes, OpenAPI,
 * Flyway history, ownership and own-role checks, run against the packaged application (the JVM
 * jar, or with {@code -Pnative} the native executable) started as a separate process in the prod
 * profile. Only the metrics check differs: a native executable has no JVM memory pools to report,
 * so it looks for a metric every service records in both modes.
 */
public abstract class PackagedServiceContract extends ServiceFoundationContract {

    @Test
    @Override
    void prometheusMetricsAreServed() {
        given().when().get("/q/health/live").then().statusCode(200);
        given().when().get("/q/metrics").then().statusCode(200)
                .body(containsString("http_server_requests_seconds_count"));
    }
}
