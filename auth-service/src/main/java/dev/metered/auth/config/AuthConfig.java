package dev.metered.auth.config;

import io.smallrye.config.ConfigMapping;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

@ConfigMapping(prefix = "auth")
public interface AuthConfig {

    Jwt jwt();

    Login login();

    Password password();

    Origins origins();

    /** Direct peers whose X-Forwarded-For is believed (the gateway), as addresses or CIDR blocks. */
    List<String> trustedProxies();

    interface Jwt {
        String issuer();

        String audience();

        Duration accessTokenTtl();

        Duration refreshTokenTtl();
    }

    interface Login {
        int maxAttempts();

        /** The per-address limit; by default ten times the per-account one, as many people can share an address. */
        Optional<Integer> maxAttemptsPerAddress();

        Duration window();

        Duration lockout();

        default int addressLimit() {
            return maxAttemptsPerAddress().orElse(maxAttempts() * 10);
        }
    }

    interface Password {
        int minLength();

        int maxLength();

        /** Argon2id runs at most this many at a time: each holds its memory cost while it runs. */
        int hashingThreads();

        /** Hash requests waiting beyond this get 503 instead of piling up. */
        int maxQueued();
    }

    interface Origins {
        Optional<List<String>> allowlist();

        boolean allowLocalhost();

        boolean allowNull();
    }
}
