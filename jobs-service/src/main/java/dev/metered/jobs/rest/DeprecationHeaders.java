package dev.metered.jobs.rest;

import jakarta.inject.Singleton;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/**
 * RFC 9745 Deprecation and RFC 8594 Sunset on every answer under /api/kling, errors included.
 * Chosen by path, not by name binding: a 415 or 405 is answered before any method of
 * {@link KlingResource} is matched, and a name-bound filter would miss it.
 */
@Singleton
public class DeprecationHeaders {

    private static final String PREFIX = "/api/kling";

    private final String deprecation;
    private final String sunset;

    public DeprecationHeaders(@ConfigProperty(name = "jobs.kling.deprecated-since") LocalDate deprecatedSince,
                              @ConfigProperty(name = "jobs.kling.sunset") LocalDate sunset) {
        this.deprecation = "@" + deprecatedSince.atStartOfDay(ZoneOffset.UTC).toEpochSecond();
        this.sunset = DateTimeFormatter.RFC_1123_DATE_TIME.format(sunset.atStartOfDay(ZoneOffset.UTC));
    }

    @ServerResponseFilter
    public void addHeaders(ContainerRequestContext request, ContainerResponseContext response) {
        String path = request.getUriInfo().getPath();
        if (!path.equals(PREFIX) && !path.startsWith(PREFIX + "/")) {
            return;
        }
        response.getHeaders().putSingle("Deprecation", deprecation);
        response.getHeaders().putSingle("Sunset", sunset);
        response.getHeaders().putSingle("Link", "</api/jobs>; rel=\"successor-version\"");
    }
}
