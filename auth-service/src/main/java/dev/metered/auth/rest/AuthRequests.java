package dev.metered.auth.rest;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;

/** Request bodies; field limits here stop oversized input before any work is done. */
final class AuthRequests {

    private AuthRequests() {
    }

    record Register(@NotBlank @Size(max = 320) String email, @NotNull @Size(max = 1024) String password) {
    }

    record Login(@NotBlank @Size(max = 320) String email, @NotNull @Size(max = 1024) String password) {
    }

    record RefreshToken(@NotBlank @Size(max = 256) String refreshToken) {
    }
}
