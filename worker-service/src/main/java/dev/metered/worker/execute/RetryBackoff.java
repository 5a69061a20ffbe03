package dev.metered.worker.execute;

import dev.metered.worker.config.WorkerConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Random;

/**
 * When to retry after failed attempt n (1-based): d = min(cap, base * 2^(n-1)), then "equal
 * jitter": d/2 + uniform[0, d/2], so retries of many jobs failing together spread out.
 */
@ApplicationScoped
public class RetryBackoff {

    private final long baseMs;
    private final long capMs;
    private final Random random;

    @Inject
    public RetryBackoff(WorkerConfig config, Random random) {
        this(config.retryBaseMs(), config.retryCapMs(), random);
    }

    public RetryBackoff(long baseMs, long capMs, Random random) {
        if (baseMs <= 0 || capMs < baseMs) {
            throw new IllegalArgumentException("retry base must be positive and cap at least the base");
        }
        this.baseMs = baseMs;
        this.capMs = capMs;
        this.random = random;
    }

    public Duration afterAttempt(int attempt) {
        int doublings = Math.max(0, Math.min(attempt - 1, 62));
        long ceiling = baseMs > (capMs >> doublings) ? capMs : Math.min(capMs, baseMs << doublings);
        long half = ceiling / 2;
        long jitter = half == 0 ? 0 : (long) (random.nextDouble() * (ceiling - half + 1));
        return Duration.ofMillis(Math.min(ceiling, half + jitter));
    }
}
