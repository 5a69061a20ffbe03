package dev.metered.worker.heartbeat;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/** worker.heartbeats (db/worker/V2__heartbeats.sql). */
@ApplicationScoped
public class HeartbeatStore {

    private static final String STARTED = """
            INSERT INTO worker.heartbeats (worker_id, started_at, last_beat, in_flight) VALUES ($1, $2, $2, 0)
            ON CONFLICT (worker_id) DO UPDATE SET started_at = $2, last_beat = $2, in_flight = 0""";
    private static final String BEAT = """
            INSERT INTO worker.heartbeats (worker_id, started_at, last_beat, in_flight) VALUES ($1, $2, $2, $3)
            ON CONFLICT (worker_id) DO UPDATE SET last_beat = $2, in_flight = $3""";
    private static final String RECOVERED = """
            INSERT INTO worker.heartbeats (worker_id, started_at, last_beat, recovered_last_summary)
            VALUES ($1, $4, $4, jsonb_build_object('requeued', $2::int, 'dead', $3::int, 'at', $4::timestamptz))
            ON CONFLICT (worker_id) DO UPDATE SET recovered_last_summary = EXCLUDED.recovered_last_summary""";

    private final Pool pool;

    public HeartbeatStore(Pool pool) {
        this.pool = pool;
    }

    public Uni<Void> started(String workerId, Instant now) {
        return pool.preparedQuery(STARTED).execute(Tuple.of(workerId, at(now))).replaceWithVoid();
    }

    public Uni<Void> beat(String workerId, Instant now, int inFlight) {
        return pool.preparedQuery(BEAT).execute(Tuple.of(workerId, at(now), inFlight)).replaceWithVoid();
    }

    public Uni<Void> recovered(String workerId, int requeued, int dead, Instant now) {
        return pool.preparedQuery(RECOVERED).execute(Tuple.of(workerId, requeued, dead, at(now))).replaceWithVoid();
    }

    private static OffsetDateTime at(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }
}
