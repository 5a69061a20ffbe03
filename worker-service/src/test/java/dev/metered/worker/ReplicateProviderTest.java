package dev.metered.worker;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import dev.metered.worker.provider.ProviderFailure;
import dev.metered.worker.provider.ReplicateProvider;
import dev.metered.worker.queue.ClaimedJob;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.ext.web.client.WebClient;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Replicate predictions client against a WireMock stand-in of the API. */
class ReplicateProviderTest {

    private static final String MODEL = "owner/model:abc123";
    private static WireMockServer replicate;
    private static Vertx vertx;
    private static WebClient client;

    private ReplicateProvider provider;

    @BeforeAll
    static void startServer() {
        replicate = new WireMockServer(wireMockConfig().dynamicPort());
        replicate.start();
        vertx = Vertx.vertx();
        client = WebClient.create(vertx);
    }

    @AfterAll
    static void stopServer() {
        client.close();
        vertx.closeAndAwait();
        replicate.stop();
    }

    @BeforeEach
    void reset() {
        replicate.resetAll();
        provider = new ReplicateProvider(vertx, client, "http://127.0.0.1:" + replicate.port() + "/", "r8_test", MODEL,
                10, 2000);
    }

    private static ClaimedJob job(JsonObject input) {
        return new ClaimedJob(UUID.randomUUID(), UUID.randomUUID(), "image", input, 1, 3, Instant.now());
    }

    private JsonObject run(JsonObject input) {
        return provider.run(job(input)).await().atMost(Duration.ofSeconds(20));
    }

    private ProviderFailure failure(JsonObject input) {
        return assertThrows(ProviderFailure.class, () -> run(input));
    }

    @Test
    void createsThePredictionThenPollsUntilItSucceeds() {
        replicate.stubFor(post("/v1/predictions").willReturn(okJson("{\"id\":\"p1\",\"status\":\"starting\"}")
                .withStatus(201)));
        replicate.stubFor(get("/v1/predictions/p1").inScenario("poll").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(okJson("{\"id\":\"p1\",\"status\":\"processing\"}")).willSetStateTo("done"));
        replicate.stubFor(get("/v1/predictions/p1").inScenario("poll").whenScenarioStateIs("done")
                .willReturn(okJson("{\"id\":\"p1\",\"status\":\"succeeded\",\"output\":[\"https://x/1.png\"]}")));

        JsonObject output = run(new JsonObject().put("prompt", "a cat").put("simulate", new JsonObject()));

        assertEquals("replicate", output.getString("provider"));
        assertEquals("p1", output.getString("prediction_id"));
        assertEquals("https://x/1.png", output.getJsonArray("output").getString(0));
        replicate.verify(postRequestedFor(urlEqualTo("/v1/predictions"))
                .withHeader("Authorization", equalTo("Bearer r8_test"))
                .withRequestBody(equalToJson("{\"version\":\"" + MODEL + "\",\"input\":{\"prompt\":\"a cat\"}}")));
        replicate.verify(2, getRequestedFor(urlEqualTo("/v1/predictions/p1")));
    }

    @Test
    void honoursRetryAfterOnA429ThenGoesOn() {
        replicate.stubFor(post("/v1/predictions").inScenario("limit").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(429).withHeader("Retry-After", "1")).willSetStateTo("open"));
        replicate.stubFor(post("/v1/predictions").inScenario("limit").whenScenarioStateIs("open")
                .willReturn(okJson("{\"id\":\"p2\",\"status\":\"succeeded\",\"output\":\"ok\"}")));

        long started = System.nanoTime();
        JsonObject output = run(new JsonObject());

        assertEquals("ok", output.getString("output"));
        assertTrue(Duration.ofNanos(System.nanoTime() - started).toMillis() >= 900, "waited the Retry-After second");
        replicate.verify(2, postRequestedFor(urlEqualTo("/v1/predictions")));
    }

    @Test
    void retriesA5xxWhilePolling() {
        replicate.stubFor(post("/v1/predictions").willReturn(okJson("{\"id\":\"p3\",\"status\":\"starting\"}")));
        replicate.stubFor(get("/v1/predictions/p3").inScenario("flaky").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(503)).willSetStateTo("up"));
        replicate.stubFor(get("/v1/predictions/p3").inScenario("flaky").whenScenarioStateIs("up")
                .willReturn(okJson("{\"id\":\"p3\",\"status\":\"succeeded\",\"output\":1}")));

        assertEquals(1, run(new JsonObject()).getInteger("output"));
    }

    @Test
    void aPersistent5xxIsARetryableFailure() {
        replicate.stubFor(post("/v1/predictions").willReturn(aResponse().withStatus(502)));

        ProviderFailure failure = failure(new JsonObject());

        assertTrue(failure.retryable());
        replicate.verify(1 + 4, postRequestedFor(urlEqualTo("/v1/predictions")));
    }

    @Test
    void aRejectedRequestIsNotRetryable() {
        replicate.stubFor(post("/v1/predictions").willReturn(aResponse().withStatus(422)
                .withBody("{\"detail\":\"input.prompt is required\"}")));

        ProviderFailure failure = failure(new JsonObject());

        assertFalse(failure.retryable());
        assertTrue(failure.getMessage().contains("422"), failure.getMessage());
        replicate.verify(1, postRequestedFor(urlEqualTo("/v1/predictions")));
    }

    @Test
    void aFailedPredictionIsRetryableAndACanceledOneIsNot() {
        replicate.stubFor(post("/v1/predictions").willReturn(okJson("{\"id\":\"p4\",\"status\":\"failed\",\"error\":\"CUDA OOM\"}")));
        ProviderFailure failed = failure(new JsonObject());
        assertTrue(failed.retryable());
        assertTrue(failed.getMessage().contains("CUDA OOM"));

        replicate.stubFor(post("/v1/predictions").willReturn(okJson("{\"id\":\"p5\",\"status\":\"canceled\"}")));
        assertFalse(failure(new JsonObject()).retryable());
    }

    @Test
    void aHangingApiTimesOutAsARetryableFailure() {
        replicate.stubFor(post("/v1/predictions").willReturn(okJson("{}").withFixedDelay(3000)));

        long started = System.nanoTime();
        ProviderFailure failure = failure(new JsonObject());

        assertTrue(failure.retryable());
        assertTrue(Duration.ofNanos(System.nanoTime() - started).toSeconds() < 10);
    }

    @Test
    void aPredictionGivenUpOnIsCanceled() {
        replicate.stubFor(post("/v1/predictions").willReturn(okJson("{\"id\":\"p6\",\"status\":\"starting\"}")));
        replicate.stubFor(get("/v1/predictions/p6").willReturn(okJson("{\"id\":\"p6\",\"status\":\"processing\"}")));
        replicate.stubFor(post("/v1/predictions/p6/cancel").willReturn(okJson("{\"id\":\"p6\",\"status\":\"canceled\"}")));

        // the worker's attempt timeout, as JobExecutor applies it, long enough for the prediction to be created
        assertThrows(io.smallrye.mutiny.TimeoutException.class, () -> provider.run(job(new JsonObject()))
                .ifNoItem().after(Duration.ofSeconds(2)).fail().await().atMost(Duration.ofSeconds(10)));

        awaitRequests(postRequestedFor(urlEqualTo("/v1/predictions/p6/cancel")));
    }

    @Test
    void aPredictionWhosePollingFailsIsCanceled() {
        replicate.stubFor(post("/v1/predictions").willReturn(okJson("{\"id\":\"p7\",\"status\":\"starting\"}")));
        replicate.stubFor(get("/v1/predictions/p7").willReturn(aResponse().withStatus(503)));
        replicate.stubFor(post("/v1/predictions/p7/cancel").willReturn(okJson("{\"id\":\"p7\",\"status\":\"canceled\"}")));

        assertTrue(failure(new JsonObject()).retryable());

        awaitRequests(postRequestedFor(urlEqualTo("/v1/predictions/p7/cancel")));
    }

    @Test
    void aSucceededPredictionIsNotCanceled() {
        replicate.stubFor(post("/v1/predictions").willReturn(okJson("{\"id\":\"p8\",\"status\":\"succeeded\",\"output\":1}")));

        run(new JsonObject());

        replicate.verify(0, postRequestedFor(urlEqualTo("/v1/predictions/p8/cancel")));
    }

    /** The cancel is fire and forget: it may land just after the attempt's failure. */
    private static void awaitRequests(com.github.tomakehurst.wiremock.matching.RequestPatternBuilder pattern) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (replicate.findAll(pattern).isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        replicate.verify(1, pattern);
    }
}
