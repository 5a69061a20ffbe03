package dev.metered.jobs.rest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.metered.jobs.service.JobService;
import dev.metered.runtime.problem.Problem;
import dev.metered.runtime.paging.KeysetPage;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Uni;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/jobs")
@Tag(name = "jobs")
@Authenticated
@SecurityRequirement(name = "bearer")
@Produces(MediaType.APPLICATION_JSON)
@APIResponse(responseCode = "401", description = "Missing or invalid access token",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
public class JobResource {

    public record SubmitRequest(@NotBlank @Size(max = 64) String type, @NotNull JsonNode input,
                                String idempotencyKey) {
    }

    private final JobService jobs;
    private final JsonWebToken token;

    public JobResource(JobService jobs, JsonWebToken token) {
        this.jobs = jobs;
        this.token = token;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Submit a paid job: its cost is held until it ends")
    @APIResponse(responseCode = "201", description = "Created",
            content = @Content(schema = @Schema(implementation = JobViews.Submitted.class)))
    @APIResponse(responseCode = "200", description = "The job already submitted with this idempotency key",
            content = @Content(schema = @Schema(implementation = JobViews.Submitted.class)))
    @APIResponse(responseCode = "400", description = "Unknown type, invalid input or key",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "402", description = "The balance does not cover the cost; no job was created",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "The idempotency key was used for another job",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<Response> submit(@HeaderParam("Idempotency-Key") String idempotencyKey,
                                @NotNull @Valid SubmitRequest body) {
        return submit(idempotencyKey, body.idempotencyKey(), body.type(), body.input());
    }

    Uni<Response> submit(String headerKey, String bodyKey, String type, JsonNode input) {
        return jobs.submit(user(), headerKey, bodyKey, type, input).map(submission -> Response
                .status(submission.created() ? 201 : 200).entity(JobViews.Submitted.of(submission.job())).build());
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "One of the user's jobs")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = JobViews.Detail.class)))
    @APIResponse(responseCode = "404", description = "No such job of this user",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<JobViews.Detail> get(@PathParam("id") String id) {
        return jobs.find(user(), id).map(JobViews.Detail::of);
    }

    @GET
    @Operation(summary = "The user's jobs, newest first, in pages")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = JobViews.Page.class)))
    @APIResponse(responseCode = "400", description = "Invalid status, limit or cursor",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<JobViews.Page> list(@QueryParam("status") String status,
                                   @QueryParam("limit") String limit,
                                   @QueryParam("cursor") String cursor) {
        return page(status, null, limit, cursor);
    }

    Uni<JobViews.Page> page(String status, String type, String limitParam, String cursorParam) {
        int limit = KeysetPage.limit(limitParam);
        KeysetPage.Cursor cursor = KeysetPage.cursor(cursorParam);
        UUID beforeId = cursor == null ? null : jobId(cursor.id());
        return jobs.page(user(), status == null || status.isEmpty() ? null : status, type,
                cursor == null ? null : cursor.createdAt(), beforeId, limit + 1)
                .map(found -> {
                    var page = KeysetPage.slice(found, limit,
                            job -> new KeysetPage.Cursor(job.createdAt(), job.id().toString()));
                    return new JobViews.Page(page.rows().stream().map(JobViews.Detail::of).toList(), page.nextCursor());
                });
    }

    private static UUID jobId(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw KeysetPage.invalidCursor();
        }
    }

    @POST
    @Path("/{id}/cancel")
    @Operation(summary = "Cancel a queued job; its hold is released")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = JobViews.Detail.class)))
    @APIResponse(responseCode = "404", description = "No such job of this user",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "The job is no longer queued",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<JobViews.Detail> cancel(@PathParam("id") String id) {
        return jobs.cancel(user(), id).map(JobViews.Detail::of);
    }

    private UUID user() {
        return UUID.fromString(token.getSubject());
    }
}
