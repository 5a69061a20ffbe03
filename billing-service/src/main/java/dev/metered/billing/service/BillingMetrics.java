package dev.metered.billing.service;

import dev.metered.runtime.metrics.MeteredMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;
import java.util.Set;

/** billing-service's domain metrics, each recorded after the transaction it reports on committed. */
@Singleton
public class BillingMetrics {

    public static final String WEBHOOK_EVENTS = "metered.billing.webhook.events";
    public static final String CHECKOUT_SESSIONS = "metered.billing.checkout.sessions.created";

    /** The Stripe event types {@link StripeEventProcessor} acts on; any other type is tagged {@code other}. */
    static final Set<String> HANDLED_TYPES = Set.of("checkout.session.completed",
            "checkout.session.async_payment_succeeded", "checkout.session.async_payment_failed", "charge.refunded",
            "charge.dispute.created");

    private final MeterRegistry registry;

    public BillingMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** {@code result}: processed, ignored, already_done or failed. */
    void webhookEvent(String type, String result) {
        Counter.builder(WEBHOOK_EVENTS).description("Stripe events applied (from the webhook or reprocessing), by result")
                .tags("type", MeteredMetrics.bounded(type, HANDLED_TYPES), "result", result).register(registry)
                .increment();
    }

    void ledgerEntries(String kind, int count) {
        if (count > 0) {
            Counter.builder(MeteredMetrics.LEDGER_ENTRIES).description("Credits-ledger entries this service wrote")
                    .tag(MeteredMetrics.KIND, kind).register(registry).increment(count);
        }
    }

    void checkoutSessionCreated() {
        Counter.builder(CHECKOUT_SESSIONS).description("Stripe Checkout Sessions created (repeats of a request not counted)")
                .register(registry).increment();
    }
}
