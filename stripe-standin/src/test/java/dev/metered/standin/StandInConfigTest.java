package dev.metered.standin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

class StandInConfigTest {
  @Test
  void defaults() {
    StandInConfig config = StandInConfig.fromEnvironment(Map.of("STRIPE_WEBHOOK_SECRET", "whsec_abc"));
    assertEquals(12111, config.port());
    assertEquals("http://127.0.0.1:8080/api/billing/webhook", config.webhookUrl().toString());
    assertNull(config.publicUrl());
  }

  @Test
  void overrides() {
    StandInConfig config = StandInConfig.fromEnvironment(Map.of(
        "STRIPE_WEBHOOK_SECRET", "whsec_abc", "STRIPE_STANDIN_PORT", "12200",
        "STRIPE_STANDIN_WEBHOOK_URL", "http://127.0.0.1:9090/api/billing/webhook",
        "STRIPE_STANDIN_PUBLIC_URL", "http://stripe.test:12200/"));
    assertEquals(12200, config.port());
    assertEquals("http://127.0.0.1:9090/api/billing/webhook", config.webhookUrl().toString());
    assertEquals("http://stripe.test:12200", config.publicUrl());
  }

  @Test
  void aRolledSecretIsAList() {
    StandInConfig config = StandInConfig.fromEnvironment(
        Map.of("STRIPE_WEBHOOK_SECRET", "whsec_new,whsec_old"));
    assertEquals(java.util.List.of("whsec_new", "whsec_old"), config.webhookSecrets());
  }

  @Test
  void theWebhookSecretIsRequired() {
    assertThrows(IllegalArgumentException.class, () -> StandInConfig.fromEnvironment(Map.of()));
    assertThrows(IllegalArgumentException.class,
        () -> StandInConfig.fromEnvironment(Map.of("STRIPE_WEBHOOK_SECRET", "abc")));
    assertThrows(IllegalArgumentException.class,
        () -> StandInConfig.fromEnvironment(Map.of("STRIPE_WEBHOOK_SECRET", "whsec_a,abc")));
    assertThrows(IllegalArgumentException.class, () -> StandInConfig.fromEnvironment(
        Map.of("STRIPE_WEBHOOK_SECRET", "whsec_abc", "STRIPE_STANDIN_PORT", "x")));
    assertThrows(IllegalArgumentException.class, () -> StandInConfig.fromEnvironment(
        Map.of("STRIPE_WEBHOOK_SECRET", "whsec_abc", "STRIPE_STANDIN_WEBHOOK_URL", "ftp://x/")));
  }
}
