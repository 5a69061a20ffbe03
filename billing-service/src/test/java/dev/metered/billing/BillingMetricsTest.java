package dev.metered.billing;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.metered.billing.BillingFixtures.charge;
import static dev.metered.billing.BillingFixtures.deliver;
import static dev.metered.billing.BillingFixtures.event;
import static dev.metered.billing.BillingFixtures.session;
import static dev.metered.billing.BillingFixtures.uniqueId;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.metered.testing.PrometheusScrape;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.sql.SQLException;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Webhook events, ledger entries and checkout sessions move their metrics by exactly what happened. */
@QuarkusTest
class BillingMetricsTest {

    private static final String EVENTS = "metered_billing_webhook_events_total";
    private static final String LEDGER = "metered_ledger_entries_total";

    @AfterAll
    static void everyAccountEqualsItsLedger() throws SQLException {
        BillingFixtures.assertNoLedgerDrift();
    }

    @Test
    void webhookEventsAreCountedByTypeAndResultAndTheirLedgerEntriesByKind() {
        UUID user = UUID.randomUUID();
        String paymentIntent = uniqueId("pi_");
        String completed = event(uniqueId("evt_"), "checkout.session.completed",
                session(uniqueId("cs_"), user, 10, "paid", paymentIntent));
        PrometheusScrape before = PrometheusScrape.now();

        deliver(completed).then().statusCode(200).body("result", equalTo("processed"));
        deliver(completed).then().statusCode(200).body("result", equalTo("already_done"));
        deliver(event(uniqueId("evt_"), "customer.created", "{\"id\":\"cus_1\",\"object\":\"customer\"}"))
                .then().statusCode(200).body("result", equalTo("ignored"));
        deliver(event(uniqueId("evt_"), "charge.refunded", charge(uniqueId("ch_"), paymentIntent, 1000, 500)))
                .then().statusCode(200).body("result", equalTo("processed"));
        deliver(event(uniqueId("evt_"), "charge.refunded", charge(uniqueId("ch_"), uniqueId("pi_"), 1000, 1000)))
                .then().statusCode(500); // no credited session for it (yet): stored as failed

        PrometheusScrape after = PrometheusScrape.now();
        String completedType = "checkout.session.completed";
        assertEquals(1, after.increase(before, EVENTS, Map.of("type", completedType, "result", "processed")));
        assertEquals(1, after.increase(before, EVENTS, Map.of("type", completedType, "result", "already_done")));
        assertEquals(1, after.increase(before, EVENTS, Map.of("type", "other", "result", "ignored")));
        assertEquals(1, after.increase(before, EVENTS, Map.of("type", "charge.refunded", "result", "processed")));
        assertEquals(1, after.increase(before, EVENTS, Map.of("type", "charge.refunded", "result", "failed")));
        assertEquals(0, after.increase(before, EVENTS, Map.of("type", "customer.created")));
        assertEquals(1, after.increase(before, LEDGER, Map.of("kind", "topup")));
        assertEquals(1, after.increase(before, LEDGER, Map.of("kind", "refund")));
    }

    @Test
    void aCheckoutSessionIsCountedOnceHoweverOftenItsRequestIsRepeated() {
        BillingFixtures.stripe().register(post(urlEqualTo("/v1/checkout/sessions")).willReturn(aResponse()
                .withHeader("Content-Type", "application/json").withBody(
                        "{\"id\":\"cs_test_{{randomValue length=12 type='ALPHANUMERIC'}}\",\"object\":\"checkout.session\","
                                + "\"url\":\"https://checkout.stripe.test/pay/1\",\"status\":\"open\"}")
                .withTransformers("response-template")));
        String token = BillingFixtures.tokenFor(UUID.randomUUID());
        PrometheusScrape before = PrometheusScrape.now();

        Response first = checkout(token, "metrics-buy");
        first.then().statusCode(201);
        checkout(token, "metrics-buy").then().statusCode(201);

        PrometheusScrape after = PrometheusScrape.now();
        assertEquals(1, after.increase(before, "metered_billing_checkout_sessions_created_total", Map.of()));
    }

    private static Response checkout(String token, String key) {
        return given().header("Authorization", "Bearer " + token).header("Idempotency-Key", key)
                .contentType("application/json").body(Map.of("credits", 5)).post("/api/billing/checkout-session");
    }
}
