package dev.metered.worker.claim;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.pubsub.PgSubscriber;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * LISTEN jobs_queued on a connection of its own (not from the pool), reconnecting after the
 * database goes away; every notification and every (re)connection wakes the claimer.
 */
public class QueueListener {

    public static final String CHANNEL = "jobs_queued";
    private static final Logger LOG = Logger.getLogger(QueueListener.class);
    private static final long MAX_RECONNECT_DELAY_MS = 5000;

    private final Vertx vertx;
    private final PgSubscriber subscriber;
    private final Runnable wake;
    /** System.nanoTime() since when the connection is down; 0 while it is up. */
    private final AtomicLong downSince = new AtomicLong(System.nanoTime());
    private volatile boolean closed;

    public QueueListener(Vertx vertx, PgConnectOptions options, Runnable wake) {
        this.vertx = vertx;
        this.wake = wake;
        this.subscriber = PgSubscriber.subscriber(vertx, options)
                .reconnectPolicy(retries -> closed ? -1L : Math.min(MAX_RECONNECT_DELAY_MS, 100L << Math.min(retries, 6)));
        subscriber.channel(CHANNEL)
                .subscribeHandler(v -> {
                    downSince.set(0);
                    wake.run();
                })
                .handler(payload -> wake.run());
        subscriber.closeHandler(v -> {
            downSince.compareAndSet(0, System.nanoTime());
            if (!closed) {
                LOG.warn("LISTEN connection lost; reconnecting (polling meanwhile)");
            }
        });
    }

    public void start() {
        connect(0);
    }

    private void connect(int attempt) {
        if (closed) {
            return;
        }
        subscriber.connect().onFailure(failure -> {
            long delay = Math.min(MAX_RECONNECT_DELAY_MS, 100L << Math.min(attempt, 6));
            LOG.warnf("LISTEN connection failed (%s); retrying in %d ms", failure.getMessage(), delay);
            vertx.setTimer(delay, id -> connect(attempt + 1));
        });
    }

    /** How long the LISTEN connection has been down; zero while it is up. */
    public Duration downFor() {
        long since = downSince.get();
        return since == 0 ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - since);
    }

    public void close() {
        closed = true;
        subscriber.close();
    }
}
