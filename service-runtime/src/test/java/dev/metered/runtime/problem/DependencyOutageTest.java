package dev.metered.runtime.problem;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.impl.NoStackTraceThrowable;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;

class DependencyOutageTest {

    @Test
    void connectionFailuresAnywhereInTheChainAreOutages() {
        assertTrue(DependencyOutage.causedBy(new ConnectException("Connection refused")));
        assertTrue(DependencyOutage.causedBy(new RuntimeException("wrapped", new ConnectException("refused"))));
        assertTrue(DependencyOutage.causedBy(ClosedConnectionException.INSTANCE));
        assertTrue(DependencyOutage.causedBy(new java.net.SocketException("Connection reset")));
        assertTrue(DependencyOutage.causedBy(new java.io.IOException("Connection reset by peer")));
        assertTrue(DependencyOutage.causedBy(new NoStackTraceThrowable("Timeout")));
    }

    @Test
    void postgresUnavailabilityStatesAreOutages() {
        assertTrue(DependencyOutage.causedBy(new PgException("too many clients", "FATAL", "53300", null)));
        assertTrue(DependencyOutage.causedBy(new PgException("terminating connection", "FATAL", "57P01", null)));
        assertTrue(DependencyOutage.causedBy(new PgException("the database system is starting up", "FATAL", "57P03", null)));
        assertTrue(DependencyOutage.causedBy(new PgException("connection failure", "FATAL", "08006", null)));
    }

    @Test
    void aFullPoolQueueIsOverloadNotAnOutage() {
        RuntimeException busy = new RuntimeException(new ConnectionPoolTooBusyException("max wait queue size of 128"));
        assertTrue(DependencyOutage.poolExhausted(busy));
        assertFalse(DependencyOutage.poolExhausted(new ConnectException("refused")));
    }

    @Test
    void bugsAreNotOutages() {
        assertFalse(DependencyOutage.causedBy(new PgException("syntax error", "ERROR", "42601", null)));
        assertFalse(DependencyOutage.causedBy(new PgException("duplicate key", "ERROR", "23505", null)));
        assertFalse(DependencyOutage.causedBy(new NullPointerException()));
        assertFalse(DependencyOutage.causedBy(new IllegalStateException("Timeout in my own code")));
    }
}
