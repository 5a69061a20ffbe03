package dev.metered.worker.config;

import io.smallrye.config.ConfigMapping;
import java.util.Optional;

@ConfigMapping(prefix = "worker")
public interface WorkerConfig {

    /** {@code MVP_WORKER_ENABLED}: false makes a web-only process. */
    boolean enabled();

    /** {@code WORKER_ID}; absent means hostname-pid. */
    Optional<String> id();

    /** Jobs in flight at most. */
    int concurrency();

    /** Jobs claimed by one call of jobs.claim at most. */
    int batchSize();

    /** Fallback poll when no NOTIFY arrives. */
    long pollIntervalMs();

    /** {@code MVP_RUNNING_STALE_SECONDS}: the lease length; renewed every third of it. */
    int staleSeconds();

    int heartbeatSeconds();

    int rescueIntervalSeconds();

    long retryBaseMs();

    long retryCapMs();

    /** Seeds the backoff jitter; absent means an unpredictable seed. */
    Optional<Long> retrySeed();

    int shutdownGraceSeconds();

    int providerTimeoutSeconds();

    /** {@code WORKER_PROVIDERS}: {@code type=provider,...}; provider {@code simulated} or {@code replicate:<model>}. */
    String providers();

    Replicate replicate();

    interface Replicate {
        /** {@code REPLICATE_API_TOKEN}: replicate entries of the provider map are used only when set. */
        Optional<String> apiToken();

        String apiBase();

        long pollIntervalMs();

        int requestTimeoutSeconds();
    }
}
