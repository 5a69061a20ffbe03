package dev.metered.worker.execute;

import dev.metered.worker.config.WorkerConfig;
import dev.metered.worker.metrics.WorkerMetrics;
import dev.metered.worker.provider.ProviderFailure;
import dev.metered.worker.provider.ProviderRegistry;
import dev.metered.worker.queue.ClaimedJob;
import dev.metered.worker.queue.JobQueue;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;
import org.jboss.logging.Logger;

/**
 * Runs one claimed attempt through its provider (with a timeout) and settles it: jobs.complete
 * on success, jobs.fail with a backoff otherwise. Both are fenced: a false/null answer means
 * another worker holds the job now, and this attempt's result is dropped.
 */
@ApplicationScoped
public class JobExecutor {

    public enum Outcome { SUCCEEDED, RETRY_SCHEDULED, DEAD, FAILED, LOST_LEASE, ABANDONED }

    private static final Logger LOG = Logger.getLogger(JobExecutor.class);

    private final ProviderRegistry providers;
    private final JobQueue queue;
    private final RetryBackoff backoff;
    private final Clock clock;
    private final WorkerMetrics metrics;
    private final Duration timeout;

    public JobExecutor(ProviderRegistry providers, JobQueue queue, RetryBackoff backoff, Clock clock,
                       WorkerMetrics metrics, WorkerConfig config) {
        this.providers = providers;
        this.queue = queue;
        this.backoff = backoff;
        this.clock = clock;
        this.metrics = metrics;
        this.timeout = Duration.ofSeconds(config.providerTimeoutSeconds());
    }

    /** {@code abandoned}: checked once the provider answers; true drops the result unsettled (a halted worker). */
    public Uni<Outcome> execute(String workerId, ClaimedJob job, BooleanSupplier abandoned) {
        long started = System.nanoTime();
        return attempt(workerId, job, abandoned).onItemOrFailure().invoke((outcome, failure) -> {
            // the outcome is the jobs function's answer, so its transaction has committed
            Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
            if (failure == null) {
                metrics.finished(job.type(), outcome, elapsed);
            } else {
                metrics.unsettled(job.type(), elapsed);
            }
        });
    }

    private Uni<Outcome> attempt(String workerId, ClaimedJob job, BooleanSupplier abandoned) {
        return providers.run(job)
                .ifNoItem().after(timeout)
                .failWith(() -> new ProviderFailure("provider timed out after " + timeout.toSeconds() + " s", true))
                .onItemOrFailure().transformToUni((output, failure) -> {
                    if (abandoned.getAsBoolean()) {
                        return Uni.createFrom().item(Outcome.ABANDONED);
                    }
                    Instant now = clock.instant();
                    if (failure == null) {
                        return queue.complete(job.id(), workerId, job.attempt(), output, now)
                                .map(completed -> completed ? Outcome.SUCCEEDED : lost(workerId, job));
                    }
                    ProviderFailure problem = failure instanceof ProviderFailure known ? known
                            : new ProviderFailure(failure.getClass().getSimpleName() + ": " + failure.getMessage(), true);
                    Duration wait = backoff.afterAttempt(job.attempt());
                    if (problem.retryAfter().isPresent() && problem.retryAfter().get().compareTo(wait) > 0) {
                        wait = problem.retryAfter().get();
                    }
                    return queue.fail(job.id(), workerId, job.attempt(), problem.getMessage(), problem.retryable(),
                            now.plus(wait), now).map(status -> {
                                if (status == null) {
                                    return lost(workerId, job);
                                }
                                return switch (status) {
                                    case "queued" -> Outcome.RETRY_SCHEDULED;
                                    case "dead" -> Outcome.DEAD;
                                    default -> Outcome.FAILED;
                                };
                            });
                });
    }

    private static Outcome lost(String workerId, ClaimedJob job) {
        LOG.warnf("Worker %s lost the lease of job %s attempt %d before settling it; its result is dropped",
                workerId, job.id(), job.attempt());
        return Outcome.LOST_LEASE;
    }
}
