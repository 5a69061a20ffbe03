package dev.metered.worker.provider;

import dev.metered.worker.config.WorkerConfig;
import dev.metered.worker.queue.ClaimedJob;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.ext.web.client.WebClient;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashMap;
import java.util.Map;
import org.jboss.logging.Logger;

/** Job type to provider, from {@code WORKER_PROVIDERS}; a type with no provider fails without retry. */
@ApplicationScoped
public class ProviderRegistry {

    private static final Logger LOG = Logger.getLogger(ProviderRegistry.class);

    private final Map<String, JobProvider> byType = new HashMap<>();
    private WebClient webClient;

    public ProviderRegistry(WorkerConfig config, SimulatedProvider simulated, Vertx vertx) {
        for (String entry : config.providers().split(",")) {
            if (entry.isBlank()) {
                continue;
            }
            String[] parts = entry.trim().split("=", 2);
            if (parts.length != 2 || parts[0].isBlank()) {
                throw new IllegalArgumentException("WORKER_PROVIDERS entry must be type=provider, got " + entry);
            }
            String type = parts[0].trim();
            String provider = parts[1].trim();
            if (provider.equals("simulated")) {
                byType.put(type, simulated);
            } else if (provider.startsWith("replicate:") && provider.length() > "replicate:".length()) {
                var token = config.replicate().apiToken().filter(t -> !t.isBlank());
                if (token.isEmpty()) {
                    LOG.warnf("Job type %s is configured for replicate but REPLICATE_API_TOKEN is not set: simulated", type);
                    byType.put(type, simulated);
                    continue;
                }
                if (webClient == null) {
                    // a job in flight holds at most one request: with fewer connections than jobs,
                    // a few hung requests would starve every other job of a connection
                    webClient = WebClient.create(vertx, new WebClientOptions().setUserAgent("metered-worker")
                            .setConnectTimeout(config.replicate().requestTimeoutSeconds() * 1000)
                            .setMaxPoolSize(Math.max(config.concurrency(), 1)));
                }
                byType.put(type, new ReplicateProvider(vertx, webClient, config.replicate().apiBase(), token.get(),
                        provider.substring("replicate:".length()), config.replicate().pollIntervalMs(),
                        config.replicate().requestTimeoutSeconds() * 1000L));
            } else {
                throw new IllegalArgumentException("WORKER_PROVIDERS: unknown provider " + provider + " for " + type
                        + " (simulated or replicate:<model>)");
            }
        }
    }

    public Uni<JsonObject> run(ClaimedJob job) {
        JobProvider provider = byType.get(job.type());
        if (provider == null) {
            return Uni.createFrom().failure(new ProviderFailure("no provider for job type " + job.type(), false));
        }
        return Uni.createFrom().deferred(() -> provider.run(job));
    }

    public String providerOf(String type) {
        JobProvider provider = byType.get(type);
        return provider == null ? null : provider.name();
    }

    @PreDestroy
    void close() {
        if (webClient != null) {
            webClient.close();
        }
    }
}
