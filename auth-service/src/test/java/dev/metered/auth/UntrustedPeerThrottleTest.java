package dev.metered.auth;

import static io.restassured.RestAssured.given;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** When the direct peer is not a trusted proxy, X-Forwarded-For is ignored altogether; lockouts end. */
@QuarkusTest
@TestProfile(UntrustedPeerThrottleTest.NoTrustedProxies.class)
class UntrustedPeerThrottleTest {

    public static class NoTrustedProxies implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("auth.trusted-proxies", "10.255.255.0/24", "auth.login.max-attempts", "2",
                    "auth.login.max-attempts-per-address", "3", "auth.login.lockout", "PT2S");
        }
    }

    @Test
    void rotatingForwardedForFromAnUntrustedPeerDoesNotHelp() throws Exception {
        for (int i = 0; i < 3; i++) {
            login("198.18.0." + i, AuthClient.uniqueEmail(), "guess").then().statusCode(401);
        }
        login("198.18.0.77", AuthClient.uniqueEmail(), "guess").then().statusCode(429);

        Thread.sleep(2_100); // the 2 s lockout ends on the database clock
        String email = AuthClient.uniqueEmail();
        given().contentType(ContentType.JSON).body(Map.of("email", email, "password", "the right password"))
                .post("/api/auth/register").then().statusCode(201);
        login("198.18.0.78", email, "the right password").then().statusCode(200);
    }

    private static io.restassured.response.Response login(String forwardedFor, String email, String password) {
        return given().header("X-Forwarded-For", forwardedFor).contentType(ContentType.JSON)
                .body(Map.of("email", email, "password", password)).post("/api/auth/login");
    }
}
