package dev.metered.auth.security;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.PropertiesConfigSource;
import java.security.interfaces.RSAPublicKey;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * Reads the signing key from {@code AUTH_JWT_PRIVATE_KEY} once, and from it derives both the key
 * tokens are signed with and the JWK Set smallrye-jwt verifies them against, so the two can never
 * disagree. In the dev and test profiles a missing key is replaced by one generated per process;
 * in prod it is left missing and {@link SigningKeys} refuses to start.
 */
public class SigningKeyConfigSourceFactory implements ConfigSourceFactory {

    static final String ACTIVE_KEY = "metered.jwt.active-private-key";
    static final String VERIFY_KEYS = "mp.jwt.verify.publickey";

    private static volatile SigningKey generated;

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        String pem = value(context, "AUTH_JWT_PRIVATE_KEY");
        SigningKey key;
        if (pem != null) {
            key = SigningKey.fromPrivatePem(pem);
        } else if (context.getProfiles().contains("dev") || context.getProfiles().contains("test")) {
            key = generatedKey();
        } else {
            return List.of();
        }
        String previousPem = value(context, "AUTH_JWT_PREVIOUS_PUBLIC_KEYS");
        List<RSAPublicKey> previous = previousPem == null ? List.of() : SigningKey.publicKeysFromPem(previousPem);
        return List.of(new PropertiesConfigSource(
                Map.of(ACTIVE_KEY, key.privatePem(), VERIFY_KEYS, key.jwks(previous)), "jwt-signing-key", 275));
    }

    @Override
    public OptionalInt getPriority() {
        return OptionalInt.of(275);
    }

    private static synchronized SigningKey generatedKey() {
        if (generated == null) {
            generated = SigningKey.generate();
        }
        return generated;
    }

    private static String value(ConfigSourceContext context, String name) {
        ConfigValue value = context.getValue(name);
        return value == null || value.getValue() == null || value.getValue().isBlank() ? null : value.getValue();
    }
}
