package dev.metered.auth.rest;

import dev.metered.auth.security.AuthOrigins;
import dev.metered.runtime.problem.ProblemException;
import jakarta.inject.Singleton;
import jakarta.ws.rs.container.ContainerRequestContext;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * A request without an Origin header (curl, servers) passes; a browser's Origin must be on the
 * allowlist, so another site cannot drive login or refresh from a victim's browser.
 */
@Singleton
public class OriginGuard {

    private final AuthOrigins origins;

    public OriginGuard(AuthOrigins origins) {
        this.origins = origins;
    }

    @OriginChecked
    @ServerRequestFilter
    public void checkOrigin(ContainerRequestContext request) {
        String origin = request.getHeaderString("Origin");
        if (origin != null && !origins.allows(origin)) {
            throw ProblemException.forbidden("Requests from this origin are not allowed.");
        }
    }
}
