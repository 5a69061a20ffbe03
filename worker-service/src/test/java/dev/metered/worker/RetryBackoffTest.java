package dev.metered.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metered.worker.execute.RetryBackoff;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** d = min(cap, base * 2^(attempt-1)); the retry comes after d/2 + uniform[0, d/2]. */
class RetryBackoffTest {

    @Test
    void eachAttemptWaitsBetweenHalfAndAllOfItsDoubledDelay() {
        RetryBackoff backoff = new RetryBackoff(1000, 300_000, new Random(7));
        for (int attempt = 1; attempt <= 8; attempt++) {
            long ceiling = Math.min(300_000, 1000L << (attempt - 1));
            for (int i = 0; i < 200; i++) {
                long wait = backoff.afterAttempt(attempt).toMillis();
                assertTrue(wait >= ceiling / 2 && wait <= ceiling, "attempt " + attempt + " waited " + wait);
            }
        }
    }

    @Test
    void theCapHoldsForever() {
        RetryBackoff backoff = new RetryBackoff(1000, 300_000, new Random(7));
        for (int attempt : new int[] {10, 20, 63, 64, 1000, Integer.MAX_VALUE}) {
            Duration wait = backoff.afterAttempt(attempt);
            assertTrue(wait.toMillis() >= 150_000 && wait.toMillis() <= 300_000, attempt + " -> " + wait);
        }
    }

    @Test
    void theSameSeedGivesTheSameJitter() {
        RetryBackoff first = new RetryBackoff(1000, 300_000, new Random(42));
        RetryBackoff second = new RetryBackoff(1000, 300_000, new Random(42));
        for (int attempt = 1; attempt <= 10; attempt++) {
            assertEquals(first.afterAttempt(attempt), second.afterAttempt(attempt));
        }
    }

    @Test
    void jitterSpreadsRetriesOfJobsThatFailedTogether() {
        RetryBackoff backoff = new RetryBackoff(1000, 300_000, new Random(1));
        long distinct = java.util.stream.IntStream.range(0, 100).mapToObj(i -> backoff.afterAttempt(5)).distinct().count();
        assertTrue(distinct > 50, "only " + distinct + " distinct waits");
    }
}
