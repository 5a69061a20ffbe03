package dev.metered.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metered.auth.security.SigningKey;
import dev.metered.auth.security.SigningKeyConfigSourceFactory;
import dev.metered.auth.security.SigningKeys;
import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigValue;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.config.spi.ConfigSource;
import org.junit.jupiter.api.Test;

class SigningKeyConfigurationTest {

    @Test
    void prodWithoutAKeyRefusesToStartWithAClearMessage() {
        var sources = new SigningKeyConfigSourceFactory().getConfigSources(context(List.of("prod"), Map.of()));
        assertFalse(sources.iterator().hasNext());
        IllegalStateException failure = assertThrows(IllegalStateException.class,
                () -> new SigningKeys(Optional.empty(), Optional.empty()));
        assertTrue(failure.getMessage().startsWith("AUTH_JWT_PRIVATE_KEY is not set"), failure.getMessage());
    }

    @Test
    void devGeneratesOneKeyPerProcess() {
        String first = property(context(List.of("dev"), Map.of()), "mp.jwt.verify.publickey");
        String second = property(context(List.of("dev"), Map.of()), "mp.jwt.verify.publickey");
        assertEquals(first, second);
    }

    @Test
    void aConfiguredKeyIsPublishedWithThePreviousOnesForRotation() {
        SigningKey current = SigningKey.generate();
        SigningKey previous = SigningKey.generate();
        String previousPem = "-----BEGIN PUBLIC KEY-----\n" + java.util.Base64.getMimeEncoder()
                .encodeToString(previous.publicKey().getEncoded()) + "\n-----END PUBLIC KEY-----\n";
        String jwks = property(context(List.of("prod"), Map.of("AUTH_JWT_PRIVATE_KEY", current.privatePem(),
                "AUTH_JWT_PREVIOUS_PUBLIC_KEYS", previousPem)), "mp.jwt.verify.publickey");
        assertTrue(jwks.indexOf(current.keyId()) < jwks.indexOf(previous.keyId()), jwks);
        assertFalse(jwks.contains("\"d\""), "no private part may be published");
    }

    @Test
    void keysFromEnvironmentVariablesWithEscapedNewlinesAreRead() {
        SigningKey key = SigningKey.generate();
        assertEquals(key.keyId(), SigningKey.fromPrivatePem(key.privatePem().replace("\n", "\\n")).keyId());
    }

    @Test
    void unusableKeysAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> SigningKey.fromPrivatePem("not a key"));
        assertThrows(IllegalArgumentException.class,
                () -> SigningKey.fromPrivatePem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"));
    }

    private static String property(ConfigSourceContext context, String name) {
        Iterator<ConfigSource> sources = new SigningKeyConfigSourceFactory().getConfigSources(context).iterator();
        return sources.next().getValue(name);
    }

    private static ConfigSourceContext context(List<String> profiles, Map<String, String> values) {
        return new ConfigSourceContext() {
            @Override
            public ConfigValue getValue(String name) {
                String value = values.get(name);
                return value == null ? null : ConfigValue.builder().withName(name).withValue(value).build();
            }

            @Override
            public Iterator<String> iterateNames() {
                return values.keySet().iterator();
            }

            @Override
            public List<String> getProfiles() {
                return profiles;
            }

            @Override
            public List<ConfigSource> getConfigSources() {
                return Collections.emptyList();
            }
        };
    }
}
