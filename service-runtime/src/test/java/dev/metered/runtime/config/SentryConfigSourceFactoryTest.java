package dev.metered.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SentryConfigSourceFactoryTest {

    private static Optional<Boolean> enabledWith(Map<String, String> environment) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withSources(new PropertiesConfigSource(environment, "environment", 300))
                .withSources(new SentryConfigSourceFactory()).build();
        return config.getOptionalValue(SentryConfigSourceFactory.ENABLED, Boolean.class);
    }

    @Test
    void aDsnTurnsSentryOn() {
        assertEquals(Optional.of(true), enabledWith(Map.of("SENTRY_DSN", "https://key@sentry.example/42")));
    }

    @Test
    void noDsnOrABlankOneLeavesItOff() {
        assertEquals(Optional.empty(), enabledWith(Map.of()));
        assertEquals(Optional.empty(), enabledWith(Map.of("SENTRY_DSN", "")));
        assertEquals(Optional.empty(), enabledWith(Map.of("SENTRY_DSN", "  ")));
    }

    @Test
    void anExplicitSwitchStillWins() {
        assertEquals(Optional.of(false), enabledWith(Map.of("SENTRY_DSN", "https://key@sentry.example/42",
                "quarkus.log.sentry.enabled", "false")));
    }
}
