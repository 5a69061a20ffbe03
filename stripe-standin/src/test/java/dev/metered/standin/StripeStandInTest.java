package dev.metered.standin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.stripe.Stripe;
import com.stripe.exception.AuthenticationException;
import com.stripe.exception.IdempotencyException;
import com.stripe.exception.InvalidRequestException;
import com.stripe.exception.SignatureVerificationException;
import com.stripe.model.Charge;
import com.stripe.model.Dispute;
import com.stripe.model.Event;
import com.stripe.model.StripeObject;
import com.stripe.model.checkout.Session;
import com.stripe.net.RequestOptions;
import com.stripe.net.Webhook;
import com.stripe.param.checkout.SessionCreateParams;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The stand-in, started in-process, driven by stripe-java 33 and checked by its own verifier. */
class StripeStandInTest {
  private static final String SECRET = "whsec_" + UUID.randomUUID().toString().replace("-", "");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One request the local webhook receiver got. */
  record Delivery(String payload, String signature, String contentType) {}

  private static final BlockingQueue<Delivery> received = new LinkedBlockingQueue<>();
  private static final AtomicInteger receiverStatus = new AtomicInteger(200);
  private static final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
  private static final HttpClient http = HttpClient.newHttpClient();
  private static HttpServer receiver;
  private static StripeStandIn standIn;

  @BeforeAll
  static void start() throws Exception {
    receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    receiver.createContext("/webhook", exchange -> {
      byte[] body = exchange.getRequestBody().readAllBytes();
      received.add(new Delivery(new String(body, StandardCharsets.UTF_8),
          exchange.getRequestHeaders().getFirst("Stripe-Signature"),
          exchange.getRequestHeaders().getFirst("Content-Type")));
      int status = receiverStatus.get();
      byte[] answer = (status == 200 ? "{\"received\":true}" : "{\"title\":\"boom\"}")
          .getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(status, answer.length);
      exchange.getResponseBody().write(answer);
      exchange.close();
    });
    receiver.start();
    URI webhook = URI.create("http://127.0.0.1:" + receiver.getAddress().getPort() + "/webhook");
    standIn = StripeStandIn.start(new StandInConfig(0, SECRET, webhook, null),
        new PrintStream(logBytes, true, StandardCharsets.UTF_8));
    Stripe.overrideApiBase(standIn.apiBase());
    Stripe.apiKey = "sk_test_x";
  }

  @AfterAll
  static void stop() {
    standIn.close();
    receiver.stop(0);
    Stripe.overrideApiBase(Stripe.LIVE_API_BASE);
    Stripe.apiKey = null;
  }

  @BeforeEach
  void reset() {
    received.clear();
    receiverStatus.set(200);
  }

  private static SessionCreateParams params(long quantity) {
    return SessionCreateParams.builder()
        .setMode(SessionCreateParams.Mode.PAYMENT)
        .addLineItem(SessionCreateParams.LineItem.builder()
            .setQuantity(quantity)
            .setPriceData(SessionCreateParams.LineItem.PriceData.builder()
                .setCurrency("usd")
                .setUnitAmount(100L)
                .setProductData(SessionCreateParams.LineItem.PriceData.ProductData.builder()
                    .setName("Credits")
                    .build())
                .build())
            .build())
        .setClientReferenceId("user-42")
        .putMetadata("user_id", "user-42")
        .putMetadata("credits", String.valueOf(quantity))
        .setSuccessUrl("http://localhost:3000/billing/success?session_id={CHECKOUT_SESSION_ID}")
        .setCancelUrl("http://localhost:3000/billing/cancel")
        .build();
  }

  private static Session paidSession() throws Exception {
    Session session = Session.create(params(5));
    assertEquals(200, get(session.getUrl()).statusCode());
    next();
    return session;
  }

  private static HttpResponse<String> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> post(String path, String form, String apiKey)
      throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(standIn.apiBase() + path))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(form));
    if (apiKey != null) {
      request.header("Authorization", "Bearer " + apiKey);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The next delivered event, verified with stripe-java's own verifier. */
  private static Event next() throws Exception {
    Delivery delivery = received.poll(10, TimeUnit.SECONDS);
    assertNotNull(delivery, "no event was delivered");
    assertEquals("application/json; charset=utf-8", delivery.contentType());
    assertTrue(delivery.signature().matches("t=\\d+,v1=[0-9a-f]{64}"), delivery.signature());
    Event event = Webhook.constructEvent(delivery.payload(), delivery.signature(), SECRET);
    assertEquals(Stripe.API_VERSION, event.getApiVersion());
    assertFalse(event.getLivemode());
    assertTrue(event.getId().startsWith("evt_test_"));
    return event;
  }

  private static StripeObject objectOf(Event event) {
    return event.getDataObjectDeserializer().getObject()
        .orElseThrow(() -> new AssertionError("stripe-java did not deserialize data.object"));
  }

  private static void assertNothingDelivered() throws InterruptedException {
    assertNull(received.poll(300, TimeUnit.MILLISECONDS), "an event was delivered");
  }

  @Test
  void stripeJavaCreatesRetrievesAndReplaysSessions() throws Exception {
    String key = UUID.randomUUID().toString();
    RequestOptions options = RequestOptions.builder().setIdempotencyKey(key).build();

    Session session = Session.create(params(5), options);

    assertTrue(session.getId().startsWith("cs_test_"), session.getId());
    assertEquals(standIn.publicUrl() + "/pay/" + session.getId(), session.getUrl());
    assertEquals(500L, session.getAmountTotal());
    assertEquals("usd", session.getCurrency());
    assertEquals("payment", session.getMode());
    assertEquals("open", session.getStatus());
    assertEquals("unpaid", session.getPaymentStatus());
    assertNull(session.getPaymentIntent());
    assertFalse(session.getLivemode());
    assertEquals("user-42", session.getClientReferenceId());
    assertEquals(Map.of("user_id", "user-42", "credits", "5"), session.getMetadata());
    assertEquals("http://localhost:3000/billing/cancel", session.getCancelUrl());
    assertTrue(session.getCreated() > 0);

    Session again = Session.create(params(5), options);
    assertEquals(session.getId(), again.getId());
    assertEquals("true", again.getLastResponse().headers().firstValue("Idempotent-Replayed").orElse(null));

    IdempotencyException changed =
        assertThrows(IdempotencyException.class, () -> Session.create(params(6), options));
    assertEquals(400, changed.getStatusCode());
    assertEquals("idempotency_error", changed.getStripeError().getType());

    Session other = Session.create(params(5),
        RequestOptions.builder().setIdempotencyKey(UUID.randomUUID().toString()).build());
    assertNotEquals(session.getId(), other.getId());

    Session retrieved = Session.retrieve(session.getId());
    assertEquals(session.getId(), retrieved.getId());
    assertEquals(500L, retrieved.getAmountTotal());
    assertEquals(session.getMetadata(), retrieved.getMetadata());
    assertNothingDelivered();
  }

  @Test
  void payingDeliversOneSignedCompletedEvent() throws Exception {
    Session session = Session.create(params(5));

    HttpResponse<String> page = get(session.getUrl());

    assertEquals(200, page.statusCode());
    assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
    assertTrue(page.body().contains("HTTP 200"), page.body());
    assertTrue(page.body().contains(
        "http://localhost:3000/billing/success?session_id=" + session.getId()), page.body());
    Event event = next();
    assertNothingDelivered();
    assertEquals("checkout.session.completed", event.getType());
    assertTrue(page.body().contains(event.getId()));
    assertTrue(logBytes.toString(StandardCharsets.UTF_8).contains(
        event.getId() + " checkout.session.completed"));
    Session paid = (Session) objectOf(event);
    assertEquals(session.getId(), paid.getId());
    assertEquals("complete", paid.getStatus());
    assertEquals("paid", paid.getPaymentStatus());
    assertTrue(paid.getPaymentIntent().startsWith("pi_test_"), paid.getPaymentIntent());
    assertEquals(500L, paid.getAmountTotal());
    assertEquals("user-42", paid.getClientReferenceId());
    assertEquals(Map.of("user_id", "user-42", "credits", "5"), paid.getMetadata());

    Session retrieved = Session.retrieve(session.getId());
    assertEquals("paid", retrieved.getPaymentStatus());
    assertEquals(paid.getPaymentIntent(), retrieved.getPaymentIntent());

    HttpResponse<String> second = get(session.getUrl());
    assertEquals(200, second.statusCode());
    assertTrue(second.body().contains("Already paid"), second.body());
    assertNothingDelivered();
  }

  @Test
  void theSignatureIsStripesOwn() throws Exception {
    Session session = Session.create(params(5));
    get(session.getUrl());
    Delivery delivery = received.poll(10, TimeUnit.SECONDS);
    assertNotNull(delivery);
    assertThrows(SignatureVerificationException.class, () ->
        Webhook.constructEvent(delivery.payload(), delivery.signature(), SECRET + "x"));
    assertThrows(SignatureVerificationException.class, () ->
        Webhook.constructEvent(delivery.payload() + " ", delivery.signature(), SECRET));
    long t = Long.parseLong(delivery.signature().replaceAll("^t=(\\d+),.*", "$1"));
    assertEquals(WebhookSender.signature(List.of(SECRET), t, delivery.payload()),
        delivery.signature());
    JsonNode raw = JSON.readTree(delivery.payload());
    assertEquals("event", raw.get("object").asText());
    assertEquals(1, raw.get("pending_webhooks").asInt());
    assertTrue(raw.get("request").get("id").isNull());
    assertTrue(raw.get("request").get("idempotency_key").isNull());
    assertTrue(raw.get("data").get("object").get("url").isNull(), "a completed session has no url");
  }

  @Test
  void whileASecretIsRolledEventsAreSignedWithEach() throws Exception {
    String payload = "{\"id\":\"evt_test_1\",\"object\":\"event\",\"type\":\"ping\"}";
    long now = java.time.Instant.now().getEpochSecond();
    String header = WebhookSender.signature(
        new StandInConfig(0, "whsec_new, whsec_old", URI.create("http://127.0.0.1:1/"), null)
            .webhookSecrets(), now, payload);
    assertTrue(header.matches("t=\\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}"), header);
    assertEquals("evt_test_1", Webhook.constructEvent(payload, header, "whsec_new").getId());
    assertEquals("evt_test_1", Webhook.constructEvent(payload, header, "whsec_old").getId());
    assertThrows(SignatureVerificationException.class,
        () -> Webhook.constructEvent(payload, header, "whsec_other"));
  }

  @Test
  void partialRefundsSendCumulativeChargeRefundedEvents() throws Exception {
    Session session = paidSession();
    String paymentIntent = Session.retrieve(session.getId()).getPaymentIntent();

    HttpResponse<String> first =
        post("/_standin/sessions/" + session.getId() + "/refund", "amount=200", null);
    assertEquals(200, first.statusCode(), first.body());
    Event firstEvent = next();
    assertEquals("charge.refunded", firstEvent.getType());
    Charge charge = (Charge) objectOf(firstEvent);
    assertTrue(charge.getId().startsWith("ch_test_"), charge.getId());
    assertEquals(500L, charge.getAmount());
    assertEquals(200L, charge.getAmountRefunded());
    assertFalse(charge.getRefunded());
    assertEquals(paymentIntent, charge.getPaymentIntent());
    assertEquals("usd", charge.getCurrency());
    assertEquals(firstEvent.getId(), JSON.readTree(first.body()).get("event").get("id").asText());

    HttpResponse<String> second =
        post("/_standin/sessions/" + session.getId() + "/refund?amount=300", "", null);
    assertEquals(200, second.statusCode(), second.body());
    Charge refunded = (Charge) objectOf(next());
    assertEquals(charge.getId(), refunded.getId());
    assertEquals(500L, refunded.getAmountRefunded());
    assertTrue(refunded.getRefunded());

    HttpResponse<String> third = post("/_standin/sessions/" + session.getId() + "/refund", "", null);
    assertEquals(400, third.statusCode());
    assertEquals("charge_already_refunded",
        JSON.readTree(third.body()).get("error").get("code").asText());
    assertNothingDelivered();
  }

  @Test
  void aFullRefundIsTheDefaultAndRefundsNeedAPayment() throws Exception {
    Session open = Session.create(params(5));
    HttpResponse<String> unpaid = post("/_standin/sessions/" + open.getId() + "/refund", "", null);
    assertEquals(400, unpaid.statusCode());
    assertEquals("invalid_request_error", JSON.readTree(unpaid.body()).get("error").get("type").asText());

    Session session = paidSession();
    HttpResponse<String> tooMuch =
        post("/_standin/sessions/" + session.getId() + "/refund", "amount=501", null);
    assertEquals(400, tooMuch.statusCode());
    assertEquals(200, post("/_standin/sessions/" + session.getId() + "/refund", "", null).statusCode());
    Charge charge = (Charge) objectOf(next());
    assertEquals(500L, charge.getAmountRefunded());
    assertTrue(charge.getRefunded());
    assertNothingDelivered();
  }

  @Test
  void delayedPaymentsSendCompletedUnpaidThenAsyncSucceeded() throws Exception {
    Session session = Session.create(params(3));
    assertEquals(400,
        post("/_standin/sessions/" + session.getId() + "/async-success", "", null).statusCode());

    assertEquals(200, get(session.getUrl() + "?async=1").statusCode());
    Event completed = next();
    assertEquals("checkout.session.completed", completed.getType());
    Session pending = (Session) objectOf(completed);
    assertEquals("complete", pending.getStatus());
    assertEquals("unpaid", pending.getPaymentStatus());
    assertEquals(400, post("/_standin/sessions/" + session.getId() + "/refund", "", null).statusCode());

    assertEquals(200,
        post("/_standin/sessions/" + session.getId() + "/async-success", "", null).statusCode());
    Event succeeded = next();
    assertEquals("checkout.session.async_payment_succeeded", succeeded.getType());
    Session paid = (Session) objectOf(succeeded);
    assertEquals("paid", paid.getPaymentStatus());
    assertEquals(pending.getPaymentIntent(), paid.getPaymentIntent());
    assertEquals(Map.of("user_id", "user-42", "credits", "3"), paid.getMetadata());
    assertEquals(400,
        post("/_standin/sessions/" + session.getId() + "/async-failure", "", null).statusCode());
  }

  @Test
  void asyncSuccessAfterAnOrdinaryPaymentGivesTheSecondEventOfOnePayment() throws Exception {
    Session session = paidSession();
    assertEquals(200,
        post("/_standin/sessions/" + session.getId() + "/async-success", "", null).statusCode());
    Event event = next();
    assertEquals("checkout.session.async_payment_succeeded", event.getType());
    assertEquals(session.getId(), ((Session) objectOf(event)).getId());
  }

  @Test
  void delayedPaymentsCanFail() throws Exception {
    Session session = Session.create(params(5));
    get(session.getUrl() + "?async=true");
    next();
    assertEquals(200,
        post("/_standin/sessions/" + session.getId() + "/async-failure", "", null).statusCode());
    Event failed = next();
    assertEquals("checkout.session.async_payment_failed", failed.getType());
    assertEquals("unpaid", ((Session) objectOf(failed)).getPaymentStatus());
  }

  @Test
  void disputesSendChargeDisputeCreated() throws Exception {
    Session session = paidSession();
    assertEquals(200, post("/_standin/sessions/" + session.getId() + "/dispute", "", null).statusCode());
    Event event = next();
    assertEquals("charge.dispute.created", event.getType());
    Dispute dispute = (Dispute) objectOf(event);
    assertTrue(dispute.getId().startsWith("dp_test_"));
    assertEquals(500L, dispute.getAmount());
    assertTrue(dispute.getCharge().startsWith("ch_test_"));
    assertEquals(400, post("/_standin/sessions/" + session.getId() + "/dispute", "", null).statusCode());
  }

  @Test
  void aRefusedDeliveryIsReportedAndCanBeRedelivered() throws Exception {
    Session session = Session.create(params(5));
    receiverStatus.set(500);

    HttpResponse<String> page = get(session.getUrl());

    assertEquals(502, page.statusCode());
    assertTrue(page.body().contains("HTTP 500"), page.body());
    Event refused = next();
    receiverStatus.set(200);
    HttpResponse<String> again =
        post("/_standin/events/" + refused.getId() + "/redeliver", "", null);
    assertEquals(200, again.statusCode(), again.body());
    assertEquals(200, JSON.readTree(again.body()).get("delivery").get("status").asInt());
    Event redelivered = next();
    assertEquals(refused.getId(), redelivered.getId());
    assertEquals(404, post("/_standin/events/evt_test_unknown/redeliver", "", null).statusCode());
  }

  @Test
  void badKeysAreRefusedWith401() throws Exception {
    RequestOptions live = RequestOptions.builder().setApiKey("sk_live_0123456789abcdef").build();
    AuthenticationException refused =
        assertThrows(AuthenticationException.class, () -> Session.create(params(5), live));
    assertEquals(401, refused.getStatusCode());

    HttpResponse<String> none = post("/v1/checkout/sessions", "mode=payment", null);
    assertEquals(401, none.statusCode());
    JsonNode error = JSON.readTree(none.body()).get("error");
    assertEquals("invalid_request_error", error.get("type").asText());
    assertFalse(error.get("message").asText().isEmpty());
    assertEquals(401, post("/v1/checkout/sessions", "mode=payment", "pk_test_abc").statusCode());
  }

  @Test
  void unknownSessionsAre404() throws Exception {
    InvalidRequestException missing =
        assertThrows(InvalidRequestException.class, () -> Session.retrieve("cs_test_unknown"));
    assertEquals(404, missing.getStatusCode());
    assertEquals("resource_missing", missing.getCode());

    HttpResponse<String> page = get(standIn.publicUrl() + "/pay/cs_test_unknown");
    assertEquals(404, page.statusCode());
    assertTrue(page.body().contains("No such Checkout Session"));
    assertEquals(404, post("/_standin/sessions/cs_test_unknown/refund", "", null).statusCode());
    assertNothingDelivered();
  }

  @Test
  void invalidSessionsAre400() throws Exception {
    String item = "line_items[0][price_data][currency]=usd"
        + "&line_items[0][price_data][unit_amount]=100"
        + "&line_items[0][price_data][product_data][name]=Credits";
    assertInvalid("mode=payment", "line_items");
    assertInvalid(item + "&line_items[0][quantity]=5", "mode");
    assertInvalid("mode=subscription&" + item + "&line_items[0][quantity]=5", "mode");
    assertInvalid("mode=payment&" + item, "line_items[0][quantity]");
    assertInvalid("mode=payment&" + item + "&line_items[0][quantity]=0", "line_items[0][quantity]");
    assertInvalid("mode=payment&line_items[0][price]=price_123&line_items[0][quantity]=1",
        "line_items[0][price]");
    assertInvalid("mode=payment&" + item + "&line_items[0][quantity]=5&success_url=nope",
        "success_url");
    // below Stripe's minimum charge of 0.50 usd
    assertInvalid("mode=payment&" + item.replace("=100", "=10") + "&line_items[0][quantity]=1",
        "line_items");
    assertInvalid("mode=payment&" + item + "&line_items[0][quantity]=5&metadata[user_id][x]=1",
        "metadata[user_id]");
  }

  private static void assertInvalid(String form, String param) throws Exception {
    HttpResponse<String> response = post("/v1/checkout/sessions", form, "sk_test_x");
    assertEquals(400, response.statusCode(), response.body());
    JsonNode error = JSON.readTree(response.body()).get("error");
    assertEquals("invalid_request_error", error.get("type").asText());
    assertEquals(param, error.get("param").asText(), response.body());
  }

  @Test
  void healthAnswersUp() throws Exception {
    HttpResponse<String> health = get(standIn.apiBase() + "/_standin/health");
    assertEquals(200, health.statusCode());
    assertEquals("UP", JSON.readTree(health.body()).get("status").asText());
  }

  @Test
  void listensOnLoopbackUnlessToldToBindElsewhere() throws Exception {
    Map<String, String> env = Map.of("STRIPE_WEBHOOK_SECRET", SECRET, "STRIPE_STANDIN_PORT", "0");
    assertEquals("127.0.0.1", StandInConfig.fromEnvironment(env).bindAddress());

    Map<String, String> everywhere = new java.util.HashMap<>(env);
    everywhere.put("STRIPE_STANDIN_BIND", "0.0.0.0");
    StripeStandIn container = StripeStandIn.start(StandInConfig.fromEnvironment(everywhere),
        new PrintStream(new ByteArrayOutputStream()));
    try {
      // 127.0.0.2 is this machine too, but a socket bound to 127.0.0.1 does not answer on it
      HttpResponse<String> health = get("http://127.0.0.2:" + container.port() + "/_standin/health");
      assertEquals(200, health.statusCode());
      assertThrows(java.net.ConnectException.class,
          () -> get("http://127.0.0.2:" + standIn.port() + "/_standin/health"));
    } finally {
      container.close();
    }
  }
}
