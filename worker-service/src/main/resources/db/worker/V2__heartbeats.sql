-- One row per worker id: when it started, when it last beat, how many jobs it had in flight, and
-- what its last stale recovery did. ops-service reads it for worker_ok and the recovery summary.
CREATE TABLE worker.heartbeats (
    worker_id              text        PRIMARY KEY,
    started_at             timestamptz NOT NULL,
    last_beat              timestamptz NOT NULL,
    in_flight              integer     NOT NULL DEFAULT 0 CHECK (in_flight >= 0),
    recovered_last_summary jsonb
);
COMMENT ON COLUMN worker.heartbeats.recovered_last_summary IS
    'The last jobs.recover_stale run by this worker: {"requeued": n, "dead": n, "at": timestamp}.';

GRANT USAGE ON SCHEMA worker TO metered_ops;
GRANT SELECT ON worker.heartbeats TO metered_ops;
