package dev.metered.jobs.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.metered.jobs.Job;
import io.quarkus.runtime.annotations.RegisterForReflection;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The JSON shapes of the jobs API. */
public final class JobViews {

    private static final ObjectMapper OUTPUT_READER = new ObjectMapper();

    private JobViews() {
    }

    /** Native images: a hand-built Response entity (201 or 200), invisible to quarkus-rest. */
    @RegisterForReflection
    public record Submitted(UUID jobId, String status, long cost) {
        static Submitted of(Job job) {
            return new Submitted(job.id(), job.status(), job.cost());
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Detail(UUID jobId, String type, String status, long cost, int attempts, JsonNode output,
                         String lastError, OffsetDateTime createdAt, OffsetDateTime updatedAt) {
        static Detail of(Job job) {
            return new Detail(job.id(), job.type(), job.status(), job.cost(), job.attempts(), parsedOutput(job),
                    job.lastError(), job.createdAt(), job.updatedAt());
        }
    }

    public record Page(List<Detail> items,
                       @Schema(nullable = true, description = "The cursor of the next page; null on the last one")
                       String nextCursor) {
    }

    private static JsonNode parsedOutput(Job job) {
        try {
            return job.outputJson() == null ? null : OUTPUT_READER.readTree(job.outputJson());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("jobs.output of " + job.id() + " is not JSON", e);
        }
    }
}
