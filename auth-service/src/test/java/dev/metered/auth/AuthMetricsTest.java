package dev.metered.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.metered.testing.PrometheusScrape;
import io.quarkus.test.junit.QuarkusTest;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Registrations, logins, lockouts and refresh-token reuse move their metrics by exactly what happened. */
@QuarkusTest
class AuthMetricsTest {

    private final AuthClient client = new AuthClient();

    @Test
    void aSessionsLifeIsCountedByOutcome() {
        String email = AuthClient.uniqueEmail();
        PrometheusScrape before = PrometheusScrape.now();

        client.register(email, "the right password").then().statusCode(201);
        client.register(email.toUpperCase(), "the right password").then().statusCode(409);
        String firstRefresh = client.login(email, "the right password").then().statusCode(200).extract()
                .path("refresh_token");
        client.refresh(firstRefresh).then().statusCode(200);
        client.refresh(firstRefresh).then().statusCode(401); // reused: the family is revoked
        for (int i = 0; i < 5; i++) {
            client.login(email, "wrong " + i).then().statusCode(401);
        }
        client.login(email, "wrong again").then().statusCode(429); // over the limit: starts the lockout
        client.login(email, "the right password").then().statusCode(429); // still locked: no new lockout

        PrometheusScrape after = PrometheusScrape.now();
        assertEquals(1, after.increase(before, "metered_auth_registrations_total", Map.of("outcome", "created")));
        assertEquals(1, after.increase(before, "metered_auth_registrations_total", Map.of("outcome", "email_taken")));
        assertEquals(1, after.increase(before, "metered_auth_logins_total", Map.of("outcome", "success")));
        assertEquals(5, after.increase(before, "metered_auth_logins_total", Map.of("outcome", "bad_credentials")));
        assertEquals(2, after.increase(before, "metered_auth_logins_total", Map.of("outcome", "throttled")));
        assertEquals(1, after.increase(before, "metered_auth_lockouts_total", Map.of("scope", "account")));
        assertEquals(0, after.increase(before, "metered_auth_lockouts_total", Map.of("scope", "address")));
        assertEquals(1, after.increase(before, "metered_auth_refresh_token_reuses_total", Map.of()));
        assertFalse(after.text().contains(email), "an email in a metric");
    }
}
