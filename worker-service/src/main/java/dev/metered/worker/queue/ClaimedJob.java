package dev.metered.worker.queue;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.UUID;

/** A job this worker holds a lease on, for attempt number {@code attempt} (1-based). */
public record ClaimedJob(UUID id, UUID userId, String type, JsonObject input, int attempt, int maxAttempts,
                         Instant lockedUntil) {
}
