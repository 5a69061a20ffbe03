package dev.metered.standin;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the stand-in is told by its environment.
 *
 * @param bindAddress the address it listens on: 127.0.0.1 unless {@code STRIPE_STANDIN_BIND} says
 *     otherwise (0.0.0.0 inside a container, where billing-service is another host)
 * @param port where it listens (0: any free port)
 * @param webhookSecret the {@code whsec_...} secret billing-service verifies signatures with; while
 *     a secret is rolled, a comma-separated list (the same value billing-service reads)
 * @param webhookUrl where events are POSTed
 * @param publicUrl the base of the sessions' {@code url}; null: {@code http://localhost:<port>}
 */
record StandInConfig(String bindAddress, int port, String webhookSecret, URI webhookUrl, String publicUrl) {
  static final String LOOPBACK = "127.0.0.1";
  static final int DEFAULT_PORT = 12111;
  static final String DEFAULT_WEBHOOK_URL = "http://127.0.0.1:8080/api/billing/webhook";

  StandInConfig(int port, String webhookSecret, URI webhookUrl, String publicUrl) {
    this(LOOPBACK, port, webhookSecret, webhookUrl, publicUrl);
  }

  StandInConfig {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is out of range");
    }
    if (webhookSecret == null || webhookSecret.isBlank()) {
      throw new IllegalArgumentException(
          "STRIPE_WEBHOOK_SECRET must be set to the whsec_... secret billing-service verifies with");
    }
    for (String secret : secrets(webhookSecret)) {
      if (!secret.startsWith("whsec_") || secret.length() <= "whsec_".length()) {
        throw new IllegalArgumentException("STRIPE_WEBHOOK_SECRET must be whsec_... secrets, "
            + "separated by commas when there are several");
      }
    }
    String scheme = webhookUrl.getScheme();
    if (!("http".equals(scheme) || "https".equals(scheme)) || webhookUrl.getHost() == null) {
      throw new IllegalArgumentException("the webhook URL must be an http(s) URL: " + webhookUrl);
    }
    if (publicUrl != null) {
      publicUrl = publicUrl.replaceAll("/+$", "");
    }
  }

  /** Each secret of {@code webhookSecret}: events are signed with all of them, as Stripe does. */
  List<String> webhookSecrets() {
    return secrets(webhookSecret);
  }

  private static List<String> secrets(String value) {
    List<String> secrets = new ArrayList<>();
    for (String secret : value.split(",")) {
      if (!secret.isBlank()) {
        secrets.add(secret.trim());
      }
    }
    return secrets;
  }

  static StandInConfig fromEnvironment(Map<String, String> env) {
    String portText = env.getOrDefault("STRIPE_STANDIN_PORT", "").trim();
    int port;
    try {
      port = portText.isEmpty() ? DEFAULT_PORT : Integer.parseInt(portText);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("STRIPE_STANDIN_PORT is not a number: " + portText);
    }
    String webhookUrl = nonBlank(env.get("STRIPE_STANDIN_WEBHOOK_URL"), DEFAULT_WEBHOOK_URL);
    URI webhook;
    try {
      webhook = URI.create(webhookUrl);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("STRIPE_STANDIN_WEBHOOK_URL is not a URL: " + webhookUrl);
    }
    return new StandInConfig(nonBlank(env.get("STRIPE_STANDIN_BIND"), LOOPBACK), port,
        env.get("STRIPE_WEBHOOK_SECRET"), webhook,
        nonBlank(env.get("STRIPE_STANDIN_PUBLIC_URL"), null));
  }

  private static String nonBlank(String value, String otherwise) {
    return value == null || value.isBlank() ? otherwise : value.trim();
  }
}
