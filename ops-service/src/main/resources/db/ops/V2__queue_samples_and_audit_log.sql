-- One sample of the queue per minute, whichever ops replica takes it (the minute is the key):
-- "queued jobs growing for 10+ minutes" and the dashboard's chart read them.
CREATE TABLE ops.queue_depth_samples (
    sampled_at timestamptz PRIMARY KEY,
    queued     bigint      NOT NULL CHECK (queued >= 0),
    running    bigint      NOT NULL CHECK (running >= 0)
);

-- Every call to /api/ops/**, refused ones included: who, what, when and how it ended.
CREATE TABLE ops.audit_log (
    id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at                timestamptz NOT NULL DEFAULT now(),
    actor             text,
    token_fingerprint text,
    client_address    text,
    method            text        NOT NULL,
    path              text        NOT NULL,
    action            text        NOT NULL,
    target            text,
    detail            jsonb,
    outcome           integer     NOT NULL,
    duration_ms       integer     NOT NULL
);
CREATE INDEX audit_log_at_idx ON ops.audit_log (at DESC, id DESC);

-- The audit log is append-only for ops-service too: a mistaken row is explained by a later one.
CREATE FUNCTION ops.audit_log_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ops.audit_log is append-only' USING ERRCODE = 'MO403';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON ops.audit_log
    FOR EACH ROW EXECUTE FUNCTION ops.audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON ops.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION ops.audit_log_is_append_only();
