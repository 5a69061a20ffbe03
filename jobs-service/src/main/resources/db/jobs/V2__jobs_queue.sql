-- Jobs, their queue state and dead letters. jobs-service inserts jobs (with their billing hold,
-- in one transaction); worker-service changes them only through the functions below, which
-- take the time as an argument so that tests can move it.

CREATE TABLE jobs.jobs (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         uuid        NOT NULL,
    type            text        NOT NULL,
    input           jsonb       NOT NULL,
    status          text        NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'dead')),
    cost            bigint      NOT NULL CHECK (cost > 0),
    attempts        integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts    integer     NOT NULL CHECK (max_attempts > 0),
    run_after       timestamptz NOT NULL DEFAULT now(),
    locked_by       text,
    locked_until    timestamptz,
    last_error      text,
    error_history   jsonb       NOT NULL DEFAULT '[]',
    output          jsonb,
    idempotency_key text        NOT NULL,
    request_hash    text        NOT NULL,
    hold_key        text        NOT NULL UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, idempotency_key),
    CONSTRAINT jobs_lease_check CHECK ((status = 'running') = (locked_by IS NOT NULL AND locked_until IS NOT NULL))
);
CREATE INDEX jobs_queue_idx ON jobs.jobs (run_after) WHERE status = 'queued';
CREATE INDEX jobs_leases_idx ON jobs.jobs (locked_until) WHERE status = 'running';
CREATE INDEX jobs_user_newest_idx ON jobs.jobs (user_id, created_at DESC, id DESC);
CREATE INDEX jobs_user_status_newest_idx ON jobs.jobs (user_id, status, created_at DESC, id DESC);

CREATE TABLE jobs.job_dead_letters (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id        uuid        NOT NULL REFERENCES jobs.jobs (id),
    user_id       uuid        NOT NULL,
    type          text        NOT NULL,
    attempts      integer     NOT NULL,
    last_error    text,
    error_history jsonb       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    requeued_at   timestamptz
);
CREATE INDEX job_dead_letters_created_idx ON jobs.job_dead_letters (created_at DESC);

-- Wakes listening workers when a job becomes claimable; NOTIFY is sent at commit and identical
-- notifications of one transaction are folded into one.
CREATE FUNCTION jobs.notify_queued() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('jobs_queued', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER jobs_queued_notify AFTER INSERT OR UPDATE OF status ON jobs.jobs
    FOR EACH ROW WHEN (NEW.status = 'queued') EXECUTE FUNCTION jobs.notify_queued();

CREATE TYPE jobs.claimed_job AS (id uuid, user_id uuid, type text, input jsonb, attempt integer,
                                 max_attempts integer, locked_until timestamptz);

-- Takes up to p_limit claimable jobs for p_worker with a lease until p_now + p_lease_seconds.
-- SKIP LOCKED: concurrent claimers never wait for, or get, each other's jobs.
CREATE FUNCTION jobs.claim(p_worker text, p_limit integer, p_lease_seconds integer, p_now timestamptz)
RETURNS SETOF jobs.claimed_job
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    UPDATE jobs.jobs j
       SET status = 'running', attempts = j.attempts + 1, locked_by = p_worker,
           locked_until = p_now + make_interval(secs => p_lease_seconds), updated_at = p_now
     WHERE j.id IN (SELECT q.id FROM jobs.jobs q
                     WHERE q.status = 'queued' AND q.run_after <= p_now
                     ORDER BY q.run_after
                     FOR UPDATE SKIP LOCKED
                     LIMIT p_limit)
    RETURNING j.id, j.user_id, j.type, j.input, j.attempts, j.max_attempts, j.locked_until;
END;

-- Extends the leases p_worker still holds; returns the ids it still holds (the rest were lost).
CREATE FUNCTION jobs.renew_leases(p_worker text, p_job_ids uuid[], p_lease_seconds integer, p_now timestamptz)
RETURNS SETOF uuid
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    UPDATE jobs.jobs j SET locked_until = p_now + make_interval(secs => p_lease_seconds), updated_at = p_now
     WHERE j.id = ANY (p_job_ids) AND j.status = 'running' AND j.locked_by = p_worker
    RETURNING j.id;
END;

-- Fenced: only the worker holding this attempt's lease may finish it. Completes the job and
-- captures its hold in one transaction; false (and nothing changed) for anyone else.
CREATE FUNCTION jobs.complete(p_job_id uuid, p_worker text, p_attempt integer, p_output jsonb, p_now timestamptz)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    settled_hold text;
BEGIN
    UPDATE jobs.jobs
       SET status = 'succeeded', output = p_output, locked_by = NULL, locked_until = NULL, updated_at = p_now
     WHERE id = p_job_id AND status = 'running' AND locked_by = p_worker AND attempts = p_attempt
    RETURNING hold_key INTO settled_hold;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM billing.capture(settled_hold);
    RETURN true;
END
$$;

-- Ends a job for good: dead (exhausted retries: a dead letter with the error history) or failed
-- (not retryable); either way the hold is released in the same transaction.
CREATE FUNCTION jobs.finish_unsuccessfully(p_job jobs.jobs, p_status text, p_now timestamptz) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    UPDATE jobs.jobs SET status = p_status, locked_by = NULL, locked_until = NULL, updated_at = p_now
     WHERE id = p_job.id;
    IF p_status = 'dead' THEN
        INSERT INTO jobs.job_dead_letters (job_id, user_id, type, attempts, last_error, error_history, created_at)
        VALUES (p_job.id, p_job.user_id, p_job.type, p_job.attempts, p_job.last_error, p_job.error_history, p_now);
    END IF;
    PERFORM billing.release(p_job.hold_key);
END
$$;

-- Fenced like complete. Records the error; then requeues at p_retry_at while attempts remain
-- and the error is retryable, else ends the job (dead or failed). Returns the new status, or
-- null when this worker no longer holds the job.
CREATE FUNCTION jobs.fail(p_job_id uuid, p_worker text, p_attempt integer, p_error text, p_retryable boolean,
                          p_retry_at timestamptz, p_now timestamptz)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    job jobs.jobs;
BEGIN
    UPDATE jobs.jobs
       SET last_error = left(p_error, 2000),
           error_history = error_history || jsonb_build_array(jsonb_build_object(
               'attempt', p_attempt, 'worker', p_worker, 'error', left(p_error, 2000), 'at', p_now)),
           updated_at = p_now
     WHERE id = p_job_id AND status = 'running' AND locked_by = p_worker AND attempts = p_attempt
    RETURNING * INTO job;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF p_retryable AND job.attempts < job.max_attempts THEN
        UPDATE jobs.jobs SET status = 'queued', run_after = greatest(p_retry_at, p_now), locked_by = NULL,
                             locked_until = NULL
         WHERE id = p_job_id;
        RETURN 'queued';
    END IF;
    PERFORM jobs.finish_unsuccessfully(job, CASE WHEN p_retryable THEN 'dead' ELSE 'failed' END, p_now);
    RETURN CASE WHEN p_retryable THEN 'dead' ELSE 'failed' END;
END
$$;

-- Gives back, without counting the attempt, jobs p_worker holds but will not run (shutdown).
CREATE FUNCTION jobs.hand_back(p_worker text, p_job_ids uuid[], p_now timestamptz) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    handed integer;
BEGIN
    UPDATE jobs.jobs
       SET status = 'queued', attempts = attempts - 1, run_after = p_now, locked_by = NULL, locked_until = NULL,
           updated_at = p_now
     WHERE id = ANY (p_job_ids) AND status = 'running' AND locked_by = p_worker;
    GET DIAGNOSTICS handed = ROW_COUNT;
    RETURN handed;
END
$$;

-- Requeues running jobs whose lease expired before p_now (the attempt counts: the provider may
-- have run), or, for p_restarted_worker, every job still leased to that worker id (it restarted,
-- so none of them is running). Jobs out of attempts go dead. Returns what it did.
CREATE FUNCTION jobs.recover_stale(p_now timestamptz, p_restarted_worker text DEFAULT NULL)
RETURNS TABLE (requeued integer, dead integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    job jobs.jobs;
    error text;
BEGIN
    requeued := 0;
    dead := 0;
    FOR job IN SELECT * FROM jobs.jobs
                WHERE status = 'running' AND (locked_until < p_now OR locked_by = p_restarted_worker)
                FOR UPDATE SKIP LOCKED LOOP
        error := CASE WHEN job.locked_by = p_restarted_worker THEN 'worker ' || job.locked_by || ' restarted'
                      ELSE 'lease of worker ' || job.locked_by || ' expired at ' || job.locked_until END;
        UPDATE jobs.jobs
           SET last_error = error,
               error_history = error_history || jsonb_build_array(jsonb_build_object(
                   'attempt', job.attempts, 'worker', job.locked_by, 'error', error, 'at', p_now))
         WHERE id = job.id
        RETURNING * INTO job;
        IF job.attempts < job.max_attempts THEN
            UPDATE jobs.jobs SET status = 'queued', run_after = p_now, locked_by = NULL, locked_until = NULL,
                                 updated_at = p_now
             WHERE id = job.id;
            requeued := requeued + 1;
        ELSE
            PERFORM jobs.finish_unsuccessfully(job, 'dead', p_now);
            dead := dead + 1;
        END IF;
    END LOOP;
    RETURN NEXT;
END
$$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA jobs FROM PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA jobs REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
GRANT USAGE ON SCHEMA jobs TO metered_worker, metered_ops;
GRANT EXECUTE ON FUNCTION jobs.claim(text, integer, integer, timestamptz),
                          jobs.renew_leases(text, uuid[], integer, timestamptz),
                          jobs.complete(uuid, text, integer, jsonb, timestamptz),
                          jobs.fail(uuid, text, integer, text, boolean, timestamptz, timestamptz),
                          jobs.hand_back(text, uuid[], timestamptz),
                          jobs.recover_stale(timestamptz, text)
      TO metered_worker;
