-- ops-service reads other schemas only through the views their owners publish for it (DESIGN):
-- the heartbeats as a view, and no longer the table itself.
CREATE VIEW worker.ops_heartbeats AS
SELECT worker_id, started_at, last_beat, in_flight, recovered_last_summary FROM worker.heartbeats;

REVOKE SELECT ON worker.heartbeats FROM metered_ops;
GRANT SELECT ON worker.ops_heartbeats TO metered_ops;
