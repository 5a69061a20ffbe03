package dev.metered.jobs.config;

import jakarta.inject.Singleton;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** What each job type costs, from {@code JOBS_PRICING} ({@code type=credits,…}); the client never says. */
@Singleton
public class Pricing {

    private static final Pattern TYPE = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    private final Map<String, Long> costs;

    public Pricing(@ConfigProperty(name = "jobs.pricing") String pricing) {
        this.costs = parse(pricing);
    }

    public OptionalLong costOf(String type) {
        Long cost = costs.get(type);
        return cost == null ? OptionalLong.empty() : OptionalLong.of(cost);
    }

    public java.util.Set<String> types() {
        return costs.keySet();
    }

    static Map<String, Long> parse(String pricing) {
        Map<String, Long> costs = new LinkedHashMap<>();
        for (String entry : pricing.split(",")) {
            if (entry.isBlank()) {
                continue;
            }
            String[] pair = entry.trim().split("=", 2);
            if (pair.length != 2 || !TYPE.matcher(pair[0].trim()).matches()) {
                throw new IllegalArgumentException("JOBS_PRICING entry '" + entry + "' is not type=credits");
            }
            long cost = Long.parseLong(pair[1].trim());
            if (cost <= 0) {
                throw new IllegalArgumentException("JOBS_PRICING: " + pair[0] + " must cost at least 1 credit");
            }
            costs.put(pair[0].trim(), cost);
        }
        if (costs.isEmpty()) {
            throw new IllegalArgumentException("JOBS_PRICING names no job type");
        }
        return Map.copyOf(costs);
    }
}
