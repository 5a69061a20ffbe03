package dev.metered.ops;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.startsWith;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/** The page itself is exercised in a real browser by bin/test-dashboard; here: it is served, locked down. */
@QuarkusTest
class DashboardServedTest {

    @Test
    void theDashboardIsServedWithoutTheTokenUnderAStrictContentSecurityPolicy() {
        given().get("/ops/").then().statusCode(200).contentType(startsWith("text/html"))
                .header("Content-Security-Policy", containsString("default-src 'self'"))
                .header("Content-Security-Policy", containsString("frame-ancestors 'none'"))
                .header("X-Content-Type-Options", "nosniff");
        given().redirects().follow(false).get("/ops").then().statusCode(301).header("Location", containsString("/ops/"));
        given().get("/ops/app.js").then().statusCode(200)
                .header("Content-Security-Policy", containsString("default-src 'self'"));
    }

    @Test
    void theOpenApiDocumentNamesTheAdminScheme() {
        given().get("/q/openapi?format=json").then().statusCode(200)
                .body("components.securitySchemes.admin.name", org.hamcrest.Matchers.equalTo("X-Admin-Token"))
                .body("paths.'/api/ops/credits/adjust'.post.security[0].admin", org.hamcrest.Matchers.notNullValue());
    }
}
