package dev.metered.auth;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metered.testing.PackagedServiceContract;
import dev.metered.testing.PostgresTestResource;
import dev.metered.testing.TestDatabase;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.restassured.response.Response;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * auth-service as packaged (the JVM jar, or the native executable with -Pnative), in the prod
 * profile with a real signing key, against PostgreSQL: the foundation checks and the sign-in flow
 * (Argon2id hashing, RS256 tokens, refresh rotation, problem+json errors).
 */
@QuarkusIntegrationTest
@WithTestResource(value = PostgresTestResource.class, scope = TestResourceScope.GLOBAL,
        initArgs = @ResourceArg(name = "role", value = "metered_auth"))
@WithTestResource(value = SigningKeyResource.class, scope = TestResourceScope.GLOBAL)
class AuthPackagedIT extends PackagedServiceContract {

    private final AuthClient client = new AuthClient();

    @Override
    protected String schema() {
        return "auth";
    }

    @Test
    void registerLoginMeRefreshAndTheRotatedTokenIsDead() throws Exception {
        String email = AuthClient.uniqueEmail();
        client.register(email, "correct horse battery staple").then().statusCode(201)
                .body("email", equalTo(email)).body("user_id", not(equalTo(null)));
        String hash = (String) TestDatabase.single("SELECT password_hash FROM auth.users WHERE email = ?", email);
        assertTrue(hash.startsWith("$argon2id$"), hash);

        Response login = client.login(email, "correct horse battery staple");
        login.then().statusCode(200).body("token_type", equalTo("Bearer")).body("expires_in", greaterThan(0));
        client.me(login.path("access_token")).then().statusCode(200).body("email", equalTo(email));

        String refreshToken = login.path("refresh_token");
        client.refresh(refreshToken).then().statusCode(200).body("refresh_token", not(equalTo(refreshToken)));
        client.refresh(refreshToken).then().statusCode(401).contentType("application/problem+json");
    }

    @Test
    void aTakenEmailAndAWrongPasswordAreProblems() {
        Map<String, String> user = client.signedInUser();
        client.register(user.get("email"), "another long password").then().statusCode(409)
                .contentType("application/problem+json").body("status", equalTo(409));
        client.login(user.get("email"), "not the password").then().statusCode(401)
                .contentType("application/problem+json");
    }

    @Test
    void invalidBodiesAre400ProblemsWithFieldErrors() {
        client.request().body("{\"email\": \"x\"").post("/api/auth/register").then().statusCode(400)
                .contentType("application/problem+json");
        client.request().body(Map.of("email", "", "password", "x")).post("/api/auth/register").then().statusCode(400)
                .contentType("application/problem+json").body("errors.field", org.hamcrest.Matchers.hasItem("email"));
    }

    @Test
    void theJwksPublishesTheSigningKey() {
        given().get("/api/auth/jwks").then().statusCode(200)
                .body("keys[0].kty", equalTo("RSA")).body("keys[0].kid", not(equalTo(null)))
                .body("keys[0].d", equalTo(null));
    }
}
