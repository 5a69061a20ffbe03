package dev.metered.runtime.origin;

import dev.metered.runtime.problem.Problem;
import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * CORS for every public API, from {@code CORS_ALLOW_ORIGINS} (plus localhost and {@code null}
 * origins when {@code ALLOW_LOCALHOST_ORIGINS} / {@code ALLOW_NULL_ORIGIN} say so).
 *
 * <p>CORS only decides whether a browser may read a response: a request from an origin not
 * listed is still served, without CORS headers, and endpoints that must refuse foreign origins
 * outright (auth) do so themselves. A preflight from an origin not listed gets 403.
 */
@ApplicationScoped
public class CorsPolicy {

    static final String ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
    static final String ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key, X-Request-Id";
    static final String EXPOSED_HEADERS = "Retry-After, Location, Deprecation, Sunset, Link, X-Request-Id";

    private final OriginAllowlist allowlist;

    public CorsPolicy(@ConfigProperty(name = "metered.cors.allow-origins") Optional<List<String>> origins,
                      @ConfigProperty(name = "metered.origins.allow-localhost") boolean allowLocalhost,
                      @ConfigProperty(name = "metered.origins.allow-null") boolean allowNull) {
        this.allowlist = new OriginAllowlist(origins.orElse(List.of()), allowLocalhost, allowNull);
    }

    void register(@Observes Filters filters) {
        filters.register(this::apply, 1_000);
    }

    void apply(RoutingContext context) {
        String origin = context.request().getHeader("Origin");
        if (origin == null) {
            context.next();
            return;
        }
        boolean allowed = allowlist.allowsOrigin(origin);
        HttpServerResponse response = context.response();
        response.headers().add("Vary", "Origin");
        boolean preflight = context.request().method() == HttpMethod.OPTIONS
                && context.request().getHeader("Access-Control-Request-Method") != null;
        if (preflight) {
            if (!allowed) {
                response.setStatusCode(403).putHeader("Content-Type", Problem.MEDIA_TYPE)
                        .end("{\"type\":\"about:blank\",\"title\":\"Forbidden\",\"status\":403,"
                                + "\"detail\":\"Cross-origin requests from this origin are not allowed.\"}");
                return;
            }
            response.setStatusCode(204)
                    .putHeader("Access-Control-Allow-Origin", origin)
                    .putHeader("Access-Control-Allow-Credentials", "true")
                    .putHeader("Access-Control-Allow-Methods", ALLOWED_METHODS)
                    .putHeader("Access-Control-Allow-Headers", ALLOWED_HEADERS)
                    .putHeader("Access-Control-Max-Age", "600")
                    .end();
            return;
        }
        if (allowed) {
            response.putHeader("Access-Control-Allow-Origin", origin)
                    .putHeader("Access-Control-Allow-Credentials", "true")
                    .putHeader("Access-Control-Expose-Headers", EXPOSED_HEADERS);
        }
        context.next();
    }
}
