package dev.metered.ops.monitoring;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.metered.ops.config.OpsConfig;
import dev.metered.ops.monitoring.AlertRules.Alert;
import dev.metered.ops.monitoring.OpsReads.JobFailure;
import dev.metered.ops.monitoring.OpsReads.Sample;
import dev.metered.ops.monitoring.OpsReads.WorkerBeat;
import dev.metered.runtime.problem.ProblemException;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import dev.metered.runtime.problem.Problem;

@Path("/api/ops")
@Tag(name = "ops")
@SecurityRequirement(name = "admin")
@Produces(MediaType.APPLICATION_JSON)
@APIResponse(responseCode = "400", description = "Invalid X-Admin-Actor",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "401", description = "Missing or wrong admin token",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
public class MonitoringResource {

    public record WorkerStatus(@Schema(nullable = true, description = "null before any worker recovered stale jobs")
                               Map<String, Object> recoveredLastSummary, List<WorkerBeat> workers) {
    }

    public record Metrics(Map<String, Long> queueDepth, long jobsFailedLastHour, long webhookFailedLastHour,
                          long webhookFailedOpen,
                          @JsonProperty("dead_letters_last_24h") long deadLettersLast24h,
                          @Schema(nullable = true) OffsetDateTime workerLastHeartbeat,
                          @Schema(nullable = true) Double workerHeartbeatAgeSeconds, WorkerStatus worker, long ledgerDrift,
                          List<JobFailure> recentJobFailures) {
    }

    public record Alerts(List<Alert> alerts, List<String> firing) {
    }

    public record Samples(List<Sample> samples) {
    }

    private final OpsReads reads;
    private final OpsConfig config;

    public MonitoringResource(OpsReads reads, OpsConfig config) {
        this.reads = reads;
        this.config = config;
    }

    @GET
    @Path("/metrics")
    @Operation(summary = "The runbook's operating figures, read now")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Metrics.class)))
    public Uni<Metrics> metrics() {
        return Uni.combine().all().unis(reads.snapshot(), reads.jobCounts(), reads.workers(), reads.lastRecovery(),
                reads.recentFailures()).asTuple().map(all -> {
                    OpsSnapshot snapshot = all.getItem1();
                    JsonObject recovery = all.getItem4();
                    return new Metrics(all.getItem2(), snapshot.jobsFailedLastHour(), snapshot.webhookFailedLastHour(),
                            snapshot.webhookFailedOpen(), snapshot.deadLettersLast24h(),
                            snapshot.workerLastHeartbeat(), rounded(snapshot.workerHeartbeatAgeSeconds()),
                            new WorkerStatus(recovery == null ? null : recovery.getMap(), all.getItem3()),
                            snapshot.ledgerDrift(), all.getItem5());
                });
    }

    @GET
    @Path("/alerts")
    @Operation(summary = "The runbook's alerts evaluated now, each with its value and threshold")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Alerts.class)))
    public Uni<Alerts> alerts() {
        long window = config.alerts().queueGrowingMinutes() + 5;
        return Uni.combine().all().unis(reads.snapshot(), reads.samples((int) Math.min(window, 24 * 60)))
                .asTuple().map(all -> {
                    List<Alert> alerts = AlertRules.evaluate(all.getItem1(), all.getItem2(), config.alerts());
                    return new Alerts(alerts, alerts.stream().filter(Alert::firing).map(Alert::name).toList());
                });
    }

    @GET
    @Path("/queue-depth/samples")
    @Operation(summary = "The per-minute queue-depth samples of the last minutes, oldest first")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Samples.class)))
    @APIResponse(responseCode = "400", description = "minutes is not a whole number from 1 to 10080, or an invalid X-Admin-Actor",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<Samples> samples(@QueryParam("minutes") String minutes) {
        return reads.samples(minutes(minutes)).map(Samples::new);
    }

    private static int minutes(String value) {
        if (value == null || value.isEmpty()) {
            return 60;
        }
        try {
            int minutes = Integer.parseInt(value);
            if (minutes >= 1 && minutes <= 7 * 24 * 60) {
                return minutes;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ProblemException.invalidField("minutes", "must be a whole number from 1 to 10080");
    }

    private static Double rounded(Double seconds) {
        return seconds == null ? null : Math.round(seconds * 10) / 10.0;
    }
}
