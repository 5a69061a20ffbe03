package dev.metered.auth.rest;

import io.quarkus.runtime.annotations.RegisterForReflection;
import java.util.UUID;

/** Native images: both records go out as hand-built Response entities, invisible to quarkus-rest. */
@RegisterForReflection
final class AuthResponses {

    private AuthResponses() {
    }

    record Account(UUID userId, String email) {
    }

    record Tokens(String accessToken, String tokenType, long expiresIn, String refreshToken) {
    }
}
