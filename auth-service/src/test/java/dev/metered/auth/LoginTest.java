package dev.metered.auth;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

@QuarkusTest
class LoginTest {

    private final AuthClient client = new AuthClient();

    @Test
    void loginIssuesAnRs256AccessTokenVerifiableWithThePublishedJwks() throws Exception {
        String email = AuthClient.uniqueEmail();
        String userId = client.register(email, "s3cret password").then().statusCode(201).extract().path("user_id");
        Response login = client.login(email.toUpperCase(), "s3cret password");
        login.then().statusCode(200)
                .header("Cache-Control", "no-store")
                .body("token_type", equalTo("Bearer"))
                .body("expires_in", equalTo(900))
                .body("refresh_token", notNullValue());

        SignedJWT jwt = SignedJWT.parse(login.path("access_token"));
        assertEquals("RS256", jwt.getHeader().getAlgorithm().getName());
        JWKSet jwks = JWKSet.parse(RestAssured.get("/api/auth/jwks").then().statusCode(200).extract().asString());
        RSAKey key = (RSAKey) jwks.getKeyByKeyId(jwt.getHeader().getKeyID());
        assertTrue(jwt.verify(new RSASSAVerifier(key)), "signature must verify with the JWKS key named by kid");

        var claims = jwt.getJWTClaimsSet();
        assertEquals("metered-auth", claims.getIssuer());
        assertEquals(List.of("metered"), claims.getAudience());
        assertEquals(userId, claims.getSubject());
        assertEquals("access", claims.getStringClaim("token_use"));
        assertTrue(claims.getJWTID() != null && !claims.getJWTID().isBlank());
        assertEquals(900, (claims.getExpirationTime().getTime() - claims.getIssueTime().getTime()) / 1000);

        client.me(login.path("access_token")).then().statusCode(200)
                .body("user_id", equalTo(userId)).body("email", equalTo(email));
    }

    @Test
    void wrongPasswordAndUnknownAccountGetTheSameAnswer() {
        String email = AuthClient.uniqueEmail();
        client.register(email, "the right password").then().statusCode(201);
        Response wrongPassword = client.login(email, "the wrong password");
        Response unknownAccount = client.login(AuthClient.uniqueEmail(), "the wrong password");
        assertEquals(401, wrongPassword.statusCode());
        assertEquals(401, unknownAccount.statusCode());
        assertEquals(wrongPassword.contentType(), unknownAccount.contentType());
        assertEquals(wrongPassword.asString(), unknownAccount.asString());
        assertEquals("application/problem+json", wrongPassword.contentType());
    }

    @Test
    void unknownAccountTakesAsLongAsAWrongPassword() {
        String email = AuthClient.uniqueEmail();
        client.register(email, "the right password").then().statusCode(201);
        List<Long> known = new ArrayList<>();
        List<Long> unknown = new ArrayList<>();
        for (int i = 0; i < 4; i++) { // stays below the per-account limit of 5
            known.add(timeMillis(() -> new AuthClient().login(email, "wrong password " + System.nanoTime())));
            unknown.add(timeMillis(() -> new AuthClient().login(AuthClient.uniqueEmail(), "wrong password")));
        }
        // Both paths run one Argon2id verification; without the dummy hash the unknown one would
        // take a few milliseconds. Load only ever adds time, so the fastest runs are compared.
        long knownFastest = Collections.min(known);
        long unknownFastest = Collections.min(unknown);
        assertTrue(unknownFastest * 2 >= knownFastest && knownFastest * 2 >= unknownFastest,
                "known " + known + " vs unknown " + unknown);
    }

    @Test
    void overlongPasswordsAreRefusedBeforeHashing() {
        client.login(AuthClient.uniqueEmail(), "p".repeat(129)).then().statusCode(400)
                .contentType("application/problem+json").body("errors.field", hasItem("password"));
        client.login("e".repeat(300) + "@example.com", "whatever").then().statusCode(400)
                .body("errors.field", hasItem("email"));
    }

    @Test
    void meWithoutATokenIsAProblem() {
        RestAssured.get("/api/auth/me").then().statusCode(401).contentType("application/problem+json")
                .header("WWW-Authenticate", "Bearer");
    }

    @Test
    void jwksPublishesOneRs256KeyWithAThumbprintKid() {
        RestAssured.get("/api/auth/jwks").then().statusCode(200)
                .body("keys[0].kty", equalTo("RSA"))
                .body("keys[0].alg", equalTo("RS256"))
                .body("keys[0].use", equalTo("sig"))
                .body("keys[0].kid", notNullValue())
                .body("keys[0].d", equalTo(null));
    }

    private static long timeMillis(Runnable call) {
        long start = System.nanoTime();
        call.run();
        return (System.nanoTime() - start) / 1_000_000;
    }


}
