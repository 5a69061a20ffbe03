package dev.metered.standin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A local stand-in for the part of Stripe's HTTP API that billing-service uses: Checkout Sessions
 * ({@code POST /v1/checkout/sessions}, {@code GET /v1/checkout/sessions/{id}}), a payment page
 * ({@code GET /pay/{id}}) and the signed webhook events that follow, plus {@code /_standin/*}
 * endpoints that simulate what happens later (refunds, disputes, delayed payments). All state is
 * in memory.
 */
public final class StripeStandIn implements AutoCloseable {
  /** The API version events are rendered in when the creating request named none. */
  static final String DEFAULT_API_VERSION = "2026-07-29.dahlia";
  private static final int MAX_BODY = 256 * 1024;
  private static final Pattern SESSION_PATH = Pattern.compile("/v1/checkout/sessions/([A-Za-z0-9_]+)");
  private static final Pattern PAY_PATH = Pattern.compile("/pay/([A-Za-z0-9_]+)");
  private static final Pattern ACTION_PATH =
      Pattern.compile("/_standin/sessions/([A-Za-z0-9_]+)/(refund|async-success|async-failure|dispute)");
  private static final Pattern REDELIVER_PATH =
      Pattern.compile("/_standin/events/([A-Za-z0-9_]+)/redeliver");
  private static final Set<String> ZERO_DECIMAL = Set.of("bif", "clp", "djf", "gnf", "jpy", "kmf",
      "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf");

  private record Replay(String fingerprint, byte[] body) {}

  private record StoredEvent(String id, String type, String payload) {}

  private final ObjectMapper json = new ObjectMapper();
  private final Map<String, CheckoutSession> sessions = new ConcurrentHashMap<>();
  private final Map<String, StoredEvent> events = new ConcurrentHashMap<>();
  /** Idempotency-Key → the first request's parameters and response; guarded by itself. */
  private final Map<String, Replay> replays = new HashMap<>();
  private final HttpServer server;
  private final ExecutorService executor;
  private final WebhookSender webhooks;
  private final PrintStream log;
  private final String publicUrl;

  private StripeStandIn(StandInConfig config, PrintStream log) throws IOException {
    this.log = log;
    this.webhooks = new WebhookSender(config.webhookSecrets(), config.webhookUrl(), log);
    this.server = HttpServer.create(
        new InetSocketAddress(InetAddress.getByName(config.bindAddress()), config.port()), 64);
    AtomicInteger threads = new AtomicInteger();
    this.executor = Executors.newCachedThreadPool(task -> {
      Thread thread = new Thread(task, "stripe-standin-" + threads.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    this.publicUrl = config.publicUrl() != null ? config.publicUrl() : "http://localhost:" + port();
  }

  /** Binds {@code config.bindAddress()}:{@code config.port()} and starts serving. */
  public static StripeStandIn start(StandInConfig config, PrintStream log) throws IOException {
    StripeStandIn standIn = new StripeStandIn(config, log);
    standIn.server.start();
    return standIn;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** Where stripe-java should be pointed: {@code http://127.0.0.1:<port>}. */
  public String apiBase() {
    return "http://127.0.0.1:" + port();
  }

  public String publicUrl() {
    return publicUrl;
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private void handle(HttpExchange exchange) {
    String method = exchange.getRequestMethod();
    String path = exchange.getRequestURI().getRawPath();
    try {
      if (path.startsWith("/v1/")) {
        exchange.getResponseHeaders().set("Request-Id", Ids.next("req_"));
      }
      route(exchange, method, path);
    } catch (StripeError e) {
      sendError(exchange, e);
    } catch (RuntimeException | IOException e) {
      log.printf("stripe-standin: %s %s failed: %s%n", method, path, e);
      sendError(exchange, new StripeError(500, "api_error", null, null,
          "The stand-in failed: " + e.getMessage()));
    } finally {
      exchange.close();
    }
  }

  private void route(HttpExchange exchange, String method, String path) throws IOException {
    boolean get = method.equals("GET");
    boolean post = method.equals("POST");
    Matcher m;
    if (path.startsWith("/v1/")) {
      authenticate(exchange);
      if (post && path.equals("/v1/checkout/sessions")) {
        createSession(exchange);
        return;
      }
      if (get && (m = SESSION_PATH.matcher(path)).matches()) {
        sendJson(exchange, 200, session(m.group(1)).toJson(json, publicUrl));
        return;
      }
      throw new StripeError(404, "invalid_request_error", null, null,
          "Unrecognized request URL (" + method + ": " + path + "). The stand-in serves "
              + "POST /v1/checkout/sessions and GET /v1/checkout/sessions/{id} only.");
    }
    if (get && (m = PAY_PATH.matcher(path)).matches()) {
      pay(exchange, m.group(1));
    } else if (post && (m = ACTION_PATH.matcher(path)).matches()) {
      sessionAction(exchange, m.group(1), m.group(2));
    } else if (post && (m = REDELIVER_PATH.matcher(path)).matches()) {
      StoredEvent event = events.get(m.group(1));
      if (event == null) {
        throw StripeError.notFound("event", m.group(1));
      }
      sendOutcome(exchange, event, null);
    } else if (get && path.equals("/_standin/health")) {
      sendJson(exchange, 200, json.createObjectNode().put("status", "UP"));
    } else if (get && path.equals("/")) {
      sendHtml(exchange, 200, indexPage());
    } else {
      throw new StripeError(404, "invalid_request_error", null, null,
          "Unrecognized request URL (" + method + ": " + path + ").");
    }
  }

  /** Accepts any test key, as Bearer (what the SDKs send) or as Basic user (curl -u). */
  private void authenticate(HttpExchange exchange) {
    String header = exchange.getRequestHeaders().getFirst("Authorization");
    String key = null;
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      key = header.substring(7).trim();
    } else if (header != null && header.regionMatches(true, 0, "Basic ", 0, 6)) {
      try {
        String pair = new String(Base64.getDecoder().decode(header.substring(6).trim()),
            StandardCharsets.UTF_8);
        key = pair.contains(":") ? pair.substring(0, pair.indexOf(':')) : pair;
      } catch (IllegalArgumentException e) {
        key = "";
      }
    }
    if (key == null || key.isEmpty()) {
      exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"Stripe\"");
      throw StripeError.unauthorized("You did not provide an API key. Provide it in the "
          + "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').");
    }
    if (!key.startsWith("sk_test_") || key.length() == "sk_test_".length()) {
      exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"Stripe\"");
      throw StripeError.unauthorized("Invalid API Key provided: " + mask(key)
          + " (the stand-in accepts any secret test key, sk_test_...)");
    }
  }

  private static String mask(String key) {
    if (key.length() <= 12) {
      return "*".repeat(key.length());
    }
    return key.substring(0, 8) + "*".repeat(key.length() - 12) + key.substring(key.length() - 4);
  }

  private void createSession(HttpExchange exchange) throws IOException {
    String body = readBody(exchange);
    String idempotencyKey = exchange.getRequestHeaders().getFirst("Idempotency-Key");
    String version = exchange.getRequestHeaders().getFirst("Stripe-Version");
    String apiVersion = version == null || version.isBlank() ? DEFAULT_API_VERSION : version.trim();
    if (idempotencyKey == null) {
      sendJsonBytes(exchange, 200, newSession(body, apiVersion));
      return;
    }
    if (idempotencyKey.length() > 255) {
      throw StripeError.invalid(null, "Idempotency-Key must be at most 255 characters long.");
    }
    String fingerprint = fingerprint(body);
    byte[] response;
    boolean replayed;
    // One lock for all keys: creating a session is quick, and this keeps two concurrent requests
    // with one key from both creating a session.
    synchronized (replays) {
      Replay replay = replays.get(idempotencyKey);
      replayed = replay != null;
      if (replayed && !replay.fingerprint().equals(fingerprint)) {
        throw new StripeError(400, "idempotency_error", null, null, "Keys for idempotent requests "
            + "can only be used with the same parameters they were first used with. Try using a key "
            + "other than '" + idempotencyKey + "' if you meant to execute a different request.");
      }
      // Like Stripe, a request refused by validation is not stored: the key stays unused.
      response = replayed ? replay.body() : newSession(body, apiVersion);
      if (!replayed) {
        replays.put(idempotencyKey, new Replay(fingerprint, response));
      }
    }
    if (replayed) {
      exchange.getResponseHeaders().set("Idempotent-Replayed", "true");
    }
    exchange.getResponseHeaders().set("Idempotency-Key", idempotencyKey);
    sendJsonBytes(exchange, 200, response);
  }

  /** The request's parameters in a canonical order, so equal requests compare equal. */
  private static String fingerprint(String body) {
    List<Map.Entry<String, String>> pairs = new ArrayList<>(FormParams.pairs(body));
    pairs.sort(Map.Entry.<String, String>comparingByKey().thenComparing(Map.Entry.comparingByValue()));
    StringBuilder canonical = new StringBuilder("POST /v1/checkout/sessions");
    for (Map.Entry<String, String> pair : pairs) {
      canonical.append('\n').append(pair.getKey()).append('=').append(pair.getValue());
    }
    return canonical.toString();
  }

  private byte[] newSession(String body, String apiVersion) throws JsonProcessingException {
    Map<String, Object> params = FormParams.parse(body);
    CheckoutSession session = CheckoutSession.create(params, apiVersion, now());
    sessions.put(session.id, session);
    List<String> ignored = CheckoutSession.ignoredParams(params);
    log.printf("stripe-standin: created %s for %s; pay at %s%s%n", session.id,
        money(session.amountTotal, session.currency), session.payUrl(publicUrl),
        ignored.isEmpty() ? "" : " (parameters not modelled, ignored: " + String.join(", ", ignored) + ")");
    synchronized (session) {
      return json.writeValueAsBytes(session.toJson(json, publicUrl));
    }
  }

  private CheckoutSession session(String id) {
    CheckoutSession session = sessions.get(id);
    if (session == null) {
      throw StripeError.notFound("checkout.session", id);
    }
    return session;
  }

  private void pay(HttpExchange exchange, String id) throws IOException {
    CheckoutSession session = sessions.get(id);
    if (session == null) {
      sendHtml(exchange, 404, page("No such Checkout Session",
          "<p>The stand-in has no session <code>" + html(id) + "</code>. Sessions live in its "
              + "memory: a restarted stand-in has forgotten the earlier ones.</p>"));
      return;
    }
    boolean delayed = Set.of("1", "true").contains(
        String.valueOf(FormParams.parse(exchange.getRequestURI().getRawQuery()).get("async")));
    StoredEvent event = null;
    synchronized (session) {
      if (session.status.equals("open")) {
        session.status = "complete";
        session.paymentIntent = Ids.next("pi_test_");
        if (delayed) {
          session.paymentStatus = "unpaid";
        } else {
          markPaid(session);
        }
        event = newEvent("checkout.session.completed", session.toJson(json, publicUrl), session);
      }
    }
    String amount = money(session.amountTotal, session.currency);
    String next = session.successUrl == null ? ""
        : "<p><a href=\"" + html(session.successUrl.replace("{CHECKOUT_SESSION_ID}", session.id))
            + "\">Continue to the success URL</a></p>";
    if (event == null) {
      sendHtml(exchange, 200, page("Already paid",
          "<p>Session <code>" + html(id) + "</code> (" + html(amount) + ") was paid before: "
              + "no new event was sent. To send an earlier event again: <code>curl -X POST "
              + html(publicUrl) + "/_standin/events/&lt;event id&gt;/redeliver</code> (the ids are "
              + "in the stand-in's log).</p>" + next));
      return;
    }
    WebhookSender.Delivery delivery = deliver(event);
    String what = delayed
        ? "The payment is delayed: the session is complete but unpaid. Settle it with <code>curl -X POST "
            + html(publicUrl) + "/_standin/sessions/" + html(id) + "/async-success</code> (or "
            + "<code>async-failure</code>)."
        : "Paid " + html(amount) + ".";
    String outcome = delivery.succeeded()
        ? "<p class=\"ok\">Event <code>" + html(event.id()) + "</code> (" + html(event.type())
            + ") delivered to " + html(delivery.url().toString()) + ": HTTP " + delivery.status() + ".</p>"
        : "<p class=\"bad\">Event <code>" + html(event.id()) + "</code> (" + html(event.type())
            + ") " + (delivery.status() == 0 ? "could not be delivered to " : "was refused by ")
            + html(delivery.url().toString()) + ": " + html(delivery.status() == 0
                ? delivery.error() : delivery.describe())
            + ".</p><p>Send it again once the webhook is fixed: "
            + "<code>curl -X POST " + html(publicUrl) + "/_standin/events/" + html(event.id())
            + "/redeliver</code></p>";
    sendHtml(exchange, delivery.succeeded() ? 200 : 502,
        page(delayed ? "Payment pending" : "Payment succeeded", "<p>" + what + "</p>" + outcome + next));
  }

  private void markPaid(CheckoutSession session) {
    session.paymentStatus = "paid";
    if (session.charge == null) {
      session.charge = Ids.next("ch_test_");
      session.paidAt = now();
    }
  }

  private void sessionAction(HttpExchange exchange, String id, String action) throws IOException {
    CheckoutSession session = session(id);
    Map<String, Object> params = new LinkedHashMap<>(
        FormParams.parse(exchange.getRequestURI().getRawQuery()));
    params.putAll(FormParams.parse(readBody(exchange)));
    StoredEvent event;
    ObjectNode object;
    synchronized (session) {
      switch (action) {
        case "refund" -> object = refund(session, optionalAmount(params));
        case "dispute" -> object = dispute(session, optionalAmount(params), params.get("reason"));
        case "async-success" -> {
          if (session.status.equals("open")) {
            throw StripeError.invalid(null, "Session " + id + " has not been paid: open "
                + session.payUrl(publicUrl) + "?async=1 first.");
          }
          markPaid(session);
          object = session.toJson(json, publicUrl);
        }
        default -> {
          if (!session.status.equals("complete") || session.paymentStatus.equals("paid")) {
            throw StripeError.invalid(null, "Only a delayed payment that has not settled can fail: "
                + "open " + session.payUrl(publicUrl) + "?async=1 first.");
          }
          object = session.toJson(json, publicUrl);
        }
      }
      String type = switch (action) {
        case "refund" -> "charge.refunded";
        case "dispute" -> "charge.dispute.created";
        case "async-success" -> "checkout.session.async_payment_succeeded";
        default -> "checkout.session.async_payment_failed";
      };
      event = newEvent(type, object, session);
    }
    sendOutcome(exchange, event, object);
  }

  private ObjectNode refund(CheckoutSession session, Long amount) {
    requireCharge(session);
    long unrefunded = session.amountTotal - session.amountRefunded;
    if (unrefunded == 0) {
      throw new StripeError(400, "invalid_request_error", "charge_already_refunded", "charge",
          "Charge " + session.charge + " has already been refunded.");
    }
    long refund = amount == null ? unrefunded : amount;
    if (refund <= 0) {
      throw StripeError.invalid("amount", "Invalid positive integer: the amount must be above 0.");
    }
    if (refund > unrefunded) {
      throw StripeError.invalid("amount", "Refund amount (" + refund + ") is greater than "
          + "unrefunded amount on charge (" + unrefunded + ")");
    }
    session.amountRefunded += refund;
    return session.chargeJson(json);
  }

  private ObjectNode dispute(CheckoutSession session, Long amount, Object reason) {
    requireCharge(session);
    if (session.dispute != null) {
      throw new StripeError(400, "invalid_request_error", "charge_disputed", "charge",
          "Charge " + session.charge + " is already disputed (" + session.dispute + ").");
    }
    long disputed = amount == null ? session.amountTotal : amount;
    if (disputed <= 0 || disputed > session.amountTotal) {
      throw StripeError.invalid("amount", "The disputed amount must be between 1 and "
          + session.amountTotal + ".");
    }
    session.dispute = Ids.next("dp_test_");
    String why = reason instanceof String text && !text.isBlank() ? text : "fraudulent";
    return session.disputeJson(json, disputed, why, now());
  }

  private void requireCharge(CheckoutSession session) {
    if (session.charge == null) {
      throw StripeError.invalid(null, "Session " + session.id + " is not paid yet: open "
          + session.payUrl(publicUrl) + " first.");
    }
  }

  private static Long optionalAmount(Map<String, Object> params) {
    Object amount = params.get("amount");
    if (amount == null || "".equals(amount)) {
      return null;
    }
    try {
      return Long.parseLong(String.valueOf(amount));
    } catch (NumberFormatException e) {
      throw StripeError.invalid("amount", "Invalid integer: " + amount);
    }
  }

  /**
   * Builds an event around {@code object}. Its api_version is the one the session was created
   * with, as for a webhook endpoint pinned to the SDK's version (which Stripe recommends): the
   * SDK deserializes {@code data.object} only when the versions match.
   */
  private StoredEvent newEvent(String type, ObjectNode object, CheckoutSession session) {
    ObjectNode event = json.createObjectNode();
    String id = Ids.next("evt_test_");
    event.put("id", id);
    event.put("object", "event");
    event.put("api_version", session.apiVersion);
    event.put("created", now());
    event.putObject("data").set("object", object);
    event.put("livemode", false);
    event.put("pending_webhooks", 1);
    ObjectNode request = event.putObject("request");
    request.putNull("id");
    request.putNull("idempotency_key");
    event.put("type", type);
    try {
      StoredEvent stored = new StoredEvent(id, type, json.writeValueAsString(event));
      events.put(id, stored);
      return stored;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private WebhookSender.Delivery deliver(StoredEvent event) {
    return webhooks.deliver(event.id(), event.type(), event.payload());
  }

  /** Delivers {@code event} and answers with what happened: 200 when the webhook took it. */
  private void sendOutcome(HttpExchange exchange, StoredEvent event, ObjectNode object)
      throws IOException {
    WebhookSender.Delivery delivery = deliver(event);
    ObjectNode answer = json.createObjectNode();
    answer.putObject("event").put("id", event.id()).put("type", event.type());
    ObjectNode outcome = answer.putObject("delivery");
    outcome.put("url", delivery.url().toString());
    outcome.put("succeeded", delivery.succeeded());
    if (delivery.status() == 0) {
      outcome.putNull("status");
    } else {
      outcome.put("status", delivery.status());
    }
    outcome.put("error", delivery.error());
    if (object != null) {
      answer.set("object", object);
    }
    sendJson(exchange, delivery.succeeded() ? 200 : 502, answer);
  }

  private String indexPage() {
    StringBuilder rows = new StringBuilder();
    sessions.values().stream()
        .sorted(Comparator.comparingLong((CheckoutSession s) -> s.created).reversed())
        .limit(50)
        .forEach(s -> {
          synchronized (s) {
            rows.append("<tr><td><code>").append(html(s.id)).append("</code></td><td>")
                .append(html(money(s.amountTotal, s.currency))).append("</td><td>")
                .append(html(s.status)).append(" / ").append(html(s.paymentStatus))
                .append(s.amountRefunded > 0 ? ", refunded " + html(money(s.amountRefunded, s.currency)) : "")
                .append("</td><td>")
                .append(s.status.equals("open")
                    ? "<a href=\"/pay/" + html(s.id) + "\">pay</a>" : "")
                .append("</td></tr>");
          }
        });
    return page("Stripe stand-in",
        "<p>A local stand-in for Stripe: billing-service creates Checkout Sessions here, and "
            + "opening a session's URL pays it and sends <code>checkout.session.completed</code> "
            + "to the webhook. Sessions live in memory.</p>"
            + (rows.length() == 0 ? "<p>No sessions yet.</p>"
                : "<table><tr><th>session</th><th>amount</th><th>status</th><th></th></tr>"
                    + rows + "</table>")
            + "<p>Later events: <code>POST /_standin/sessions/{id}/refund</code> "
            + "(<code>amount</code> optional), <code>/dispute</code>, <code>/async-success</code>, "
            + "<code>/async-failure</code> (after <code>/pay/{id}?async=1</code>); "
            + "<code>POST /_standin/events/{id}/redeliver</code>.</p>");
  }

  private static String page(String title, String body) {
    return "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + html(title)
        + "</title><style>body{font-family:sans-serif;max-width:46em;margin:2em auto;padding:0 1em}"
        + ".ok{color:#176e2e}.bad{color:#a11}code{background:#f3f3f3;padding:0 .2em}"
        + "td,th{text-align:left;padding:.2em .8em .2em 0}</style></head><body><h1>" + html(title)
        + "</h1>" + body + "<p><small>Metered's local Stripe stand-in: no real money moves.</small>"
        + "</p></body></html>";
  }

  private static String html(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (char c : text.toCharArray()) {
      switch (c) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }

  private static String money(long amount, String currency) {
    String code = currency.toUpperCase(Locale.ROOT);
    if (ZERO_DECIMAL.contains(currency)) {
      return amount + " " + code;
    }
    return String.format(Locale.ROOT, "%d.%02d %s", amount / 100, amount % 100, code);
  }

  private static long now() {
    return Instant.now().getEpochSecond();
  }

  private static String readBody(HttpExchange exchange) throws IOException {
    byte[] body = exchange.getRequestBody().readNBytes(MAX_BODY + 1);
    if (body.length > MAX_BODY) {
      throw new StripeError(413, "invalid_request_error", null, null,
          "The request body exceeds " + MAX_BODY + " bytes.");
    }
    return new String(body, StandardCharsets.UTF_8);
  }

  private void sendError(HttpExchange exchange, StripeError error) {
    ObjectNode body = json.createObjectNode();
    ObjectNode detail = body.putObject("error");
    detail.put("type", error.type);
    if (error.code != null) {
      detail.put("code", error.code);
    }
    if (error.param != null) {
      detail.put("param", error.param);
    }
    detail.put("message", error.getMessage());
    try {
      sendJson(exchange, error.status, body);
    } catch (IOException e) {
      // the client went away; nothing left to tell it
    }
  }

  private void sendJson(HttpExchange exchange, int status, ObjectNode body) throws IOException {
    sendJsonBytes(exchange, status, json.writeValueAsBytes(body));
  }

  private static void sendJsonBytes(HttpExchange exchange, int status, byte[] body)
      throws IOException {
    send(exchange, status, "application/json; charset=utf-8", body);
  }

  private static void sendHtml(HttpExchange exchange, int status, String html) throws IOException {
    send(exchange, status, "text/html; charset=utf-8", html.getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body)
      throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    exchange.getResponseBody().write(body);
  }
}
