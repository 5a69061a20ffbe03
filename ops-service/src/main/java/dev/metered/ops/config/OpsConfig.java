package dev.metered.ops.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithName;
import java.time.Duration;
import java.util.Optional;

@ConfigMapping(prefix = "ops")
public interface OpsConfig {

    /** {@code ADMIN_TOKEN}: the one credential of /api/ops/**; admin access is off without it. */
    Optional<String> adminToken();

    Alerts alerts();

    Sampling sampling();

    /** How long POST /api/ops/webhook-events/{id}/reprocess waits for billing-service's attempt. */
    Duration reprocessWait();

    interface Alerts {
        /** {@code OPS_ALERT_WEBHOOK_FAILED_LAST_HOUR}: fires above this many (runbook: > 0). */
        long webhookFailedLastHour();

        /** {@code OPS_ALERT_JOBS_FAILED_LAST_HOUR}. */
        long jobsFailedLastHour();

        /** {@code OPS_ALERT_WORKER_HEARTBEAT_MAX_AGE_SECONDS}: also what worker_ok of /api/ready means. */
        long workerHeartbeatMaxAgeSeconds();

        /** {@code OPS_ALERT_QUEUE_GROWING_MINUTES}. */
        long queueGrowingMinutes();

        /** {@code OPS_ALERT_DEAD_LETTERS_LAST_24H}. */
        @WithName("dead-letters-last-24h")
        long deadLettersLast24h();
    }

    interface Sampling {
        /** How often the queue depth is sampled (one sample per minute is kept) and the gauges refreshed. */
        Duration interval();

        /** Samples older than this are deleted. */
        Duration retention();
    }
}
