package dev.metered.auth.security;

import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** The active signing key and the published JWK Set; refuses to start without a key in prod. */
@Startup
@Singleton
public class SigningKeys {

    private final SigningKey active;
    private final String jwks;

    public SigningKeys(@ConfigProperty(name = SigningKeyConfigSourceFactory.ACTIVE_KEY) Optional<String> activePem,
                       @ConfigProperty(name = SigningKeyConfigSourceFactory.VERIFY_KEYS) Optional<String> jwks) {
        if (activePem.isEmpty() || jwks.isEmpty()) {
            throw new IllegalStateException("AUTH_JWT_PRIVATE_KEY is not set: auth-service needs an RSA private key"
                    + " (PKCS#8 PEM, 2048 bits or more) to sign access tokens; see docs/RUNBOOK.md");
        }
        this.active = SigningKey.fromPrivatePem(activePem.get());
        this.jwks = jwks.get();
    }

    public SigningKey active() {
        return active;
    }

    public String jwks() {
        return jwks;
    }
}
