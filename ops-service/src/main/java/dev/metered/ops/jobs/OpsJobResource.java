package dev.metered.ops.jobs;

import dev.metered.runtime.problem.Problem;
import dev.metered.runtime.problem.ProblemException;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonArray;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Any job's queue state and error history, for "check last_error in jobs"; never its input or output. */
@Path("/api/ops/jobs")
@Tag(name = "ops")
@SecurityRequirement(name = "admin")
@Produces(MediaType.APPLICATION_JSON)
@APIResponse(responseCode = "400", description = "Invalid X-Admin-Actor",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "401", description = "Missing or wrong admin token",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
public class OpsJobResource {

    private static final String ONE = """
            SELECT id, user_id, type, status, cost, attempts, max_attempts, run_after, locked_by, locked_until,
                   last_error, error_history, hold_key, created_at, updated_at
            FROM jobs.ops_jobs WHERE id = $1""";

    public record OpsJob(String jobId, String userId, String type, String status, long cost, int attempts,
                         int maxAttempts, OffsetDateTime runAfter, @Schema(nullable = true) String lockedBy,
                         @Schema(nullable = true) OffsetDateTime lockedUntil, @Schema(nullable = true) String lastError,
                         List<Object> errorHistory, @Schema(nullable = true) String holdKey, OffsetDateTime createdAt,
                         OffsetDateTime updatedAt) {
    }

    private final Pool pool;

    public OpsJobResource(Pool pool) {
        this.pool = pool;
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "A job's state, lease, hold key and error history")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = OpsJob.class)))
    @APIResponse(responseCode = "404", description = "No such job",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<OpsJob> job(@PathParam("id") String idParam) {
        UUID id = parse(idParam);
        return pool.preparedQuery(ONE).execute(Tuple.of(id)).map(rows -> {
            var it = rows.iterator();
            if (!it.hasNext()) {
                throw notFound();
            }
            Row row = it.next();
            Object history = row.getValue("error_history");
            return new OpsJob(id.toString(), row.getUUID("user_id").toString(), row.getString("type"),
                    row.getString("status"), row.getLong("cost"), row.getInteger("attempts"),
                    row.getInteger("max_attempts"), row.getOffsetDateTime("run_after"), row.getString("locked_by"),
                    row.getOffsetDateTime("locked_until"), row.getString("last_error"),
                    history instanceof JsonArray array ? array.getList() : List.of(), row.getString("hold_key"),
                    row.getOffsetDateTime("created_at"), row.getOffsetDateTime("updated_at"));
        });
    }

    private static UUID parse(String value) {
        try {
            if (value != null && value.length() == 36) {
                return UUID.fromString(value);
            }
        } catch (IllegalArgumentException e) {
            // answered below
        }
        throw notFound();
    }

    private static ProblemException notFound() {
        return ProblemException.notFound("No such job.");
    }
}
