package dev.metered.runtime.db;

import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import jakarta.inject.Singleton;
import io.vertx.sqlclient.SqlConnectOptions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Bounds what Quarkus leaves open on the reactive pool: how many requests may wait for a
 * connection, and for how long. Past either bound a request fails fast instead of piling up.
 * The pool size itself is {@code quarkus.datasource.reactive.max-size}, set per service.
 */
@Singleton
public class BoundedPoolCreator implements PgPoolCreator {

    private final int maxWaitQueueSize;
    private final Duration connectionTimeout;

    public BoundedPoolCreator(
            @ConfigProperty(name = "metered.db.max-wait-queue-size", defaultValue = "128") int maxWaitQueueSize,
            @ConfigProperty(name = "metered.db.connection-timeout", defaultValue = "PT5S") Duration connectionTimeout) {
        this.maxWaitQueueSize = maxWaitQueueSize;
        this.connectionTimeout = connectionTimeout;
    }

    @Override
    public Pool create(Input input) {
        PoolOptions options = new PoolOptions(input.poolOptions())
                .setMaxWaitQueueSize(maxWaitQueueSize)
                .setConnectionTimeout((int) connectionTimeout.toMillis())
                .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS);
        return PgBuilder.pool()
                .with(options)
                .connectingTo(List.<SqlConnectOptions>copyOf(input.pgConnectOptionsList()))
                .using(input.vertx())
                .build();
    }
}
