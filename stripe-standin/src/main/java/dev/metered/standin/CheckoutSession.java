package dev.metered.standin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Checkout Session in {@code payment} mode and the payment behind it. Its mutable state is
 * guarded by the object's own monitor.
 */
final class CheckoutSession {
  /**
   * The top-level create parameters the stand-in understands ({@code expand} has no effect); it
   * accepts the others too but logs that it ignored them.
   */
  static final Set<String> MODELLED_PARAMS = Set.of("mode", "line_items", "metadata",
      "client_reference_id", "success_url", "cancel_url", "currency", "customer_email",
      "expires_at", "payment_intent_data", "expand");
  private static final long MAX_AMOUNT = 99_999_999L;
  private static final long DAY = 24 * 3600;

  final String id;
  final long created;
  final long expiresAt;
  final String mode;
  final String currency;
  final long amountTotal;
  final String clientReferenceId;
  final Map<String, String> metadata;
  final Map<String, String> paymentIntentMetadata;
  final String successUrl;
  final String cancelUrl;
  final String customerEmail;
  /** The API version of the request that created it; its events are rendered in it. */
  final String apiVersion;

  String status = "open";
  String paymentStatus = "unpaid";
  String paymentIntent;
  String charge;
  long paidAt;
  long amountRefunded;
  String dispute;

  private CheckoutSession(Map<String, Object> params, String apiVersion, long now) {
    this.id = Ids.next("cs_test_");
    this.created = now;
    this.apiVersion = apiVersion;
    this.mode = string(params, "mode");
    if (mode == null) {
      throw StripeError.missing("mode");
    }
    if (!mode.equals("payment")) {
      throw StripeError.invalid("mode", "Invalid mode '" + mode
          + "': the stand-in models mode=payment only.");
    }
    String topCurrency = lowerCase(string(params, "currency"));
    List<Object> items = list(params, "line_items");
    if (items == null || items.isEmpty()) {
      throw StripeError.missing("line_items");
    }
    String itemsCurrency = null;
    long total = 0;
    for (int i = 0; i < items.size(); i++) {
      String name = "line_items[" + i + "]";
      Map<String, Object> item = map(items.get(i), name);
      if (item.get("price") != null) {
        throw new StripeError(400, "invalid_request_error", "resource_missing", name + "[price]",
            "No such price: '" + item.get("price") + "' (the stand-in knows no Prices: use price_data)");
      }
      Map<String, Object> priceData = map(item.get("price_data"), name + "[price_data]");
      if (priceData == null) {
        throw StripeError.missing(name + "[price_data]");
      }
      String currency = lowerCase(string(priceData, "currency", name + "[price_data][currency]"));
      if (currency == null) {
        throw StripeError.missing(name + "[price_data][currency]");
      }
      if (!currency.matches("[a-z]{3}")) {
        throw StripeError.invalid(name + "[price_data][currency]", "Invalid currency: " + currency);
      }
      if (itemsCurrency != null && !itemsCurrency.equals(currency)) {
        throw StripeError.invalid(name + "[price_data][currency]",
            "All line items must use the same currency.");
      }
      itemsCurrency = currency;
      Long unitAmount = integer(priceData, "unit_amount", name + "[price_data][unit_amount]");
      if (unitAmount == null) {
        throw StripeError.missing(name + "[price_data][unit_amount]");
      }
      if (unitAmount < 0) {
        throw StripeError.invalid(name + "[price_data][unit_amount]",
            "This value must be greater than or equal to 0.");
      }
      Map<String, Object> productData =
          map(priceData.get("product_data"), name + "[price_data][product_data]");
      if (priceData.get("product") == null && productData == null) {
        throw StripeError.missing(name + "[price_data][product_data]");
      }
      if (productData != null && blank(string(productData, "name",
          name + "[price_data][product_data][name]"))) {
        throw StripeError.missing(name + "[price_data][product_data][name]");
      }
      Long quantity = integer(item, "quantity", name + "[quantity]");
      if (quantity == null) {
        throw StripeError.missing(name + "[quantity]");
      }
      if (quantity < 1) {
        throw StripeError.invalid(name + "[quantity]", "This value must be greater than or equal to 1.");
      }
      try {
        total = Math.addExact(total, Math.multiplyExact(unitAmount, quantity));
      } catch (ArithmeticException e) {
        total = Long.MAX_VALUE;
      }
    }
    if (topCurrency != null && !topCurrency.equals(itemsCurrency)) {
      throw StripeError.invalid("currency", "currency does not match the line items' currency.");
    }
    this.currency = itemsCurrency;
    if (total > MAX_AMOUNT) {
      throw StripeError.invalid("line_items", "The Checkout Session's total amount due must be no "
          + "more than 999,999.99 " + currency + " (" + MAX_AMOUNT + " in the smallest unit).");
    }
    // Stripe refuses totals below its minimum charge; for usd and eur that is 50 cents.
    if ((currency.equals("usd") || currency.equals("eur")) && total < 50) {
      throw StripeError.invalid("line_items", "The Checkout Session's total amount due must add "
          + "up to at least 0.50 " + currency + " (it is " + total + " in the smallest unit).");
    }
    this.amountTotal = total;
    this.metadata = metadata(params.get("metadata"), "metadata");
    Map<String, Object> intentData = map(params.get("payment_intent_data"), "payment_intent_data");
    this.paymentIntentMetadata = intentData == null ? new LinkedHashMap<>()
        : metadata(intentData.get("metadata"), "payment_intent_data[metadata]");
    this.clientReferenceId = string(params, "client_reference_id");
    if (clientReferenceId != null && clientReferenceId.length() > 200) {
      throw StripeError.invalid("client_reference_id",
          "client_reference_id must be at most 200 characters long.");
    }
    this.successUrl = url(params, "success_url");
    this.cancelUrl = url(params, "cancel_url");
    this.customerEmail = string(params, "customer_email");
    Long expires = integer(params, "expires_at", "expires_at");
    if (expires != null && (expires < now + 1800 || expires > now + DAY)) {
      throw StripeError.invalid("expires_at",
          "expires_at must be between 30 minutes and 24 hours from now.");
    }
    this.expiresAt = expires == null ? now + DAY : expires;
  }

  /** Validates the create parameters and builds an open session. */
  static CheckoutSession create(Map<String, Object> params, String apiVersion, long now) {
    return new CheckoutSession(params, apiVersion, now);
  }

  /** The top-level parameters the stand-in does not model, for a warning in its log. */
  static List<String> ignoredParams(Map<String, Object> params) {
    List<String> ignored = new ArrayList<>();
    for (String name : params.keySet()) {
      if (!MODELLED_PARAMS.contains(name)) {
        ignored.add(name);
      }
    }
    return ignored;
  }

  String payUrl(String publicUrl) {
    return publicUrl + "/pay/" + id;
  }

  /** The Checkout Session object as the API renders it. */
  ObjectNode toJson(ObjectMapper json, String publicUrl) {
    ObjectNode node = json.createObjectNode();
    node.put("id", id);
    node.put("object", "checkout.session");
    node.put("amount_subtotal", amountTotal);
    node.put("amount_total", amountTotal);
    node.put("cancel_url", cancelUrl);
    node.put("client_reference_id", clientReferenceId);
    node.put("created", created);
    node.put("currency", currency);
    node.putNull("customer");
    node.put("customer_email", customerEmail);
    node.put("expires_at", expiresAt);
    node.put("livemode", false);
    ObjectNode meta = node.putObject("metadata");
    metadata.forEach(meta::put);
    node.put("mode", mode);
    node.put("payment_intent", paymentIntent);
    node.putArray("payment_method_types").add("card");
    node.put("payment_status", paymentStatus);
    node.put("status", status);
    node.put("success_url", successUrl);
    node.put("ui_mode", "hosted");
    // Like Stripe's, the URL is there only while the session can still be paid.
    node.put("url", status.equals("open") ? payUrl(publicUrl) : null);
    return node;
  }

  /** The Charge behind a paid session, as {@code charge.*} events carry it. */
  ObjectNode chargeJson(ObjectMapper json) {
    ObjectNode node = json.createObjectNode();
    node.put("id", charge);
    node.put("object", "charge");
    node.put("amount", amountTotal);
    node.put("amount_captured", amountTotal);
    node.put("amount_refunded", amountRefunded);
    node.put("captured", true);
    node.put("created", paidAt);
    node.put("currency", currency);
    node.put("disputed", dispute != null);
    node.put("livemode", false);
    // A charge carries the PaymentIntent's metadata, not the Checkout Session's.
    ObjectNode meta = node.putObject("metadata");
    paymentIntentMetadata.forEach(meta::put);
    node.put("paid", true);
    node.put("payment_intent", paymentIntent);
    node.put("refunded", amountRefunded == amountTotal);
    node.put("status", "succeeded");
    return node;
  }

  ObjectNode disputeJson(ObjectMapper json, long amount, String reason, long now) {
    ObjectNode node = json.createObjectNode();
    node.put("id", dispute);
    node.put("object", "dispute");
    node.put("amount", amount);
    node.put("charge", charge);
    node.put("created", now);
    node.put("currency", currency);
    node.put("is_charge_refundable", false);
    node.put("livemode", false);
    node.putObject("metadata");
    node.put("payment_intent", paymentIntent);
    node.put("reason", reason);
    node.put("status", "needs_response");
    return node;
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static String lowerCase(String s) {
    return s == null ? null : s.toLowerCase(java.util.Locale.ROOT);
  }

  private static String string(Map<String, Object> params, String name) {
    return string(params, name, name);
  }

  private static String string(Map<String, Object> params, String key, String name) {
    Object value = params.get(key);
    if (value == null || value instanceof String) {
      return (String) value;
    }
    throw StripeError.invalid(name, "Invalid string: " + name + " must be a plain value.");
  }

  private static Long integer(Map<String, Object> params, String key, String name) {
    String text = string(params, key, name);
    if (text == null) {
      return null;
    }
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw StripeError.invalid(name, "Invalid integer: " + text);
    }
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Map<String, Object> params, String name) {
    Object value = params.get(name);
    if (value == null || value instanceof List) {
      return (List<Object>) value;
    }
    throw StripeError.invalid(name, "Invalid array: " + name + " must be a list.");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value, String name) {
    if (value == null || value instanceof Map) {
      return (Map<String, Object>) value;
    }
    throw StripeError.invalid(name, "Invalid object: " + name + " must be a hash.");
  }

  private static Map<String, String> metadata(Object value, String name) {
    Map<String, String> result = new LinkedHashMap<>();
    if (value == null || "".equals(value)) {
      return result;
    }
    Map<String, Object> given = map(value, name);
    if (given.size() > 50) {
      throw StripeError.invalid(name, "Metadata can have at most 50 keys.");
    }
    for (Map.Entry<String, Object> entry : given.entrySet()) {
      String key = entry.getKey();
      String item = string(given, key, name + "[" + key + "]");
      if (key.length() > 40) {
        throw StripeError.invalid(name + "[" + key + "]",
            "Metadata keys must be at most 40 characters long.");
      }
      if (item.length() > 500) {
        throw StripeError.invalid(name + "[" + key + "]",
            "Metadata values must be at most 500 characters long.");
      }
      if (!item.isEmpty()) {
        result.put(key, item);
      }
    }
    return result;
  }

  private static String url(Map<String, Object> params, String name) {
    String value = string(params, name);
    if (value == null) {
      return null;
    }
    try {
      // Stripe fills in {CHECKOUT_SESSION_ID} when it redirects; braces are not legal in a URI.
      URI uri = new URI(value.replace("{CHECKOUT_SESSION_ID}", "cs"));
      if (uri.isAbsolute() && uri.getHost() != null
          && ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
        return value;
      }
    } catch (URISyntaxException e) {
      // answered below
    }
    throw new StripeError(400, "invalid_request_error", "url_invalid", name, "Not a valid URL");
  }
}
