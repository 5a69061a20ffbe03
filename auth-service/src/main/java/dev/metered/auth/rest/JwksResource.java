package dev.metered.auth.rest;

import dev.metered.auth.security.SigningKeys;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/auth/jwks")
@Tag(name = "auth")
public class JwksResource {

    private final SigningKeys keys;

    public JwksResource(SigningKeys keys) {
        this.keys = keys;
    }

    @GET
    @Produces("application/jwk-set+json")
    @Operation(summary = "Public keys that verify access tokens (JWK Set; the token's kid names one)")
    public Response jwks() {
        return Response.ok(keys.jwks()).header("Cache-Control", "public, max-age=300").build();
    }
}
