package dev.metered.worker.provider;

import java.time.Duration;
import java.util.Optional;

/** A failed attempt: retryable (the queue may try again later) or not; optionally, how long to wait. */
public class ProviderFailure extends RuntimeException {

    private final boolean retryable;
    private final Duration retryAfter;

    public ProviderFailure(String message, boolean retryable) {
        this(message, retryable, null);
    }

    public ProviderFailure(String message, boolean retryable, Duration retryAfter) {
        super(message, null, false, false);
        this.retryable = retryable;
        this.retryAfter = retryAfter;
    }

    public boolean retryable() {
        return retryable;
    }

    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
