package dev.metered.auth;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.quarkus.test.junit.QuarkusTest;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Test profile: AUTH_ORIGIN_ALLOWLIST and CORS_ALLOW_ORIGINS = https://app.metered.test, localhost allowed. */
@QuarkusTest
class OriginTest {

    private final AuthClient client = new AuthClient();

    @Test
    void foreignOriginIsForbiddenOnEveryAuthEndpoint() {
        for (String path : new String[] { "register", "login", "refresh", "logout" }) {
            client.request().header("Origin", "https://evil.example")
                    .body(Map.of("email", AuthClient.uniqueEmail(), "password", "whatever1", "refresh_token", "x"))
                    .post("/api/auth/" + path).then().statusCode(403).contentType("application/problem+json")
                    .body("status", equalTo(403));
        }
        String token = client.signedInUser().get("access_token");
        given().header("Origin", "https://evil.example").header("Authorization", "Bearer " + token)
                .get("/api/auth/me").then().statusCode(403).contentType("application/problem+json");
    }

    @Test
    void listedLocalhostAndAbsentOriginsPass() {
        for (String origin : new String[] { "https://app.metered.test", "http://localhost:3000", "http://127.0.0.1:5173" }) {
            int status = client.request().header("Origin", origin)
                    .body(Map.of("email", AuthClient.uniqueEmail(), "password", "password1"))
                    .post("/api/auth/register").statusCode();
            assertNotEquals(403, status, origin);
        }
        client.register(AuthClient.uniqueEmail(), "password1").then().statusCode(201);
    }

    @Test
    void nullOriginAndLookalikesAreForbidden() {
        for (String origin : new String[] { "null", "https://app.metered.test.evil.example", "http://app.metered.test",
                "https://localhost.evil.example", "file://", "garbage" }) {
            client.request().header("Origin", origin)
                    .body(Map.of("email", AuthClient.uniqueEmail(), "password", "password1"))
                    .post("/api/auth/register").then().statusCode(403);
        }
    }

    @Test
    void jwksIsPublicForAnyOrigin() {
        given().header("Origin", "https://evil.example").get("/api/auth/jwks").then().statusCode(200);
    }

    @Test
    void corsPreflightAllowsOnlyConfiguredOrigins() {
        given().header("Origin", "https://app.metered.test").header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "content-type")
                .options("/api/auth/login").then().statusCode(204)
                .header("Access-Control-Allow-Origin", "https://app.metered.test");
        String allowed = given().header("Origin", "https://evil.example").header("Access-Control-Request-Method", "POST")
                .options("/api/auth/login").then().statusCode(403).contentType("application/problem+json").extract()
                .header("Access-Control-Allow-Origin");
        assertNull(allowed);
    }
}
