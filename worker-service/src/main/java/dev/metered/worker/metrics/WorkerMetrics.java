package dev.metered.worker.metrics;

import dev.metered.runtime.metrics.MeteredMetrics;
import dev.metered.worker.execute.JobExecutor.Outcome;
import dev.metered.worker.provider.ProviderRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The worker's domain metrics, summed over every worker in the process. Settlements are counted
 * from the answers of the jobs functions, i.e. after their transaction committed. The {@code type}
 * tag is bounded by WORKER_PROVIDERS: a type without a provider is tagged {@code other}.
 */
@Singleton
public class WorkerMetrics {

    public static final String JOBS_FINISHED = "metered.worker.jobs.finished";
    public static final String JOB_DURATION = "metered.worker.job.duration";
    public static final String CLAIM_BATCH = "metered.worker.claim.batch";
    public static final String JOBS_RECOVERED = "metered.worker.jobs.recovered";
    public static final String JOBS_IN_FLIGHT = "metered.worker.jobs.in_flight";

    /** Provider runs take from milliseconds (simulated) to many minutes (video): buckets for histogram_quantile. */
    private static final Duration[] DURATION_BUCKETS = { Duration.ofMillis(100), Duration.ofMillis(500),
            Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ofSeconds(60),
            Duration.ofMinutes(5), Duration.ofMinutes(15) };

    private final MeterRegistry registry;
    private final ProviderRegistry providers;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final DistributionSummary claimBatch;

    public WorkerMetrics(MeterRegistry registry, ProviderRegistry providers) {
        this.registry = registry;
        this.providers = providers;
        Gauge.builder(JOBS_IN_FLIGHT, inFlight, AtomicInteger::get)
                .description("Jobs this process's workers hold and are running now").register(registry);
        this.claimBatch = DistributionSummary.builder(CLAIM_BATCH)
                .description("Jobs per claim that found any (idle polls are not recorded)").register(registry);
    }

    public void claimed(int jobs) {
        if (jobs > 0) {
            claimBatch.record(jobs);
        }
    }

    public void started() {
        inFlight.incrementAndGet();
    }

    public void left() {
        inFlight.decrementAndGet();
    }

    /**
     * One attempt ended with {@code outcome}, {@code elapsed} after it started; an abandoned one
     * (its worker halted) settled nothing and is not counted.
     */
    public void finished(String jobType, Outcome outcome, Duration elapsed) {
        String tag = outcomeTag(outcome);
        if (tag == null) {
            return;
        }
        record(jobType, tag, elapsed);
        switch (outcome) {
            case SUCCEEDED -> ledgerEntries(MeteredMetrics.KIND_CAPTURE, 1);
            case DEAD, FAILED -> ledgerEntries(MeteredMetrics.KIND_RELEASE, 1);
            default -> { }
        }
    }

    /** An attempt whose settlement failed even after retries: its lease will expire and it will be recovered. */
    public void unsettled(String jobType, Duration elapsed) {
        record(jobType, "unsettled", elapsed);
    }

    private void record(String jobType, String outcome, Duration elapsed) {
        String type = providers.providerOf(jobType) == null ? MeteredMetrics.OTHER : jobType;
        Counter.builder(JOBS_FINISHED).description("Job attempts the worker finished, by how they ended")
                .tags("type", type, "outcome", outcome).register(registry).increment();
        Timer.builder(JOB_DURATION).description("From the start of an attempt to its settlement")
                .tags("type", type, "outcome", outcome).serviceLevelObjectives(DURATION_BUCKETS)
                .register(registry).record(elapsed);
    }

    /** What a stale-lease recovery did; every job it made dead had its hold released. */
    public void recovered(int requeued, int dead) {
        recoveredCounter("requeued").increment(requeued);
        recoveredCounter("dead").increment(dead);
        ledgerEntries(MeteredMetrics.KIND_RELEASE, dead);
    }

    private Counter recoveredCounter(String outcome) {
        return Counter.builder(JOBS_RECOVERED).description("Running jobs taken back from an expired or restarted lease")
                .tag("outcome", outcome).register(registry);
    }

    private void ledgerEntries(String kind, int count) {
        if (count > 0) {
            Counter.builder(MeteredMetrics.LEDGER_ENTRIES).description("Credits-ledger entries this service wrote")
                    .tag(MeteredMetrics.KIND, kind).register(registry).increment(count);
        }
    }

    private static String outcomeTag(Outcome outcome) {
        return switch (outcome) {
            case SUCCEEDED -> "succeeded";
            case RETRY_SCHEDULED -> "retried";
            case DEAD -> "dead";
            case FAILED -> "failed";
            case LOST_LEASE -> "lost_lease";
            case ABANDONED -> null;
        };
    }
}
