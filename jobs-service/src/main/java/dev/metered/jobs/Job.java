package dev.metered.jobs;

import java.time.OffsetDateTime;
import java.util.UUID;

/** {@code outputJson}: the job's output as JSON text, or null. */
public record Job(UUID id, UUID userId, String type, String status, long cost, int attempts, String outputJson,
                  String lastError, OffsetDateTime createdAt, OffsetDateTime updatedAt) {

    public static final java.util.Set<String> STATUSES =
            java.util.Set.of("queued", "running", "succeeded", "failed", "cancelled", "dead");
}
