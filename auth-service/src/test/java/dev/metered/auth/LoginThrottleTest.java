package dev.metered.auth;

import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

/** Default limits: 5 attempts per account and 50 per address in 900 s, then a 900 s lockout. */
@QuarkusTest
class LoginThrottleTest {

    private final AuthClient client = new AuthClient();

    @Test
    void anAccountIsLockedAfterTheLimitEvenForTheRightPassword() {
        String email = AuthClient.uniqueEmail();
        client.register(email, "the right password").then().statusCode(201);
        for (int i = 0; i < 5; i++) {
            client.login(email, "wrong " + i).then().statusCode(401);
        }
        Response locked = client.login(email, "the right password");
        locked.then().statusCode(429).contentType("application/problem+json")
                .body("type", equalTo("urn:metered:problem:rate-limited"));
        long retryAfter = Long.parseLong(locked.header("Retry-After"));
        assertTrue(retryAfter > 850 && retryAfter <= 900, "Retry-After " + retryAfter);
    }

    @Test
    void theAccountLimitHoldsWhateverAddressTheAttemptsComeFrom() {
        String email = AuthClient.uniqueEmail();
        client.register(email, "the right password").then().statusCode(201);
        for (int i = 0; i < 5; i++) {
            new AuthClient().login(email, "wrong " + i).then().statusCode(401);
        }
        new AuthClient().login(email, "the right password").then().statusCode(429);
    }

    @Test
    void aSuccessfulLoginStartsTheAccountCountAfresh() {
        String email = AuthClient.uniqueEmail();
        client.register(email, "the right password").then().statusCode(201);
        for (int i = 0; i < 4; i++) {
            client.login(email, "wrong " + i).then().statusCode(401);
        }
        client.login(email, "the right password").then().statusCode(200);
        for (int i = 0; i < 4; i++) {
            client.login(email, "wrong again " + i).then().statusCode(401);
        }
        client.login(email, "the right password").then().statusCode(200);
    }

    @Test
    void attemptsOnALockedAccountDoNotCountAgainstTheAddress() {
        String email = AuthClient.uniqueEmail();
        client.register(email, "the right password").then().statusCode(201);
        for (int i = 0; i < 5; i++) {
            client.login(email, "wrong " + i).then().statusCode(401);
        }
        for (int i = 0; i < 60; i++) {
            client.login(email, "still wrong").then().statusCode(429);
        }
        String other = AuthClient.uniqueEmail();
        client.register(other, "the right password").then().statusCode(201);
        client.login(other, "the right password").then().statusCode(200);
    }

    @Test
    void oneAddressTryingManyAccountsIsLockedAfterTheAddressLimit() {
        for (int i = 0; i < 50; i++) {
            client.login(AuthClient.uniqueEmail(), "guess").then().statusCode(401);
        }
        client.login(AuthClient.uniqueEmail(), "guess").then().statusCode(429);
        String fresh = AuthClient.uniqueEmail();
        new AuthClient().register(fresh, "the right password").then().statusCode(201);
        client.login(fresh, "the right password").then().statusCode(429);
    }

    @Test
    void spoofedForwardedForEntriesDoNotDodgeTheAddressLimit() {
        String realAddress = client.address;
        for (int i = 0; i < 50; i++) {
            int status = client.request().header("X-Forwarded-For", "203.0.113." + i + ", " + realAddress)
                    .body(java.util.Map.of("email", AuthClient.uniqueEmail(), "password", "guess"))
                    .post("/api/auth/login").statusCode();
            assertEquals(401, status);
        }
        int status = client.request().header("X-Forwarded-For", "203.0.113.99, " + realAddress)
                .body(java.util.Map.of("email", AuthClient.uniqueEmail(), "password", "guess"))
                .post("/api/auth/login").statusCode();
        assertEquals(429, status);
    }
}
