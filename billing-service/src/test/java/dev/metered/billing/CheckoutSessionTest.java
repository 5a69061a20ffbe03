package dev.metered.billing;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matching;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.metered.testing.Concurrently;
import dev.metered.testing.TestDatabase;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Checkout against a local fake of Stripe's API that records every request it gets. */
@QuarkusTest
class CheckoutSessionTest {

    private final WireMock stripe = BillingFixtures.stripe();
    private UUID user;
    private String token;

    @BeforeEach
    void aSignedInUserAndAStripeThatCreatesSessions() {
        user = UUID.randomUUID();
        token = BillingFixtures.tokenFor(user);
        stripe.register(post(urlEqualTo("/v1/checkout/sessions"))
                .withHeader("Idempotency-Key", matching("checkout:[0-9a-f-]{36}:.+"))
                .willReturn(aResponse().withHeader("Content-Type", "application/json").withBody(
                        "{\"id\":\"cs_test_{{randomValue length=12 type='ALPHANUMERIC'}}\",\"object\":\"checkout.session\","
                                + "\"url\":\"https://checkout.stripe.test/pay/1\",\"status\":\"open\"}")
                        .withTransformers("response-template")));
    }

    private Response checkout(String key, Map<String, Object> body) {
        var request = given().header("Authorization", "Bearer " + token).contentType("application/json").body(body);
        if (key != null) {
            request.header("Idempotency-Key", key);
        }
        return request.post("/api/billing/checkout-session");
    }

    private List<LoggedRequest> stripeCallsFor(String key) {
        return stripe.find(postRequestedFor(urlEqualTo("/v1/checkout/sessions"))
                .withHeader("Idempotency-Key", equalTo("checkout:" + user + ":" + key)));
    }

    @Test
    void createsASessionWithTheUserCreditsAndPriceAndRecordsIt() {
        Response created = checkout("buy-1", Map.of("credits", 5));
        created.then().statusCode(201).body("url", org.hamcrest.Matchers.equalTo("https://checkout.stripe.test/pay/1"));
        String sessionId = created.path("session_id");

        List<LoggedRequest> calls = stripeCallsFor("buy-1");
        assertEquals(1, calls.size());
        String form = URLDecoder.decode(calls.get(0).getBodyAsString(), StandardCharsets.UTF_8);
        for (String expected : new String[] { "client_reference_id=" + user, "metadata[user_id]=" + user,
                "metadata[credits]=5", "line_items[0][quantity]=5", "line_items[0][price_data][unit_amount]=100",
                "line_items[0][price_data][currency]=usd", "mode=payment", "success_url=http://localhost:8080/billing/success" }) {
            org.junit.jupiter.api.Assertions.assertTrue(form.contains(expected), expected + " in " + form);
        }
        assertEquals("Bearer sk_test_billing_tests", calls.get(0).getHeader("Authorization"));
        try {
            assertEquals("open", TestDatabase.single("SELECT status FROM billing.checkout_sessions WHERE stripe_session_id = ?", sessionId));
            assertEquals(500L, ((Number) TestDatabase.single("SELECT amount_cents FROM billing.checkout_sessions"
                    + " WHERE stripe_session_id = ?", sessionId)).longValue());
        } catch (java.sql.SQLException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void theSameKeyAndBodyReturnTheFirstAnswerWithoutASecondStripeCall() throws Exception {
        Map<String, Object> body = Map.of("credits", 10, "success_url", "https://app.metered.test/done");
        String first = checkout("buy-2", body).then().statusCode(201).extract().path("session_id");
        List<String> repeats = Concurrently.run(10, () -> checkout("buy-2", body).then().statusCode(201)
                .extract().<String>path("session_id"));
        repeats.forEach(id -> assertEquals(first, id));
        assertEquals(1, stripeCallsFor("buy-2").size());
    }

    @Test
    void concurrentFirstRequestsWithOneKeyMakeOneSession() throws Exception {
        Map<String, Object> body = Map.of("credits", 3);
        List<Response> responses = Concurrently.run(10, () -> checkout("buy-race", body));
        List<Integer> statuses = responses.stream().map(Response::statusCode).toList();
        org.junit.jupiter.api.Assertions.assertTrue(statuses.stream().allMatch(s -> s == 201 || s == 409), statuses.toString());
        assertEquals(1, stripeCallsFor("buy-race").size());
        assertEquals(1L, ((Number) TestDatabase.single("SELECT count(*) FROM billing.checkout_sessions"
                + " WHERE user_id = ? AND idempotency_key = 'buy-race'", user)).longValue());
    }

    @Test
    void theSameKeyWithAnotherBodyIsAConflict() {
        checkout("buy-3", Map.of("credits", 10)).then().statusCode(201);
        checkout("buy-3", Map.of("credits", 11)).then().statusCode(409).contentType("application/problem+json")
                .body("type", org.hamcrest.Matchers.equalTo("urn:metered:problem:idempotency-key-reused"));
        assertEquals(1, stripeCallsFor("buy-3").size());
    }

    @Test
    void keysBelongToTheirUser() {
        checkout("shared-key", Map.of("credits", 4)).then().statusCode(201);
        UUID other = UUID.randomUUID();
        given().header("Authorization", "Bearer " + BillingFixtures.tokenFor(other)).header("Idempotency-Key", "shared-key")
                .contentType("application/json").body(Map.of("credits", 9)).post("/api/billing/checkout-session")
                .then().statusCode(201);
    }

    @Test
    void redirectsOffTheAllowlistAreRefusedBeforeStripeIsCalled() {
        for (String url : new String[] { "https://evil.example/phish", "javascript:alert(1)", "//evil.example",
                "https://app.metered.test.evil.example/", "https://app.metered.test@evil.example/" }) {
            checkout("bad-redirect-" + url.hashCode(), Map.of("credits", 5, "success_url", url)).then().statusCode(400)
                    .body("errors.field", hasItem("success_url"));
            checkout("bad-cancel-" + url.hashCode(), Map.of("credits", 5, "cancel_url", url)).then().statusCode(400)
                    .body("errors.field", hasItem("cancel_url"));
        }
        checkout("good-redirect", Map.of("credits", 5, "success_url",
                "https://app.metered.test/billing/done?session={CHECKOUT_SESSION_ID}")).then().statusCode(201);
        assertEquals(0, stripe.find(postRequestedFor(urlEqualTo("/v1/checkout/sessions"))
                .withRequestBody(containing("evil.example"))).size());
    }

    @Test
    void invalidRequestsAreProblems() {
        checkout(null, Map.of("credits", 5)).then().statusCode(400).body("errors.field", hasItem("Idempotency-Key"));
        checkout("k-" + UUID.randomUUID(), Map.of("credits", 0)).then().statusCode(400);
        checkout("k-" + UUID.randomUUID(), Map.of("credits", 100_001)).then().statusCode(400).body("errors.field", hasItem("credits"));
        checkout("k-" + UUID.randomUUID(), Map.of("credits", "5")).then().statusCode(400);
        checkout("k-" + UUID.randomUUID(), Map.of("credits", 2.5)).then().statusCode(400);
        checkout("k-" + UUID.randomUUID(), Map.of()).then().statusCode(400);
        given().header("Idempotency-Key", "no-token").contentType("application/json").body(Map.of("credits", 5))
                .post("/api/billing/checkout-session").then().statusCode(401).contentType("application/problem+json");
    }

    @Test
    void aStripeFailureIsA502AndTheSameKeyCanTryAgain() {
        stripe.register(post(urlEqualTo("/v1/checkout/sessions")).withHeader("Idempotency-Key", equalTo("checkout:" + user + ":flaky"))
                .inScenario("flaky").whenScenarioStateIs(com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED)
                .willReturn(aResponse().withStatus(400).withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":{\"type\":\"invalid_request_error\",\"message\":\"nope\"}}"))
                .willSetStateTo("recovered"));
        checkout("flaky", Map.of("credits", 5)).then().statusCode(502).contentType("application/problem+json");
        stripe.register(post(urlEqualTo("/v1/checkout/sessions")).withHeader("Idempotency-Key", equalTo("checkout:" + user + ":flaky"))
                .inScenario("flaky").whenScenarioStateIs("recovered")
                .willReturn(aResponse().withHeader("Content-Type", "application/json")
                        .withBody("{\"id\":\"cs_test_recovered\",\"object\":\"checkout.session\",\"url\":\"https://checkout.stripe.test/r\"}")));
        checkout("flaky", Map.of("credits", 5)).then().statusCode(201)
                .body("session_id", org.hamcrest.Matchers.equalTo("cs_test_recovered"));
    }
}
