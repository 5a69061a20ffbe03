package dev.metered.billing;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.metered.testing.AuthJwksResource;
import dev.metered.testing.PackagedServiceContract;
import dev.metered.testing.PostgresTestResource;
import dev.metered.testing.TestDatabase;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.Test;

/**
 * billing-service as packaged (the JVM jar, or the native executable with -Pnative), in the prod
 * profile, against PostgreSQL and a local fake of Stripe's API. The checkout round trip is the one
 * place stripe-java's Gson reflection runs: a full Checkout Session answer is read into its
 * nested model classes, and the request parameters are written from SessionCreateParams.
 */
@QuarkusIntegrationTest
@WithTestResource(value = PostgresTestResource.class, scope = TestResourceScope.GLOBAL,
        initArgs = @ResourceArg(name = "role", value = "metered_billing"))
@WithTestResource(value = StripeFake.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = AuthJwksResource.class, scope = TestResourceScope.GLOBAL)
class BillingPackagedIT extends PackagedServiceContract {

    @Override
    protected String schema() {
        return "billing";
    }

    @Test
    void aWebhookWithABadSignatureIsA400ProblemAndStoresNothing() throws Exception {
        String eventId = BillingFixtures.uniqueId("evt_");
        String payload = BillingFixtures.event(eventId, "checkout.session.completed",
                BillingFixtures.session(BillingFixtures.uniqueId("cs_"), UUID.randomUUID(), 5, "paid", null));
        String forged = BillingFixtures.signature(payload, "whsec_not_the_secret", Instant.now().getEpochSecond());
        BillingFixtures.deliverSigned(payload, forged).then().statusCode(400)
                .contentType("application/problem+json")
                .body("type", Matchers.equalTo("urn:metered:problem:invalid-signature"))
                .body("status", Matchers.equalTo(400));
        assertEquals(0L, ((Number) TestDatabase.single(
                "SELECT count(*) FROM billing.webhook_events WHERE event_id = ?", eventId)).longValue());
    }

    @Test
    void checkoutThroughStripeThenItsSignedWebhookCreditsTheBuyerOnce() throws Exception {
        UUID user = UUID.randomUUID();
        String token = BillingFixtures.tokenFor(user);
        String sessionId = BillingFixtures.uniqueId("cs_test_");
        WireMock stripe = BillingFixtures.stripe();
        stripe.register(post(urlEqualTo("/v1/checkout/sessions"))
                .withHeader("Idempotency-Key", equalTo("checkout:" + user + ":first-purchase"))
                .willReturn(aResponse().withHeader("Content-Type", "application/json")
                        .withBody(stripeSession(sessionId, user))));

        given().header("Authorization", "Bearer " + token).header("Idempotency-Key", "first-purchase")
                .contentType("application/json").body(Map.of("credits", 5))
                .post("/api/billing/checkout-session")
                .then().statusCode(201)
                .body("session_id", Matchers.equalTo(sessionId))
                .body("url", Matchers.equalTo("https://checkout.stripe.test/c/pay/" + sessionId));

        List<LoggedRequest> calls = stripe.find(postRequestedFor(urlEqualTo("/v1/checkout/sessions"))
                .withHeader("Idempotency-Key", equalTo("checkout:" + user + ":first-purchase")));
        assertEquals(1, calls.size());
        String form = URLDecoder.decode(calls.get(0).getBodyAsString(), StandardCharsets.UTF_8);
        for (String expected : new String[] { "mode=payment", "client_reference_id=" + user, "metadata[credits]=5",
                "payment_intent_data[metadata][user_id]=" + user, "line_items[0][quantity]=5",
                "line_items[0][price_data][unit_amount]=100", "line_items[0][price_data][currency]=usd",
                "line_items[0][price_data][product_data][name]=Metered credits" }) {
            assertTrue(form.contains(expected), expected + " in " + form);
        }

        String paid = BillingFixtures.event(BillingFixtures.uniqueId("evt_"), "checkout.session.completed",
                BillingFixtures.session(sessionId, user, 5, "paid", BillingFixtures.uniqueId("pi_")));
        BillingFixtures.deliver(paid).then().statusCode(200).body("received", Matchers.equalTo(true));
        BillingFixtures.deliver(paid).then().statusCode(200);

        given().header("Authorization", "Bearer " + token).get("/api/billing/balance")
                .then().statusCode(200)
                .body("user_id", Matchers.equalTo(user.toString()))
                .body("balance", Matchers.equalTo(5))
                .body("held", Matchers.equalTo(0));
        given().header("Authorization", "Bearer " + token).get("/api/billing/ledger")
                .then().statusCode(200)
                .body("items.size()", Matchers.equalTo(1))
                .body("items[0].kind", Matchers.equalTo("topup"))
                .body("items[0].amount", Matchers.equalTo(5));
        BillingFixtures.assertNoLedgerDrift();
    }

    @Test
    void aStripeRefusalIsA502Problem() {
        UUID user = UUID.randomUUID();
        BillingFixtures.stripe().register(post(urlEqualTo("/v1/checkout/sessions"))
                .withHeader("Idempotency-Key", equalTo("checkout:" + user + ":refused"))
                .willReturn(aResponse().withStatus(400).withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"parameter_invalid_integer\","
                                + "\"param\":\"line_items[0][quantity]\",\"message\":\"Invalid integer\","
                                + "\"request_log_url\":\"https://dashboard.stripe.test/logs/req_1\"}}")));
        given().header("Authorization", "Bearer " + BillingFixtures.tokenFor(user)).header("Idempotency-Key", "refused")
                .contentType("application/json").body(Map.of("credits", 5))
                .post("/api/billing/checkout-session")
                .then().statusCode(502).contentType("application/problem+json")
                .body("status", Matchers.equalTo(502));
    }

    @Test
    void userEndpointsWantAnAccessToken() {
        given().get("/api/billing/balance").then().statusCode(401).contentType("application/problem+json");
    }

    private static String stripeSession(String sessionId, UUID user) throws IOException {
        try (InputStream in = BillingPackagedIT.class.getResourceAsStream("/stripe/checkout-session.json")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .replace("SESSION_ID", sessionId).replace("USER_ID", user.toString());
        }
    }
}
