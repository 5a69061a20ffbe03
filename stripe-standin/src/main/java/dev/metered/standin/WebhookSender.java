package dev.metered.standin;

import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Signs events as Stripe does and POSTs them to the webhook URL, once, without retries. */
final class WebhookSender {
  /**
   * The outcome of one delivery.
   *
   * @param status the webhook's HTTP status, 0 when it could not be reached
   * @param error why it could not be reached, or the start of a non-2xx answer's body
   */
  record Delivery(String eventId, String type, URI url, int status, String error, long millis) {
    boolean succeeded() {
      return status >= 200 && status < 300;
    }

    String describe() {
      if (status == 0) {
        return "not delivered, " + error;
      }
      return "HTTP " + status + (error == null || error.isEmpty() ? "" : " " + error);
    }
  }

  private final List<String> secrets;
  private final URI url;
  private final PrintStream log;
  private final HttpClient client;

  WebhookSender(List<String> secrets, URI url, PrintStream log) {
    this.secrets = List.copyOf(secrets);
    this.url = url;
    this.log = log;
    // HTTP/1.1: an h2c upgrade offer would only add a variable the real Stripe does not have.
    this.client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  /**
   * The {@code Stripe-Signature} header: {@code t=<seconds>,v1=<hex HMAC-SHA256>} keyed with the
   * whole {@code whsec_...} string over {@code "<t>.<payload>"}; one {@code v1} per secret, as
   * Stripe signs with both the old and the new secret while one is rolled.
   */
  static String signature(List<String> secrets, long timestamp, String payload) {
    StringBuilder header = new StringBuilder("t=").append(timestamp);
    byte[] signed = (timestamp + "." + payload).getBytes(StandardCharsets.UTF_8);
    for (String secret : secrets) {
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        header.append(",v1=").append(HexFormat.of().formatHex(mac.doFinal(signed)));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("HmacSHA256 is unavailable", e);
      }
    }
    return header.toString();
  }

  Delivery deliver(String eventId, String type, String payload) {
    long started = System.nanoTime();
    HttpRequest request = HttpRequest.newBuilder(url)
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json; charset=utf-8")
        .header("User-Agent", "Stripe/1.0 (Metered stripe-standin)")
        .header("Stripe-Signature",
            signature(secrets, Instant.now().getEpochSecond(), payload))
        .POST(HttpRequest.BodyPublishers.ofString(payload, StandardCharsets.UTF_8))
        .build();
    int status = 0;
    String error;
    try {
      HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
      status = response.statusCode();
      error = status >= 200 && status < 300 ? null : abbreviate(response.body());
    } catch (HttpTimeoutException e) {
      error = "no answer within 30 s";
    } catch (ConnectException e) {
      error = "cannot connect (" + (e.getMessage() == null ? "connection refused" : e.getMessage())
          + ")";
    } catch (IOException e) {
      error = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      error = "interrupted";
    }
    Delivery delivery = new Delivery(eventId, type, url, status, error,
        (System.nanoTime() - started) / 1_000_000);
    log.printf("stripe-standin: event %s %s -> %s: %s (%d ms)%n",
        eventId, type, url, delivery.describe(), delivery.millis());
    return delivery;
  }

  private static String abbreviate(String body) {
    String flat = body == null ? "" : body.replaceAll("\\s+", " ").trim();
    return flat.length() <= 300 ? flat : flat.substring(0, 300) + "…";
  }
}
