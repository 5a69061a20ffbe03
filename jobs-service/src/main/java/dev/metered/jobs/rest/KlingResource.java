package dev.metered.jobs.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.metered.runtime.problem.Problem;
import dev.metered.runtime.problem.ProblemException;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Uni;
import jakarta.validation.constraints.NotNull;
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
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The old system's kling endpoints, kept for existing clients as thin aliases of /api/jobs
 * with the job type {@code video.kling}: the request body is the job's input. Every answer
 * carries Deprecation, Sunset and Link ({@link DeprecationHeaders}).
 */
@Path("/api/kling")
@Tag(name = "kling (deprecated)")
@Authenticated
@SecurityRequirement(name = "bearer")
@Produces(MediaType.APPLICATION_JSON)
@APIResponse(responseCode = "401", description = "Missing or invalid access token",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
public class KlingResource {

    static final String TYPE = "video.kling";

    private final JobResource jobs;

    public KlingResource(JobResource jobs) {
        this.jobs = jobs;
    }

    @POST
    @Path("/jobs")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Deprecated: POST /api/jobs with type video.kling", deprecated = true)
    @APIResponse(responseCode = "201", description = "Created",
            content = @Content(schema = @Schema(implementation = JobViews.Submitted.class)))
    @APIResponse(responseCode = "200", description = "The job already submitted with this idempotency key",
            content = @Content(schema = @Schema(implementation = JobViews.Submitted.class)))
    @APIResponse(responseCode = "400", description = "The body is not a JSON object, or an invalid input or key",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "402", description = "The balance does not cover the cost; no job was created",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "The idempotency key was used for another job",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<Response> submit(@HeaderParam("Idempotency-Key") String idempotencyKey, @NotNull JsonNode body) {
        if (!body.isObject()) {
            throw ProblemException.invalidField("body", "must be a JSON object (the job's input)");
        }
        ObjectNode input = ((ObjectNode) body).deepCopy();
        JsonNode bodyKey = input.remove("idempotency_key");
        if (bodyKey != null && !bodyKey.isTextual()) {
            throw ProblemException.invalidField("idempotency_key", "must be a string");
        }
        return jobs.submit(idempotencyKey, bodyKey == null ? null : bodyKey.textValue(), TYPE, input);
    }

    @POST
    @Path("/generate")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Deprecated: POST /api/jobs with type video.kling", deprecated = true)
    @APIResponse(responseCode = "201", description = "Created",
            content = @Content(schema = @Schema(implementation = JobViews.Submitted.class)))
    @APIResponse(responseCode = "200", description = "The job already submitted with this idempotency key",
            content = @Content(schema = @Schema(implementation = JobViews.Submitted.class)))
    @APIResponse(responseCode = "400", description = "The body is not a JSON object, or an invalid input or key",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "402", description = "The balance does not cover the cost; no job was created",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "The idempotency key was used for another job",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<Response> generate(@HeaderParam("Idempotency-Key") String idempotencyKey, @NotNull JsonNode body) {
        return submit(idempotencyKey, body);
    }

    @GET
    @Path("/jobs/{id}")
    @Operation(summary = "Deprecated: GET /api/jobs/{id}", deprecated = true)
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = JobViews.Detail.class)))
    @APIResponse(responseCode = "404", description = "No such job of this user",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<JobViews.Detail> get(@PathParam("id") String id) {
        return jobs.get(id);
    }

    @GET
    @Path("/status/{id}")
    @Operation(summary = "Deprecated: GET /api/jobs/{id}", deprecated = true)
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = JobViews.Detail.class)))
    @APIResponse(responseCode = "404", description = "No such job of this user",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<JobViews.Detail> status(@PathParam("id") String id) {
        return jobs.get(id);
    }

    @GET
    @Path("/jobs")
    @Operation(summary = "Deprecated: GET /api/jobs limited to video.kling jobs", deprecated = true)
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = JobViews.Page.class)))
    @APIResponse(responseCode = "400", description = "Invalid status, limit or cursor",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<JobViews.Page> list(@QueryParam("status") String status, @QueryParam("limit") String limit,
                                   @QueryParam("cursor") String cursor) {
        return jobs.page(status, TYPE, limit, cursor);
    }

    @POST
    @Path("/jobs/{id}/cancel")
    @Operation(summary = "Deprecated: POST /api/jobs/{id}/cancel", deprecated = true)
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = JobViews.Detail.class)))
    @APIResponse(responseCode = "404", description = "No such job of this user",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "The job is no longer queued",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<JobViews.Detail> cancel(@PathParam("id") String id) {
        return jobs.cancel(id);
    }
}
