package dev.metered.jobs.service;

import dev.metered.jobs.config.Pricing;
import dev.metered.runtime.metrics.MeteredMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;
import java.util.Set;

/**
 * jobs-service's domain metrics. Each is recorded once the transaction it reports on has
 * committed. The {@code type} tag is bounded by JOBS_PRICING: an unpriced type never gets this far.
 */
@Singleton
public class JobMetrics {

    public static final String SUBMITTED = "metered.jobs.submitted";
    public static final String REPLAYED = "metered.jobs.replayed";
    public static final String REFUSED = "metered.jobs.refused";

    private final MeterRegistry registry;
    private final Set<String> types;

    public JobMetrics(MeterRegistry registry, Pricing pricing) {
        this.registry = registry;
        this.types = Set.copyOf(pricing.types());
    }

    /** A new job, with its hold. */
    void submitted(String type) {
        counter(SUBMITTED, "New jobs accepted (each with its hold)", "type", type(type)).increment();
        ledgerEntry(MeteredMetrics.KIND_HOLD);
    }

    /** An idempotent repeat answered with the job it already created: no new job, no new hold. */
    void replayed(String type) {
        counter(REPLAYED, "Submissions answered with the job already created under their idempotency key",
                "type", type(type)).increment();
    }

    /** {@code reason}: insufficient_credits or idempotency_key_reused. */
    void refused(String type, String reason) {
        Counter.builder(REFUSED).description("Submissions refused without creating a job")
                .tags("type", type(type), "reason", reason).register(registry).increment();
    }

    /** A queued job cancelled, and its hold released, by its owner. */
    void cancelled() {
        ledgerEntry(MeteredMetrics.KIND_RELEASE);
    }

    private void ledgerEntry(String kind) {
        counter(MeteredMetrics.LEDGER_ENTRIES, "Credits-ledger entries this service wrote", MeteredMetrics.KIND, kind)
                .increment();
    }

    private Counter counter(String name, String description, String tag, String value) {
        return Counter.builder(name).description(description).tag(tag, value).register(registry);
    }

    private String type(String type) {
        return MeteredMetrics.bounded(type, types);
    }
}
