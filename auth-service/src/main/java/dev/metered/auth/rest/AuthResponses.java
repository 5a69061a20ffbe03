package dev.metered.auth.rest;

import java.util.UUID;

final class AuthResponses {

    private AuthResponses() {
    }

    record Account(UUID userId, String email) {
    }

    record Tokens(String accessToken, String tokenType, long expiresIn, String refreshToken) {
    }
}
