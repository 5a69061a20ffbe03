package dev.metered.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metered.testing.Concurrently;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A login flood beyond the hashing queue is shed with 503 + Retry-After; nothing fails with 500. */
@QuarkusTest
@TestProfile(PasswordHashingBoundTest.TinyHashingQueue.class)
class PasswordHashingBoundTest {

    public static class TinyHashingQueue implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("auth.password.hashing-threads", "1", "auth.password.max-queued", "2",
                    "auth.login.max-attempts", "1000", "auth.login.max-attempts-per-address", "1000");
        }
    }

    @Test
    void aFloodBeyondTheQueueIsShedNotQueuedForever() throws Exception {
        List<Response> responses = Concurrently.run(24,
                () -> new AuthClient().login(AuthClient.uniqueEmail(), "flood password"));
        List<Integer> statuses = responses.stream().map(Response::statusCode).toList();
        for (Response response : responses) {
            if (response.statusCode() == 503) {
                assertEquals("application/problem+json", response.contentType());
                assertEquals("1", response.header("Retry-After"));
            }
        }
        assertTrue(statuses.stream().allMatch(s -> s == 401 || s == 503), statuses.toString());
        assertTrue(statuses.contains(503), "24 concurrent hashes against 1 thread + 2 queued must shed some: " + statuses);
        assertTrue(statuses.contains(401), statuses.toString());
        RestAssured.get("/q/health/live").then().statusCode(200);
    }
}
