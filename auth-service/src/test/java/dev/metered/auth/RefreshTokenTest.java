package dev.metered.auth;

import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.metered.testing.Concurrently;
import dev.metered.testing.TestDatabase;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class RefreshTokenTest {

    private final AuthClient client = new AuthClient();

    @Test
    void refreshRotatesThePairAndKillsTheOldToken() {
        Map<String, String> user = client.signedInUser();
        Response rotated = client.refresh(user.get("refresh_token"));
        rotated.then().statusCode(200).body("token_type", equalTo("Bearer")).body("expires_in", equalTo(900));
        String next = rotated.path("refresh_token");
        assertNotEquals(user.get("refresh_token"), next);
        client.me(rotated.path("access_token")).then().statusCode(200).body("email", equalTo(user.get("email")));
        client.refresh(next).then().statusCode(200);
    }

    @Test
    void reusingARotatedTokenRevokesTheWholeFamily() {
        Map<String, String> user = client.signedInUser();
        String stolen = user.get("refresh_token");
        String legitimate = client.refresh(stolen).then().statusCode(200).extract().path("refresh_token");

        client.refresh(stolen).then().statusCode(401).contentType("application/problem+json");
        client.refresh(legitimate).then().statusCode(401);
    }

    @Test
    void otherSessionsOfTheUserSurviveARevokedFamily() {
        Map<String, String> user = client.signedInUser();
        String otherSession = client.login(user.get("email"), user.get("password")).then().statusCode(200)
                .extract().path("refresh_token");
        client.refresh(user.get("refresh_token")).then().statusCode(200);
        client.refresh(user.get("refresh_token")).then().statusCode(401);
        client.refresh(otherSession).then().statusCode(200);
    }

    @Test
    void logoutRevokesTheFamilyAndIsIdempotent() {
        Map<String, String> user = client.signedInUser();
        String rotated = client.refresh(user.get("refresh_token")).then().statusCode(200).extract().path("refresh_token");
        client.logout(rotated).then().statusCode(204);
        client.refresh(rotated).then().statusCode(401);
        client.logout(rotated).then().statusCode(204);
        client.logout("never-issued").then().statusCode(204);
    }

    @Test
    void unknownOrMalformedRefreshTokensAreRefused() {
        client.refresh("never-issued-token").then().statusCode(401).contentType("application/problem+json");
        client.request().body("{}").post("/api/auth/refresh").then().statusCode(400)
                .contentType("application/problem+json");
        client.request().body("{\"refresh_token\": 12}").post("/api/auth/refresh").then().statusCode(400);
        client.refresh("x".repeat(300)).then().statusCode(400);
    }

    @Test
    void expiredRefreshTokensAreRefused() throws Exception {
        Map<String, String> user = client.signedInUser();
        TestDatabase.execute("UPDATE auth.refresh_tokens SET expires_at = now() - interval '1 second'"
                + " WHERE user_id = (SELECT id FROM auth.users WHERE email = ?)", user.get("email"));
        client.refresh(user.get("refresh_token")).then().statusCode(401);
    }

    @Test
    void concurrentRefreshesOfOneTokenLetAtMostOneThrough() throws Exception {
        Map<String, String> user = client.signedInUser();
        List<Integer> statuses = Concurrently.run(10, () -> client.refresh(user.get("refresh_token")).statusCode());
        assertEquals(1, statuses.stream().filter(s -> s == 200).count(), statuses.toString());
        assertEquals(9, statuses.stream().filter(s -> s == 401).count(), statuses.toString());
        long live = ((Number) TestDatabase.single("SELECT count(*) FROM auth.refresh_tokens t JOIN auth.users u"
                + " ON u.id = t.user_id WHERE u.email = ? AND t.revoked_at IS NULL AND t.rotated_at IS NULL",
                user.get("email"))).longValue();
        assertEquals(0, live, "the reuse must have revoked the family, including the token the winner got");
    }

    @Test
    void refreshTokensAreStoredOnlyAsHashes() throws Exception {
        Map<String, String> user = client.signedInUser();
        long plain = ((Number) TestDatabase.single("SELECT count(*) FROM auth.refresh_tokens"
                + " WHERE encode(token_hash, 'escape') LIKE '%' || ? || '%'", user.get("refresh_token"))).longValue();
        assertEquals(0, plain);
    }
}
