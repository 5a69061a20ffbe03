package dev.metered.runtime.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Arrays;

/**
 * Fixed histogram buckets for the HTTP server timer, so Prometheus can compute latency SLIs and
 * p95s per route (docs/SLO.md). Quarkus has no property for them, and Micrometer's generated
 * buckets have no boundary at 0.8 s, the latency objective the SLI counts exactly.
 */
public class HttpServerBuckets {

    static final String HTTP_SERVER_REQUESTS = "http.server.requests";
    static final double[] BOUNDARIES_SECONDS = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.8, 1, 2.5, 5, 10 };

    @Produces
    @Singleton
    MeterFilter httpServerRequestBuckets() {
        double[] boundariesNanos = Arrays.stream(BOUNDARIES_SECONDS)
                .map(seconds -> Duration.ofMillis(Math.round(seconds * 1000)).toNanos()).toArray();
        return new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                if (!HTTP_SERVER_REQUESTS.equals(id.getName())) {
                    return config;
                }
                return DistributionStatisticConfig.builder().serviceLevelObjectives(boundariesNanos).build()
                        .merge(config);
            }
        };
    }
}
