package dev.metered.ops.webhooks;

import dev.metered.ops.admin.AuditNote;
import dev.metered.ops.config.OpsConfig;
import dev.metered.ops.db.SqlErrors;
import dev.metered.runtime.json.StorableText;
import dev.metered.runtime.paging.KeysetPage;
import dev.metered.runtime.problem.Problem;
import dev.metered.runtime.problem.ProblemException;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.smallrye.mutiny.Uni;
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
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/ops/webhook-events")
@Tag(name = "ops")
@SecurityRequirement(name = "admin")
@Produces(MediaType.APPLICATION_JSON)
@APIResponse(responseCode = "400", description = "Invalid X-Admin-Actor",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "401", description = "Missing or wrong admin token",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
public class WebhookEventResource {

    private static final Set<String> STATUSES = Set.of("received", "processed", "ignored", "failed");
    private static final Duration POLL_EVERY = Duration.ofMillis(100);
    private static final String COLUMNS = """
            event_id, type, status, attempts, last_error, received_at, processed_at, last_attempt_at,
            reprocess_requested_at""";
    private static final String PAGE = "SELECT " + COLUMNS + """
             FROM billing.ops_webhook_events
            WHERE ($1::text IS NULL OR status = $1)
              AND ($2::timestamptz IS NULL OR (received_at, event_id) < ($2, $3))
            ORDER BY received_at DESC, event_id DESC LIMIT $4""";
    private static final String ONE = "SELECT " + COLUMNS + " FROM billing.ops_webhook_events WHERE event_id = $1";
    private static final String REQUEST = "SELECT status, attempts FROM billing.request_webhook_reprocess($1)";

    /** Native images: also a hand-built Response entity of reprocess (200 or 202). */
    @RegisterForReflection
    public record WebhookEvent(String id, String type, String status, int attempts,
                               @Schema(nullable = true) String lastError, OffsetDateTime receivedAt,
                               @Schema(nullable = true) OffsetDateTime processedAt,
                               @Schema(nullable = true) OffsetDateTime lastAttemptAt, boolean reprocessPending) {
    }

    public record Page(List<WebhookEvent> items,
                       @Schema(nullable = true, description = "The cursor of the next page; null on the last one")
                       String nextCursor) {
    }

    private final Pool pool;
    private final AuditNote audit;
    private final OpsConfig config;

    public WebhookEventResource(Pool pool, AuditNote audit, OpsConfig config) {
        this.pool = pool;
        this.audit = audit;
        this.config = config;
    }

    @GET
    @Operation(summary = "Stored Stripe events, newest first, optionally of one status")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Page.class)))
    @APIResponse(responseCode = "400", description = "Unknown status, bad limit or cursor, or an invalid X-Admin-Actor",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<Page> list(@QueryParam("status") String status, @QueryParam("limit") String limitParam,
                          @QueryParam("cursor") String cursorParam) {
        if (status != null && !STATUSES.contains(status)) {
            throw ProblemException.invalidField("status", "must be one of received, processed, ignored, failed");
        }
        int limit = KeysetPage.limit(limitParam);
        KeysetPage.Cursor cursor = KeysetPage.cursor(cursorParam);
        Tuple parameters = Tuple.tuple().addString(status)
                .addOffsetDateTime(cursor == null ? null : cursor.createdAt())
                .addString(cursor == null ? null : cursor.id()).addInteger(limit + 1);
        return pool.preparedQuery(PAGE).execute(parameters).map(rows -> {
            List<WebhookEvent> items = new ArrayList<>();
            rows.forEach(row -> items.add(event(row)));
            var page = KeysetPage.slice(items, limit, event -> new KeysetPage.Cursor(event.receivedAt(), event.id()));
            return new Page(page.rows(), page.nextCursor());
        });
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "One stored Stripe event")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = WebhookEvent.class)))
    @APIResponse(responseCode = "404", description = "No such event",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<WebhookEvent> one(@PathParam("id") String eventId) {
        requirePlausibleId(eventId);
        return find(eventId).map(event -> {
            if (event == null) {
                throw notFound();
            }
            return event;
        });
    }

    /**
     * Asks billing-service to apply the event again (it owns the processing) and waits for its
     * attempt. The event is applied at most once whatever happens: billing locks it and skips
     * one that is already processed.
     */
    @POST
    @Path("/{id}/reprocess")
    @Operation(summary = "Apply a failed Stripe event again, once")
    @APIResponse(responseCode = "200", description = "The event after billing-service's attempt (processed, ignored or failed again)",
            content = @Content(schema = @Schema(implementation = WebhookEvent.class)))
    @APIResponse(responseCode = "202", description = "Still pending when the wait ended; billing-service will apply it",
            content = @Content(schema = @Schema(implementation = WebhookEvent.class)))
    @APIResponse(responseCode = "404", description = "No such event",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "Already processed or ignored: not applied again",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<Response> reprocess(@PathParam("id") String eventId) {
        requirePlausibleId(eventId);
        return pool.preparedQuery(REQUEST).execute(Tuple.of(eventId))
                .onFailure().transform(failure -> SqlErrors.asProblem(failure, "No such webhook event."))
                .chain(rows -> {
                    Row row = rows.iterator().next();
                    String before = row.getString("status");
                    int attemptsBefore = row.getInteger("attempts");
                    audit.detail(JsonObject.of("event_id", eventId, "status_before", before));
                    if ("processed".equals(before) || "ignored".equals(before)) {
                        throw ProblemException.conflict("urn:metered:problem:webhook-event-done",
                                "The event is already " + before + "; it is not applied again.");
                    }
                    return awaitAttempt(eventId, attemptsBefore, System.nanoTime() + config.reprocessWait().toNanos());
                })
                .map(event -> {
                    audit.detail(JsonObject.of("event_id", eventId, "status_after", event.status(),
                            "pending", event.reprocessPending()));
                    return Response.status(event.reprocessPending() ? 202 : 200).entity(event).build();
                });
    }

    private Uni<WebhookEvent> awaitAttempt(String eventId, int attemptsBefore, long deadlineNanos) {
        return find(eventId).chain(event -> {
            boolean attempted = !event.reprocessPending() || event.attempts() > attemptsBefore
                    || "processed".equals(event.status()) || "ignored".equals(event.status());
            if (attempted || System.nanoTime() >= deadlineNanos) {
                return Uni.createFrom().item(event);
            }
            return Uni.createFrom().voidItem().onItem().delayIt().by(POLL_EVERY)
                    .chain(() -> awaitAttempt(eventId, attemptsBefore, deadlineNanos));
        });
    }

    private Uni<WebhookEvent> find(String eventId) {
        return pool.preparedQuery(ONE).execute(Tuple.of(eventId)).map(rows -> {
            var it = rows.iterator();
            return it.hasNext() ? event(it.next()) : null;
        });
    }

    private static WebhookEvent event(Row row) {
        return new WebhookEvent(row.getString("event_id"), row.getString("type"), row.getString("status"),
                row.getInteger("attempts"), row.getString("last_error"), row.getOffsetDateTime("received_at"),
                row.getOffsetDateTime("processed_at"), row.getOffsetDateTime("last_attempt_at"),
                row.getOffsetDateTime("reprocess_requested_at") != null
                        && !"processed".equals(row.getString("status")) && !"ignored".equals(row.getString("status")));
    }

    /** Stored ids are at most 255 characters of text PostgreSQL can hold; anything else names no event. */
    private static void requirePlausibleId(String eventId) {
        if (eventId.isEmpty() || eventId.length() > 255 || !StorableText.isStorable(eventId)) {
            throw notFound();
        }
    }

    private static ProblemException notFound() {
        return ProblemException.notFound("No such webhook event.");
    }
}
