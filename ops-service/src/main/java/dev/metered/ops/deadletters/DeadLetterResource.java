package dev.metered.ops.deadletters;

import dev.metered.ops.admin.AuditNote;
import dev.metered.ops.db.SqlErrors;
import dev.metered.runtime.paging.KeysetPage;
import dev.metered.runtime.problem.Problem;
import dev.metered.runtime.problem.ProblemException;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/ops/dead-letters")
@Tag(name = "ops")
@SecurityRequirement(name = "admin")
@Produces(MediaType.APPLICATION_JSON)
@APIResponse(responseCode = "400", description = "Invalid X-Admin-Actor",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "401", description = "Missing or wrong admin token",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
public class DeadLetterResource {

    private static final String PAGE = """
            SELECT id, job_id, user_id, type, attempts, last_error, error_history, created_at, requeued_at, job_status, cost
            FROM jobs.ops_dead_letters
            WHERE $1::timestamptz IS NULL OR (created_at, id) < ($1, $2)
            ORDER BY created_at DESC, id DESC LIMIT $3""";
    private static final String REQUEUE = "SELECT job_id, status, hold_key, cost FROM jobs.requeue_dead_letter($1)";

    public record DeadLetter(long id, String jobId, String userId, String type, int attempts,
                             @Schema(nullable = true) String lastError, List<Object> errorHistory,
                             OffsetDateTime createdAt, @Schema(nullable = true) OffsetDateTime requeuedAt,
                             String jobStatus, long cost) {
    }

    public record Page(List<DeadLetter> items,
                       @Schema(nullable = true, description = "The cursor of the next page; null on the last one")
                       String nextCursor) {
    }

    public record Requeued(long deadLetterId, String jobId, String status, long cost, String holdKey) {
    }

    private final Pool pool;
    private final AuditNote audit;

    public DeadLetterResource(Pool pool, AuditNote audit) {
        this.pool = pool;
        this.audit = audit;
    }

    @GET
    @Operation(summary = "Dead-lettered jobs, newest first")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Page.class)))
    @APIResponse(responseCode = "400", description = "Bad limit or cursor, or an invalid X-Admin-Actor",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<Page> list(@QueryParam("limit") String limitParam, @QueryParam("cursor") String cursorParam) {
        int limit = KeysetPage.limit(limitParam);
        KeysetPage.Cursor cursor = KeysetPage.cursor(cursorParam);
        Long afterId = cursor == null ? null : KeysetPage.longId(cursor);
        return pool.preparedQuery(PAGE)
                .execute(Tuple.of(cursor == null ? null : cursor.createdAt(), afterId, limit + 1))
                .map(rows -> {
                    List<DeadLetter> items = new ArrayList<>();
                    rows.forEach(row -> items.add(deadLetter(row)));
                    var page = KeysetPage.slice(items, limit,
                            letter -> new KeysetPage.Cursor(letter.createdAt(), Long.toString(letter.id())));
                    return new Page(page.rows(), page.nextCursor());
                });
    }

    @POST
    @Path("/{id}/requeue")
    @Operation(summary = "Queue the dead job again with fresh attempts and a new hold of its cost")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Requeued.class)))
    @APIResponse(responseCode = "402", description = "The user's balance does not cover a new hold",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "404", description = "No such dead letter",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "Already requeued",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<Requeued> requeue(@PathParam("id") String idParam) {
        long id = parseId(idParam);
        return pool.preparedQuery(REQUEUE).execute(Tuple.of(id))
                .map(rows -> {
                    Row row = rows.iterator().next();
                    Requeued requeued = new Requeued(id, row.getUUID("job_id").toString(), row.getString("status"),
                            row.getLong("cost"), row.getString("hold_key"));
                    audit.detail(JsonObject.of("dead_letter_id", id, "job_id", requeued.jobId(),
                            "hold_key", requeued.holdKey(), "cost", requeued.cost()));
                    return requeued;
                })
                .onFailure().transform(failure -> SqlErrors.asProblem(failure, "No such dead letter."));
    }

    private static DeadLetter deadLetter(Row row) {
        Object history = row.getValue("error_history");
        return new DeadLetter(row.getLong("id"), row.getUUID("job_id").toString(), row.getUUID("user_id").toString(),
                row.getString("type"), row.getInteger("attempts"), row.getString("last_error"),
                history instanceof JsonArray array ? array.getList() : List.of(),
                row.getOffsetDateTime("created_at"), row.getOffsetDateTime("requeued_at"), row.getString("job_status"),
                row.getLong("cost"));
    }

    private static long parseId(String value) {
        try {
            long id = Long.parseLong(value);
            if (id > 0) {
                return id;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ProblemException.notFound("No such dead letter.");
    }
}
