package dev.metered.auth.rest;

import dev.metered.auth.security.ClientAddress;
import dev.metered.auth.service.AccountService;
import dev.metered.auth.service.SessionService;
import dev.metered.runtime.problem.Problem;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
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

@Path("/api/auth")
@Tag(name = "auth")
@OriginChecked
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
@APIResponse(responseCode = "400", description = "Malformed JSON or invalid fields",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "403", description = "Origin not allowed",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
public class AuthResource {

    private final AccountService accounts;
    private final SessionService sessions;
    private final ClientAddress clientAddress;
    private final JsonWebToken token;

    public AuthResource(AccountService accounts, SessionService sessions, ClientAddress clientAddress,
                        JsonWebToken token) {
        this.accounts = accounts;
        this.sessions = sessions;
        this.clientAddress = clientAddress;
        this.token = token;
    }

    @POST
    @Path("/register")
    @Operation(summary = "Create an account")
    @APIResponse(responseCode = "201", description = "Created",
            content = @Content(schema = @Schema(implementation = AuthResponses.Account.class)))
    @APIResponse(responseCode = "409", description = "Email taken",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<Response> register(@NotNull @Valid AuthRequests.Register body) {
        return accounts.register(body.email(), body.password()).map(user -> Response.status(201)
                .entity(new AuthResponses.Account(user.id(), user.email())).build());
    }

    @POST
    @Path("/login")
    @Operation(summary = "Exchange email and password for an access token and a refresh token")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = AuthResponses.Tokens.class)))
    @APIResponse(responseCode = "401", description = "Wrong email or password",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "429", description = "Too many attempts; see Retry-After",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<Response> login(@NotNull @Valid AuthRequests.Login body, @Context HttpServerRequest request) {
        String address = clientAddress.resolve(request.remoteAddress().hostAddress(),
                request.getHeader("X-Forwarded-For"));
        return sessions.login(body.email(), body.password(), address).map(AuthResource::tokens);
    }

    @POST
    @Path("/refresh")
    @Operation(summary = "Rotate a refresh token into a new pair; a reused token revokes its family")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = AuthResponses.Tokens.class)))
    @APIResponse(responseCode = "401", description = "Invalid, expired, rotated or revoked refresh token",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<Response> refresh(@NotNull @Valid AuthRequests.RefreshToken body) {
        return sessions.refresh(body.refreshToken()).map(AuthResource::tokens);
    }

    @POST
    @Path("/logout")
    @Operation(summary = "Revoke the session (refresh-token family) of this refresh token")
    @APIResponse(responseCode = "204", description = "Logged out (also for an unknown token)")
    public Uni<Response> logout(@NotNull @Valid AuthRequests.RefreshToken body) {
        return sessions.logout(body.refreshToken()).map(ignored -> Response.noContent().build());
    }

    @GET
    @Path("/me")
    @Authenticated
    @SecurityRequirement(name = "bearer")
    @Operation(summary = "The signed-in account")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = AuthResponses.Account.class)))
    @APIResponse(responseCode = "401", description = "Missing or invalid access token",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<AuthResponses.Account> me() {
        return accounts.find(UUID.fromString(token.getSubject()))
                .map(user -> new AuthResponses.Account(user.id(), user.email()));
    }

    private static Response tokens(SessionService.Session session) {
        return Response.ok(new AuthResponses.Tokens(session.accessToken(), "Bearer", session.expiresIn(),
                session.refreshToken())).header("Cache-Control", "no-store").build();
    }
}
