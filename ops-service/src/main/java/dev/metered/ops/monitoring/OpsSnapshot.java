package dev.metered.ops.monitoring;

import java.time.OffsetDateTime;

/** The figures alerts, readiness and gauges are computed from, read in one statement. */
public record OpsSnapshot(OffsetDateTime workerLastHeartbeat, Double workerHeartbeatAgeSeconds, long queued,
                          long running, long jobsFailedLastHour, long webhookFailedLastHour, long webhookFailedOpen,
                          long deadLettersLast24h, long ledgerDrift) {
}
