package dev.metered.runtime.config;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.PropertiesConfigSource;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * Turns Sentry error reporting on exactly when {@code SENTRY_DSN} is set and not blank. The
 * extension's own switch is a plain boolean, and without it the extension neither initialises
 * the Sentry SDK nor installs its log handler, so an unset DSN sends nothing. The other
 * {@code quarkus.log.sentry.*} settings are mapped from {@code SENTRY_*} in
 * META-INF/microprofile-config.properties. Same ordinal as {@link DatabaseUrlConfigSourceFactory}:
 * an explicit {@code QUARKUS_LOG_SENTRY_ENABLED} still wins.
 */
public class SentryConfigSourceFactory implements ConfigSourceFactory {

    static final String ENABLED = "quarkus.log.sentry.enabled";

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        ConfigValue dsn = context.getValue("SENTRY_DSN");
        if (dsn == null || dsn.getValue() == null || dsn.getValue().isBlank()) {
            return List.of();
        }
        return List.of(new PropertiesConfigSource(Map.of(ENABLED, "true"), "SENTRY_DSN",
                DatabaseUrlConfigSourceFactory.ORDINAL));
    }

    @Override
    public OptionalInt getPriority() {
        return OptionalInt.of(DatabaseUrlConfigSourceFactory.ORDINAL);
    }
}
