package dev.metered.ops.status;

import dev.metered.ops.config.OpsConfig;
import dev.metered.ops.monitoring.OpsReads;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The runbook's release checks and the monitor's first call. Kubernetes probes use each
 * service's /q/health/* instead: a stopped worker must page someone, not take ops out of service.
 */
@Path("/api")
@Tag(name = "ops")
@Produces(MediaType.APPLICATION_JSON)
public class StatusResource {

    private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(3);

    /** Native images: Health and Readiness go out as hand-built Response entities (200 or 503). */
    @RegisterForReflection
    public record Health(String status, boolean dbOk) {
    }

    @RegisterForReflection
    public record Readiness(boolean ready, boolean dbOk, boolean workerOk,
                            @Schema(nullable = true) OffsetDateTime workerLastHeartbeat,
                            @Schema(nullable = true) Double workerHeartbeatAgeSeconds,
                            @Schema(nullable = true, description = "null when the database does not answer")
                            Map<String, Long> queueDepth) {
    }

    private final OpsReads reads;
    private final OpsConfig config;

    public StatusResource(OpsReads reads, OpsConfig config) {
        this.reads = reads;
        this.config = config;
    }

    @GET
    @Path("/health")
    @Operation(summary = "The process answers and the database is reachable")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Health.class)))
    @APIResponse(responseCode = "503", description = "The database does not answer",
            content = @Content(schema = @Schema(implementation = Health.class)))
    public Uni<Response> health() {
        return reads.databaseAnswers().ifNoItem().after(QUERY_TIMEOUT).fail()
                .map(ok -> Response.ok(new Health("ok", true)).build())
                .onFailure().recoverWithItem(failure -> Response.status(503).entity(new Health("down", false)).build());
    }

    @GET
    @Path("/ready")
    @Operation(summary = "Ready to serve: database up and a worker heartbeat within the alert threshold")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Readiness.class)))
    @APIResponse(responseCode = "503", description = "Not ready; the body says why",
            content = @Content(schema = @Schema(implementation = Readiness.class)))
    public Uni<Response> ready() {
        return reads.readiness().ifNoItem().after(QUERY_TIMEOUT).fail()
                .map(found -> {
                    Double age = found.workerHeartbeatAgeSeconds();
                    boolean workerOk = age != null && age <= config.alerts().workerHeartbeatMaxAgeSeconds();
                    Readiness readiness = new Readiness(workerOk, true, workerOk, found.workerLastHeartbeat(),
                            age == null ? null : Math.round(age * 10) / 10.0,
                            Map.of("queued", found.queued(), "running", found.running()));
                    return Response.status(workerOk ? 200 : 503).entity(readiness).build();
                })
                .onFailure().recoverWithItem(failure -> Response.status(503)
                        .entity(new Readiness(false, false, false, null, null, null)).build());
    }
}
