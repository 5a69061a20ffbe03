package dev.metered.auth;

import dev.metered.auth.security.SigningKey;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * The signing key a packaged auth-service needs: integration tests run it in the prod profile,
 * where it refuses to start without {@code AUTH_JWT_PRIVATE_KEY}. The PEM's newlines are escaped,
 * as in an environment variable, because the value reaches the process as a command-line property.
 */
public class SigningKeyResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        return Map.of("AUTH_JWT_PRIVATE_KEY", SigningKey.generate().privatePem().replace("\n", "\\n"));
    }

    @Override
    public void stop() {
    }
}
