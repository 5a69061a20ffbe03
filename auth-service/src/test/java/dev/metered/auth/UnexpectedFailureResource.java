package dev.metered.auth;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.QueryParam;

/** Test-only: an endpoint with a bug, to show what an unexpected exception turns into (500, ERROR log, Sentry). */
@Path("/test-only/unexpected-failure")
public class UnexpectedFailureResource {

    @GET
    public String fail(@QueryParam("marker") String marker) {
        throw new IllegalStateException("a bug for the tests: " + marker);
    }
}
