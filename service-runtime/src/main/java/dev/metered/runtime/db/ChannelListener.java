package dev.metered.runtime.db;

import dev.metered.runtime.config.DatabaseUrl;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import io.vertx.pgclient.pubsub.PgSubscriber;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * LISTEN on one channel over a connection of its own (a pooled connection may go back to the
 * pool, and a transaction-mode pooler drops LISTEN), reconnecting after the database goes away.
 * Notifications sent while it was down are lost: {@code onConnected} runs after every
 * (re)connection so that the owner can look for what it missed.
 */
public class ChannelListener {

    private static final Logger LOG = Logger.getLogger(ChannelListener.class);
    private static final long MAX_RECONNECT_DELAY_MS = 5000;

    private final Vertx vertx;
    private final String channel;
    private final PgSubscriber subscriber;
    /** System.nanoTime() since when the connection is down; 0 while it is up. */
    private final AtomicLong downSince = new AtomicLong(System.nanoTime());
    private volatile boolean closed;

    public ChannelListener(Vertx vertx, PgConnectOptions options, String channel, Consumer<String> onNotification,
                           Runnable onConnected) {
        this.vertx = vertx;
        this.channel = channel;
        this.subscriber = PgSubscriber.subscriber(vertx, options)
                .reconnectPolicy(retries -> closed ? -1L : reconnectDelay(retries));
        subscriber.channel(channel)
                .subscribeHandler(v -> {
                    downSince.set(0);
                    onConnected.run();
                })
                .handler(onNotification::accept);
        subscriber.closeHandler(v -> {
            downSince.compareAndSet(0, System.nanoTime());
            if (!closed) {
                LOG.warnf("LISTEN %s: connection lost; reconnecting", channel);
            }
        });
    }

    /** Connection options for a listener from {@code DATABASE_URL}, named in pg_stat_activity. */
    public static PgConnectOptions connectOptions(String databaseUrl, String applicationName) {
        DatabaseUrl url = DatabaseUrl.parse(databaseUrl);
        var options = new PgConnectOptions().setHost(url.host()).setPort(url.port()).setDatabase(url.database())
                .addProperty("application_name", applicationName);
        if (url.user() != null) {
            options.setUser(url.user());
        }
        if (url.password() != null) {
            options.setPassword(url.password());
        }
        String sslMode = url.parameters().get("sslmode");
        if (sslMode != null && !sslMode.isBlank()) {
            options.setSslMode(SslMode.of(sslMode));
        }
        return options;
    }

    public void start() {
        connect(0);
    }

    private void connect(int attempt) {
        if (closed) {
            return;
        }
        subscriber.connect().onFailure(failure -> {
            long delay = reconnectDelay(attempt);
            LOG.warnf("LISTEN %s: connection failed (%s); retrying in %d ms", channel, failure.getMessage(), delay);
            vertx.setTimer(delay, id -> connect(attempt + 1));
        });
    }

    private static long reconnectDelay(int attempt) {
        return Math.min(MAX_RECONNECT_DELAY_MS, 100L << Math.min(attempt, 6));
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
