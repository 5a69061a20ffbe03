package dev.metered.ops.monitoring;

import dev.metered.ops.config.OpsConfig;
import dev.metered.ops.monitoring.OpsReads.Sample;
import java.time.Duration;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The runbook's minimum alerts, plus ledger drift, evaluated on one snapshot. */
public final class AlertRules {

    public record Alert(String name, boolean firing,
                        @Schema(nullable = true, description = "null when there is nothing to measure (no heartbeat)")
                        Number value,
                        long threshold, String description) {
    }

    /** Samples further apart than this (ops was down) end a growth run: nobody saw what happened between. */
    private static final Duration SAMPLE_GAP = Duration.ofMinutes(3);

    private AlertRules() {
    }

    public static List<Alert> evaluate(OpsSnapshot snapshot, List<Sample> samples, OpsConfig.Alerts limits) {
        Double age = snapshot.workerHeartbeatAgeSeconds() == null ? null
                : Math.round(snapshot.workerHeartbeatAgeSeconds() * 10) / 10.0;
        long growingMinutes = queueGrowingMinutes(samples);
        return List.of(
                above("webhook_failed_last_hour", snapshot.webhookFailedLastHour(), limits.webhookFailedLastHour(),
                        "Stripe events whose last attempt in the last hour failed: GET /api/ops/webhook-events?status=failed"),
                above("jobs_failed_last_hour", snapshot.jobsFailedLastHour(), limits.jobsFailedLastHour(),
                        "Jobs that ended failed or dead in the last hour: check last_error in GET /api/ops/metrics"),
                new Alert("worker_heartbeat_stale", age == null || age > limits.workerHeartbeatMaxAgeSeconds(), age,
                        limits.workerHeartbeatMaxAgeSeconds(),
                        age == null ? "No worker has ever sent a heartbeat"
                                : "Seconds since the newest worker heartbeat: is a worker running?"),
                new Alert("queue_growing", growingMinutes >= limits.queueGrowingMinutes(), growingMinutes,
                        limits.queueGrowingMinutes(),
                        "Minutes the queued count has grown without falling, from the per-minute samples"),
                above("dead_letters_last_24h", snapshot.deadLettersLast24h(), limits.deadLettersLast24h(),
                        "Jobs dead-lettered in the last 24 hours: GET /api/ops/dead-letters"),
                above("ledger_drift", snapshot.ledgerDrift(), 0,
                        "Accounts whose balance differs from SUM(amount) of their ledger: must be 0"));
    }

    /**
     * How many minutes, ending at the newest sample, the queued count has not fallen and has
     * risen overall; zero when it is not growing.
     */
    public static long queueGrowingMinutes(List<Sample> oldestFirst) {
        int newest = oldestFirst.size() - 1;
        if (newest < 1) {
            return 0;
        }
        int start = newest;
        while (start > 0) {
            Sample earlier = oldestFirst.get(start - 1);
            Sample later = oldestFirst.get(start);
            if (earlier.queued() > later.queued()
                    || Duration.between(earlier.sampledAt(), later.sampledAt()).compareTo(SAMPLE_GAP) > 0) {
                break;
            }
            start--;
        }
        Sample first = oldestFirst.get(start);
        Sample last = oldestFirst.get(newest);
        return last.queued() > first.queued() ? Duration.between(first.sampledAt(), last.sampledAt()).toMinutes() : 0;
    }

    private static Alert above(String name, long value, long threshold, String description) {
        return new Alert(name, value > threshold, value, threshold, description);
    }
}
