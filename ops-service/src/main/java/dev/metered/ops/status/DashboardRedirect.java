package dev.metered.ops.status;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** The dashboard's assets are relative to /ops/, so /ops must take the browser there. */
@Path("/ops")
public class DashboardRedirect {

    @GET
    @Operation(hidden = true)
    public Response toDashboard() {
        return Response.status(Response.Status.MOVED_PERMANENTLY).location(URI.create("/ops/")).build();
    }
}
