package dev.metered.ops.audit;

import dev.metered.runtime.paging.KeysetPage;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import dev.metered.runtime.problem.Problem;

@Path("/api/ops/audit")
@Tag(name = "ops")
@SecurityRequirement(name = "admin")
@Produces(MediaType.APPLICATION_JSON)
@APIResponse(responseCode = "400", description = "Invalid X-Admin-Actor",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "401", description = "Missing or wrong admin token",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
public class AuditResource {

    private static final String PAGE = """
            SELECT id, at, actor, token_fingerprint, client_address, method, path, action, detail, outcome, duration_ms
            FROM ops.audit_log
            WHERE $1::timestamptz IS NULL OR (at, id) < ($1, $2)
            ORDER BY at DESC, id DESC LIMIT $3""";

    public record AuditEntry(long id, OffsetDateTime at, @Schema(nullable = true) String actor,
                             @Schema(nullable = true, description = "null when no valid admin token was presented")
                             String tokenFingerprint,
                             @Schema(nullable = true) String clientAddress, String method, String path, String action,
                             @Schema(nullable = true) Map<String, Object> detail, int outcome, int durationMs) {
    }

    public record Page(List<AuditEntry> items,
                       @Schema(nullable = true, description = "The cursor of the next page; null on the last one")
                       String nextCursor) {
    }

    private final Pool pool;

    public AuditResource(Pool pool) {
        this.pool = pool;
    }

    @GET
    @Operation(summary = "The admin audit log, newest first: who called what, when, and how it ended")
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
                    List<AuditEntry> items = new ArrayList<>();
                    rows.forEach(row -> {
                        JsonObject detail = row.getJsonObject("detail");
                        items.add(new AuditEntry(row.getLong("id"), row.getOffsetDateTime("at"), row.getString("actor"),
                                row.getString("token_fingerprint"), row.getString("client_address"),
                                row.getString("method"), row.getString("path"), row.getString("action"),
                                detail == null ? null : detail.getMap(), row.getInteger("outcome"),
                                row.getInteger("duration_ms")));
                    });
                    var page = KeysetPage.slice(items, limit,
                            entry -> new KeysetPage.Cursor(entry.at(), Long.toString(entry.id())));
                    return new Page(page.rows(), page.nextCursor());
                });
    }
}
