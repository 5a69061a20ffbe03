package dev.metered.worker.provider;

import dev.metered.worker.queue.ClaimedJob;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.ext.web.client.HttpResponse;
import io.vertx.mutiny.ext.web.client.WebClient;
import java.time.Duration;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * A client of Replicate's predictions API: POST /v1/predictions, then GET /v1/predictions/{id}
 * until the prediction is succeeded, failed or canceled. 429 (after its Retry-After) and 5xx
 * are retried a few times here, then reported as retryable; other 4xx are not retryable.
 * A prediction given up on (the attempt timed out, or polling failed) is canceled, so it does
 * not go on running, and billing, at Replicate beside the retry.
 * Non-blocking (Vert.x WebClient), every request with a timeout.
 */
public class ReplicateProvider implements JobProvider {

    static final int MAX_TRANSIENT_RETRIES = 4;
    static final Duration MAX_RETRY_AFTER = Duration.ofSeconds(60);
    private static final Set<String> TERMINAL = Set.of("succeeded", "failed", "canceled");
    private static final Logger LOG = Logger.getLogger(ReplicateProvider.class);

    private final Vertx vertx;
    private final WebClient client;
    private final String apiBase;
    private final String token;
    private final String model;
    private final long pollIntervalMs;
    private final long requestTimeoutMs;

    public ReplicateProvider(Vertx vertx, WebClient client, String apiBase, String token, String model,
                             long pollIntervalMs, long requestTimeoutMs) {
        this.vertx = vertx;
        this.client = client;
        this.apiBase = apiBase.endsWith("/") ? apiBase.substring(0, apiBase.length() - 1) : apiBase;
        this.token = token;
        this.model = model;
        this.pollIntervalMs = pollIntervalMs;
        this.requestTimeoutMs = requestTimeoutMs;
    }

    @Override
    public String name() {
        return "replicate";
    }

    @Override
    public Uni<JsonObject> run(ClaimedJob job) {
        JsonObject input = job.input() == null ? new JsonObject() : job.input().copy();
        input.remove("simulate");
        JsonObject body = new JsonObject().put("version", model).put("input", input);
        return send(HttpMethod.POST, "/v1/predictions", body, 0).flatMap(created -> untilTerminal(created)
                .onCancellation().invoke(() -> cancel(created.getString("id"), "the attempt timed out"))
                .onFailure().invoke(failure -> cancel(created.getString("id"), failure.getMessage()))
        ).map(prediction -> {
            String status = prediction.getString("status");
            String id = prediction.getString("id");
            return switch (status) {
                case "succeeded" -> new JsonObject().put("provider", name()).put("prediction_id", id)
                        .put("output", prediction.getValue("output"));
                case "canceled" -> throw new ProviderFailure("replicate prediction " + id + " was canceled", false);
                default -> throw new ProviderFailure("replicate prediction " + id + " failed: "
                        + prediction.getValue("error"), true);
            };
        });
    }

    /** Fire and forget: the attempt's outcome does not wait for, or depend on, the cancel. */
    private void cancel(String id, String why) {
        if (id == null || id.isBlank()) {
            return;
        }
        client.requestAbs(HttpMethod.POST, apiBase + "/v1/predictions/" + id + "/cancel")
                .putHeader("Authorization", "Bearer " + token)
                .timeout(requestTimeoutMs)
                .send()
                .subscribe().with(
                        response -> LOG.infof("Canceled replicate prediction %s (%s): HTTP %d", id, why,
                                response.statusCode()),
                        failure -> LOG.warnf("Could not cancel replicate prediction %s (%s): %s", id, why,
                                failure.getMessage()));
    }

    private Uni<JsonObject> untilTerminal(JsonObject prediction) {
        if (TERMINAL.contains(prediction.getString("status"))) {
            return Uni.createFrom().item(prediction);
        }
        String id = prediction.getString("id");
        if (id == null || id.isBlank()) {
            return Uni.createFrom().failure(new ProviderFailure("replicate answered a prediction without an id", true));
        }
        return delay(pollIntervalMs).flatMap(ignored -> send(HttpMethod.GET, "/v1/predictions/" + id, null, 0))
                .flatMap(this::untilTerminal);
    }

    private Uni<JsonObject> send(HttpMethod method, String path, JsonObject body, int retry) {
        var request = client.requestAbs(method, apiBase + path)
                .putHeader("Authorization", "Bearer " + token)
                .putHeader("Accept", "application/json")
                .timeout(requestTimeoutMs);
        Uni<HttpResponse<Buffer>> sent = body == null ? request.send() : request.sendJsonObject(body);
        return sent
                .onFailure(failure -> !(failure instanceof ProviderFailure))
                .transform(failure -> new ProviderFailure("replicate " + method + " " + path + " failed: "
                        + failure.getMessage(), true))
                .flatMap(response -> handle(method, path, body, retry, response));
    }

    private Uni<JsonObject> handle(HttpMethod method, String path, JsonObject body, int retry,
                                   HttpResponse<Buffer> response) {
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
            try {
                return Uni.createFrom().item(response.bodyAsJsonObject());
            } catch (RuntimeException e) {
                return Uni.createFrom().failure(new ProviderFailure("replicate answered " + status
                        + " without a JSON object", true));
            }
        }
        if (status == 429 || status >= 500) {
            Duration wait = status == 429 ? retryAfter(response.getHeader("Retry-After"), retry)
                    : Duration.ofMillis(Math.min(8000, 250L << retry));
            if (retry < MAX_TRANSIENT_RETRIES) {
                return delay(wait.toMillis()).flatMap(ignored -> send(method, path, body, retry + 1));
            }
            return Uni.createFrom().failure(new ProviderFailure("replicate " + method + " " + path + " answered "
                    + status + " " + retry + " times", true, status == 429 ? wait : null));
        }
        return Uni.createFrom().failure(new ProviderFailure("replicate " + method + " " + path + " answered "
                + status + ": " + truncate(response.bodyAsString()), false));
    }

    static Duration retryAfter(String header, int retry) {
        Duration fallback = Duration.ofMillis(Math.min(8000, 500L << retry));
        if (header == null || header.isBlank()) {
            return fallback;
        }
        try {
            long seconds = Long.parseLong(header.trim());
            Duration wait = Duration.ofSeconds(Math.max(0, seconds));
            return wait.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : wait;
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private Uni<Void> delay(long millis) {
        if (millis <= 0) {
            return Uni.createFrom().voidItem();
        }
        return Uni.createFrom().emitter(emitter -> {
            long timer = vertx.setTimer(millis, id -> emitter.complete(null));
            emitter.onTermination(() -> vertx.cancelTimer(timer));
        });
    }

    private static String truncate(String text) {
        if (text == null) {
            return "";
        }
        return text.length() > 500 ? text.substring(0, 500) : text;
    }
}
