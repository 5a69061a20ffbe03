package dev.metered.jobs.rest;

import jakarta.inject.Singleton;
import jakarta.ws.rs.container.ContainerResponseContext;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/** RFC 9745 Deprecation and RFC 8594 Sunset on every answer of the kling aliases, errors included. */
@Singleton
public class DeprecationHeaders {

    private final String deprecation;
    private final String sunset;

    public DeprecationHeaders(@ConfigProperty(name = "jobs.kling.deprecated-since") LocalDate deprecatedSince,
                              @ConfigProperty(name = "jobs.kling.sunset") LocalDate sunset) {
        this.deprecation = "@" + deprecatedSince.atStartOfDay(ZoneOffset.UTC).toEpochSecond();
        this.sunset = DateTimeFormatter.RFC_1123_DATE_TIME.format(sunset.atStartOfDay(ZoneOffset.UTC));
    }

    @LegacyKlingAlias
    @ServerResponseFilter
    public void addHeaders(ContainerResponseContext response) {
        response.getHeaders().putSingle("Deprecation", deprecation);
        response.getHeaders().putSingle("Sunset", sunset);
        response.getHeaders().add("Link", "</api/jobs>; rel=\"successor-version\"");
    }
}
