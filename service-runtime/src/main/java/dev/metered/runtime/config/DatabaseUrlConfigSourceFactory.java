package dev.metered.runtime.config;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.PropertiesConfigSource;
import java.util.List;
import java.util.OptionalInt;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * Derives the JDBC (Flyway) and reactive datasource settings from {@code DATABASE_URL}. Its
 * ordinal sits above application.properties and below environment variables, so an explicit
 * {@code QUARKUS_DATASOURCE_*} still wins.
 */
public class DatabaseUrlConfigSourceFactory implements ConfigSourceFactory {

    static final int ORDINAL = 275;

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        ConfigValue value = context.getValue("DATABASE_URL");
        if (value == null || value.getValue() == null || value.getValue().isBlank()) {
            return List.of();
        }
        DatabaseUrl url = DatabaseUrl.parse(value.getValue());
        return List.of(new PropertiesConfigSource(url.quarkusProperties(), "DATABASE_URL", ORDINAL));
    }

    @Override
    public OptionalInt getPriority() {
        return OptionalInt.of(ORDINAL);
    }
}
