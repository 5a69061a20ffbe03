package dev.metered.jobs.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The old system's kling endpoints, kept for existing clients as thin aliases of /api/jobs
 * with the job type {@code video.kling}: the request body is the job's input.
 */
@Path("/api/kling")
@Tag(name = "kling (deprecated)")
@Authenticated
@SecurityRequirement(name = "bearer")
@LegacyKlingAlias
@Produces(MediaType.APPLICATION_JSON)
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
    public Uni<Response> generate(@HeaderParam("Idempotency-Key") String idempotencyKey, @NotNull JsonNode body) {
        return submit(idempotencyKey, body);
    }

    @GET
    @Path("/jobs/{id}")
    @Operation(summary = "Deprecated: GET /api/jobs/{id}", deprecated = true)
    public Uni<JobViews.Detail> get(@PathParam("id") String id) {
        return jobs.get(id);
    }

    @GET
    @Path("/status/{id}")
    @Operation(summary = "Deprecated: GET /api/jobs/{id}", deprecated = true)
    public Uni<JobViews.Detail> status(@PathParam("id") String id) {
        return jobs.get(id);
    }

    @GET
    @Path("/jobs")
    @Operation(summary = "Deprecated: GET /api/jobs limited to video.kling jobs", deprecated = true)
    public Uni<JobViews.Page> list(@QueryParam("status") String status, @QueryParam("limit") String limit,
                                   @QueryParam("cursor") String cursor) {
        return jobs.page(status, TYPE, limit, cursor);
    }

    @POST
    @Path("/jobs/{id}/cancel")
    @Operation(summary = "Deprecated: POST /api/jobs/{id}/cancel", deprecated = true)
    public Uni<JobViews.Detail> cancel(@PathParam("id") String id) {
        return jobs.cancel(id);
    }
}
