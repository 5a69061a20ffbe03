package dev.metered.billing.config;

import io.smallrye.config.ConfigMapping;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

@ConfigMapping(prefix = "billing")
public interface BillingConfig {

    Checkout checkout();

    Stripe stripe();

    Reprocess reprocess();

    interface Checkout {
        /** {@code STRIPE_CREDIT_PRICE_CENTS}: the price of one credit, in the currency's minor unit. */
        long priceCents();

        String currency();

        long minCredits();

        long maxCredits();

        /** When set, the only credit amounts that may be bought. */
        Optional<List<Long>> packs();

        String successUrl();

        String cancelUrl();

        /** {@code PUBLIC_ORIGIN_ALLOWLIST}: origins a success or cancel URL may point at. */
        Optional<List<String>> publicOrigins();

        /** A request still creating its session after this long is retried by a repeat with its key. */
        Duration staleAfter();
    }

    interface Stripe {
        String secretKey();

        /** {@code STRIPE_API_BASE}: another Stripe API host (tests, the local stand-in). */
        Optional<String> apiBase();

        /** {@code STRIPE_WEBHOOK_SECRET}. */
        String webhookSecret();

        Duration webhookTolerance();

        Duration timeout();
    }

    interface Reprocess {
        /** Operators' reprocess requests whose notification was missed are served within this. */
        Duration sweepInterval();
    }
}
