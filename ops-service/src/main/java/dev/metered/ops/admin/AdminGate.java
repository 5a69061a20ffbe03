package dev.metered.ops.admin;

import dev.metered.runtime.json.StorableText;
import dev.metered.runtime.problem.ProblemException;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import java.util.Locale;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/**
 * Guards /api/ops/**: before routing (so that even the existence of a path is not revealed),
 * the ADMIN_TOKEN must come as {@code X-Admin-Token} or {@code Authorization: Bearer}; a user's
 * JWT is just a wrong token. After the answer, the call is written to ops.audit_log, refusals too.
 */
public class AdminGate {

    public static final String ACTOR_HEADER = "X-Admin-Actor";
    private static final Logger LOG = Logger.getLogger(AdminGate.class);
    private static final String STARTED = "metered.ops.audit.started";
    private static final String ACTOR = "metered.ops.audit.actor";
    private static final String FINGERPRINT = "metered.ops.audit.fingerprint";
    private static final String CLIENT = "metered.ops.audit.client";
    private static final String QUERY = "metered.ops.audit.query";
    private static final Pattern SLASHES = Pattern.compile("/{2,}");
    private static final Pattern ACTOR_NAME = Pattern.compile("[A-Za-z0-9 ._@+-]{1,64}");
    private static final String INSERT = """
            INSERT INTO ops.audit_log (actor, token_fingerprint, client_address, method, path, action, detail,
                                       outcome, duration_ms)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""";

    @Inject
    AdminAccess access;

    @Inject
    AuditNote note;

    @Inject
    Pool pool;

    @ServerRequestFilter(preMatching = true)
    public void requireAdmin(ContainerRequestContext request, HttpServerRequest http) {
        if (!needsAdmin(request.getUriInfo().getPath())) {
            return;
        }
        request.setProperty(STARTED, System.nanoTime());
        request.setProperty(CLIENT, clientAddress(request, http));
        request.setProperty(QUERY, http.query());
        String actor = request.getHeaderString(ACTOR_HEADER);
        request.setProperty(ACTOR, actor == null ? "admin" : actor);
        String token = presentedToken(request);
        if (!access.accepts(token)) {
            throw ProblemException.unauthorized("A valid admin token is required (X-Admin-Token or Authorization: Bearer).");
        }
        request.setProperty(FINGERPRINT, AdminAccess.fingerprint(token));
        if (actor != null && !ACTOR_NAME.matcher(actor).matches()) {
            request.setProperty(ACTOR, "(invalid)");
            throw ProblemException.invalidField(ACTOR_HEADER, "must be 1 to 64 letters, digits, spaces or ._@+-");
        }
    }

    @ServerResponseFilter
    public Uni<Void> audit(ContainerRequestContext request, ContainerResponseContext response) {
        if (!(request.getProperty(STARTED) instanceof Long started)) {
            return Uni.createFrom().voidItem();
        }
        String path = request.getUriInfo().getPath();
        String query = (String) request.getProperty(QUERY);
        String client = (String) request.getProperty(CLIENT);
        JsonObject detail = detailOrNull();
        int durationMs = (int) Math.min(Integer.MAX_VALUE, (System.nanoTime() - started) / 1_000_000);
        Tuple row = Tuple.tuple()
                .addString(truncate((String) request.getProperty(ACTOR), 64))
                .addString((String) request.getProperty(FINGERPRINT))
                .addString(truncate(client, 200))
                .addString(request.getMethod())
                .addString(truncate(query == null ? path : path + "?" + query, 500))
                .addString(request.getMethod() + " " + truncate(path, 200))
                .addValue(detail)
                .addInteger(response.getStatus())
                .addInteger(durationMs);
        return pool.preparedQuery(INSERT).execute(row).replaceWithVoid()
                .onFailure().recoverWithUni(failure -> {
                    // the call already happened; losing its audit row must be loud, not a second failure
                    LOG.errorf("audit log write failed for %s %s (%d): %s", request.getMethod(), path,
                            response.getStatus(), failure.getMessage());
                    return Uni.createFrom().voidItem();
                });
    }

    private JsonObject detailOrNull() {
        try {
            return note.detail();
        } catch (RuntimeException noRequestScope) {
            return null;
        }
    }

    /**
     * Everything under /api but the two public probes; judged on the path with repeated slashes
     * folded and case ignored, so that no spelling of an admin path slips past.
     */
    static boolean needsAdmin(String path) {
        String normalized = SLASHES.matcher(path).replaceAll("/").toLowerCase(Locale.ROOT);
        if (normalized.endsWith("/") && normalized.length() > 1) {
            normalized = normalized.substring(0, normalized.length() - 1);
        }
        return (normalized.equals("/api") || normalized.startsWith("/api/") || normalized.startsWith("/api;"))
                && !normalized.equals("/api/health") && !normalized.equals("/api/ready");
    }

    /** The gateway overwrites X-Forwarded-For with the client it saw; the peer is kept beside it. */
    private static String clientAddress(ContainerRequestContext request, HttpServerRequest http) {
        String peer = http.remoteAddress() == null ? null : http.remoteAddress().hostAddress();
        String forwarded = request.getHeaderString("X-Forwarded-For");
        if (forwarded == null || forwarded.isBlank()) {
            return peer;
        }
        return forwarded.trim() + (peer == null ? "" : " via " + peer);
    }

    private static String presentedToken(ContainerRequestContext request) {
        String header = request.getHeaderString("X-Admin-Token");
        if (header != null) {
            return header.trim();
        }
        String authorization = request.getHeaderString("Authorization");
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return authorization.substring(7).trim();
        }
        return null;
    }

    /** Shortened, and with what PostgreSQL text cannot hold (U+0000, lone surrogates) replaced, so the row is written. */
    private static String truncate(String value, int max) {
        if (value == null) {
            return null;
        }
        String shortened = value.length() <= max ? value : value.substring(0, max);
        if (StorableText.isStorable(shortened)) {
            return shortened;
        }
        StringBuilder cleaned = new StringBuilder(shortened.length());
        shortened.chars().forEach(c -> cleaned.append(c == 0 || Character.isSurrogate((char) c) ? '\uFFFD' : (char) c));
        return cleaned.toString();
    }
}
