package dev.metered.billing.rest;

import dev.metered.billing.service.CheckoutService;
import dev.metered.runtime.problem.Problem;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Uni;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.UUID;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/billing/checkout-session")
@Tag(name = "billing")
@Authenticated
@SecurityRequirement(name = "bearer")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class CheckoutResource {

    public record CheckoutRequest(@NotNull @Positive Long credits, String successUrl, String cancelUrl) {
    }

    /** Native images: a hand-built Response entity (201), invisible to quarkus-rest. */
    @RegisterForReflection
    public record CheckoutCreated(String sessionId, String url) {
    }

    private final CheckoutService checkout;
    private final JsonWebToken token;

    public CheckoutResource(CheckoutService checkout, JsonWebToken token) {
        this.checkout = checkout;
        this.token = token;
    }

    @POST
    @Operation(summary = "Start buying credits: a Stripe Checkout Session to send the user to")
    @APIResponse(responseCode = "201", description = "Created",
            content = @Content(schema = @Schema(implementation = CheckoutCreated.class)))
    @APIResponse(responseCode = "400", description = "Invalid credits, redirect URL or missing Idempotency-Key",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "401", description = "Missing or invalid access token",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "Idempotency-Key used with another body, or still in progress",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "502", description = "Stripe did not create the session; retry with the same key",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<Response> create(@HeaderParam("Idempotency-Key") String idempotencyKey,
                                @NotNull @Valid CheckoutRequest body) {
        return checkout.create(UUID.fromString(token.getSubject()), idempotencyKey, body.credits(), body.successUrl(),
                body.cancelUrl()).map(created -> Response.status(201)
                        .entity(new CheckoutCreated(created.sessionId(), created.url())).build());
    }
}
