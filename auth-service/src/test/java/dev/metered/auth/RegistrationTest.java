package dev.metered.auth;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metered.testing.Concurrently;
import dev.metered.testing.TestDatabase;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.util.List;
import org.junit.jupiter.api.Test;

@QuarkusTest
class RegistrationTest {

    private final AuthClient client = new AuthClient();

    @Test
    void registersWithANormalisedEmailAndAnArgon2idHash() throws Exception {
        String local = "Mixed-" + System.nanoTime();
        client.register("  " + local + "@Example.COM ", "a long enough password").then()
                .statusCode(201)
                .contentType(ContentType.JSON)
                .body("email", equalTo(local.toLowerCase() + "@example.com"))
                .body("user_id", matchesPattern("[0-9a-f-]{36}"));
        String hash = (String) TestDatabase.single("SELECT password_hash FROM auth.users WHERE email = ?",
                local.toLowerCase() + "@example.com");
        assertTrue(hash.startsWith("$argon2id$v=19$m=19456,t=2,p=1$"), hash);
    }

    @Test
    void sameEmailInAnotherCaseIsTaken() {
        String email = AuthClient.uniqueEmail();
        client.register(email, "first password").then().statusCode(201);
        client.register(email.toUpperCase(), "second password").then()
                .statusCode(409)
                .contentType("application/problem+json")
                .body("status", equalTo(409))
                .body("type", equalTo("urn:metered:problem:email-taken"));
    }

    @Test
    void twentyConcurrentRegistrationsOfOneEmailGiveExactlyOneAccount() throws Exception {
        String email = AuthClient.uniqueEmail();
        List<Integer> statuses = Concurrently.run(20, () -> new AuthClient().register(email, "racing password").statusCode());
        assertEquals(1, statuses.stream().filter(s -> s == 201).count(), statuses.toString());
        assertEquals(19, statuses.stream().filter(s -> s == 409).count(), statuses.toString());
        assertEquals(1L, ((Number) TestDatabase.single("SELECT count(*) FROM auth.users WHERE email = ?", email))
                .longValue());
    }

    @Test
    void weakOrOversizedCredentialsAreRefusedWithFieldErrors() {
        client.register(AuthClient.uniqueEmail(), "short").then().statusCode(400)
                .contentType("application/problem+json").body("errors.field", hasItem("password"));
        client.register(AuthClient.uniqueEmail(), "x".repeat(129)).then().statusCode(400)
                .body("errors.field", hasItem("password"));
        client.register("a".repeat(250) + "@example.com", "good password").then().statusCode(400)
                .body("errors.field", hasItem("email"));
        client.register("not-an-email", "good password").then().statusCode(400)
                .body("errors.field", hasItem("email"));
        client.register("x".repeat(5000) + "@example.com", "good password").then().statusCode(400)
                .body("errors.field", hasItem("email"));
    }

    @Test
    void malformedBodiesAreProblemsNeverServerErrors() {
        for (String body : List.of("{", "not json", "[]", "null", "\"text\"", "{\"email\": 5, \"password\": \"abcdefgh1\"}",
                "{\"email\": \"a@example.com\", \"password\": true}", "{\"email\": \"a@example.com\"}",
                "{\"password\": \"abcdefghij\"}", "{\"email\": [\"a@example.com\"], \"password\": \"abcdefghij\"}",
                "{\"email\": {\"x\": 1}, \"password\": \"abcdefghij\"}",
                "{\"email\": \"a@example.com\", \"password\": \"abcdefghij\"} trailing",
                "{\"email\": \"a@example.com\", \"email\": \"b@example.com\", \"password\": \"abcdefghij\"}",
                "{\"email\": \"a\\u0000b@example.com\", \"password\": \"abcdefghij\"}",
                "{\"email\": \"\\ud800@example.com\", \"password\": \"abcdefghij\"}",
                "{\"email\": \"a@example.com\", \"password\": \"abc\\udc00defghij\"}", "")) {
            Response response = client.request().body(body).post("/api/auth/register");
            assertEquals(400, response.statusCode(), "body " + body + " -> " + response.asString());
            assertEquals("application/problem+json", response.contentType(), "body " + body);
            response.then().contentType("application/problem+json").body("status", equalTo(400))
                    .body(not(containsString("Exception"))).body(not(containsString("at com.")));
        }
    }

    @Test
    void wrongMediaTypeAndOversizedBodiesAreProblems() {
        given().contentType(ContentType.TEXT).body("email=a").post("/api/auth/register").then()
                .statusCode(415).contentType("application/problem+json");
        String huge = "{\"email\": \"a@example.com\", \"password\": \"" + "p".repeat(300 * 1024) + "\"}";
        Response response = client.request().body(huge).post("/api/auth/register");
        assertEquals(413, response.statusCode());
        assertEquals("application/problem+json", response.contentType());
    }
}
