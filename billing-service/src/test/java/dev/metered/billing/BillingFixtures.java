package dev.metered.billing;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.github.tomakehurst.wiremock.client.WireMock;
import com.stripe.net.Webhook;
import dev.metered.testing.AccessTokens;
import dev.metered.testing.TestDatabase;
import io.restassured.response.Response;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.config.ConfigProvider;

/** Users, tokens, ledger calls as other owners' roles, and signed Stripe deliveries. */
final class BillingFixtures {

    private BillingFixtures() {
    }

    static String tokenFor(UUID userId) {
        return AccessTokens.forUser(userId);
    }

    static WireMock stripe() {
        return new WireMock("127.0.0.1", ConfigProvider.getConfig().getValue("metered.test.fake-port", Integer.class));
    }

    /** Delivers a Stripe event signed with the webhook secret, as Stripe does. */
    static Response deliver(String payload) {
        return deliverSigned(payload, signature(payload, StripeFake.WEBHOOK_SECRET, Instant.now().getEpochSecond()));
    }

    static Response deliverSigned(String payload, String stripeSignature) {
        return given().header("Stripe-Signature", stripeSignature).contentType("application/json; charset=utf-8")
                .body(payload).post("/api/billing/webhook");
    }

    static String signature(String payload, String secret, long timestamp) {
        try {
            return Webhook.Signature.generateSignatureHeader(payload, secret, timestamp);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String event(String id, String type, String object) {
        return "{\"id\":\"" + id + "\",\"object\":\"event\",\"api_version\":\"2025-01-27.acacia\",\"created\":"
                + Instant.now().getEpochSecond() + ",\"livemode\":false,\"type\":\"" + type
                + "\",\"data\":{\"object\":" + object + "}}";
    }

    static String session(String sessionId, UUID userId, long credits, String paymentStatus, String paymentIntent) {
        return "{\"id\":\"" + sessionId + "\",\"object\":\"checkout.session\",\"payment_status\":\"" + paymentStatus
                + "\",\"status\":\"complete\",\"amount_total\":" + credits * 100 + ",\"currency\":\"usd\","
                + "\"payment_intent\":" + (paymentIntent == null ? "null" : "\"" + paymentIntent + "\"")
                + ",\"client_reference_id\":\"" + userId + "\",\"metadata\":{\"user_id\":\"" + userId
                + "\",\"credits\":\"" + credits + "\"}}";
    }

    static String charge(String chargeId, String paymentIntent, long amount, long amountRefunded) {
        return "{\"id\":\"" + chargeId + "\",\"object\":\"charge\",\"amount\":" + amount + ",\"amount_refunded\":"
                + amountRefunded + ",\"payment_intent\":\"" + paymentIntent + "\",\"refunded\":"
                + (amount == amountRefunded) + "}";
    }

    static String uniqueId(String prefix) {
        return prefix + UUID.randomUUID().toString().replace("-", "");
    }

    /** Buys credits for a fresh user through a signed checkout.session.completed; returns the user. */
    static UUID userWithCredits(long credits) {
        UUID user = UUID.randomUUID();
        String paymentIntent = uniqueId("pi_");
        deliver(event(uniqueId("evt_"), "checkout.session.completed",
                session(uniqueId("cs_"), user, credits, "paid", paymentIntent))).then().statusCode(200);
        return user;
    }

    static String paymentIntentOf(UUID user) throws SQLException {
        return (String) TestDatabase.single("SELECT payment_intent FROM billing.checkout_sessions WHERE user_id = ?", user);
    }

    static long balance(UUID user) throws SQLException {
        List<Object> values = TestDatabase.column("SELECT balance FROM billing.accounts WHERE user_id = ?", user);
        return values.isEmpty() ? 0 : ((Number) values.get(0)).longValue();
    }

    static long ledgerRows(UUID user, String kind) throws SQLException {
        return ((Number) TestDatabase.single("SELECT count(*) FROM billing.credit_ledger WHERE user_id = ? AND kind = ?",
                user, kind)).longValue();
    }


    /** The invariant every test class ends with: each account equals its ledger. */
    static void assertNoLedgerDrift() throws SQLException {
        assertEquals(List.of(), TestDatabase.column("SELECT user_id FROM billing.ledger_drift"));
        assertEquals(0L, ((Number) TestDatabase.single(
                "SELECT count(*) FROM billing.accounts a WHERE a.balance <> (SELECT coalesce(sum(amount), 0)"
                        + " FROM billing.credit_ledger l WHERE l.user_id = a.user_id)")).longValue());
    }
}
