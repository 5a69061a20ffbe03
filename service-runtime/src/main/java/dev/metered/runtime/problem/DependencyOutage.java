package dev.metered.runtime.problem;

import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.io.IOException;
import java.util.concurrent.TimeoutException;

/**
 * Recognises failures that mean "the database is unavailable right now" rather than a bug, so
 * they become 503 with Retry-After: clients and the gateway retry, and alerts do not page
 * for a stack trace that is only an outage.
 */
public final class DependencyOutage {

    private DependencyOutage() {
    }

    /** Worth retrying after a pause: the database is unavailable, or the pool is full. */
    public static boolean isTransient(Throwable failure) {
        return causedBy(failure) || poolExhausted(failure);
    }

    /** The pool's wait queue is full: this service has more work than it accepts. */
    public static boolean poolExhausted(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ConnectionPoolTooBusyException) {
                return true;
            }
        }
        return false;
    }

    public static boolean causedBy(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            // IOException: refused (ConnectException) or reset mid-query ("Connection reset by peer" comes
            // from the native transport as a plain IOException), as when PostgreSQL restarts
            if (t instanceof IOException || t instanceof ClosedConnectionException
                    || t instanceof TimeoutException || isPoolTimeout(t) || isUnavailableState(t)) {
                return true;
            }
        }
        return false;
    }

    /** The Vert.x pool fails a request that waited past its connection timeout with a bare "Timeout". */
    private static boolean isPoolTimeout(Throwable t) {
        return t.getClass().getName().startsWith("io.vertx.") && "Timeout".equals(t.getMessage());
    }

    /** 08: connection exceptions; 53: insufficient resources (too many connections); 57P01-03: shutting down or starting. */
    private static boolean isUnavailableState(Throwable t) {
        if (!(t instanceof PgException pg) || pg.getSqlState() == null) {
            return false;
        }
        String state = pg.getSqlState();
        return state.startsWith("08") || state.startsWith("53") || state.equals("57P01") || state.equals("57P02")
                || state.equals("57P03");
    }
}
