-- complete and fail found their row with one UPDATE whose WHERE also named status, locked_by
-- and attempts; under a generic plan PostgreSQL may scan the partial index of running jobs
-- instead of the primary key, which halves the drain rate as soon as dead index entries
-- accumulate (seen by bench/queue-drain.sh). They now lock the row by its primary key and
-- check the fence afterwards, in one place; what they do is unchanged.

-- The fence: the job locked by primary key if p_worker still holds this attempt of it, else NULL.
CREATE FUNCTION jobs.lock_held_attempt(p_job_id uuid, p_worker text, p_attempt integer) RETURNS jobs.jobs
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    job jobs.jobs;
BEGIN
    SELECT * INTO job FROM jobs.jobs WHERE id = p_job_id FOR UPDATE;
    IF NOT FOUND OR job.status <> 'running' OR job.locked_by IS DISTINCT FROM p_worker
            OR job.attempts <> p_attempt THEN
        RETURN NULL;
    END IF;
    RETURN job;
END
$$;
REVOKE ALL ON FUNCTION jobs.lock_held_attempt(uuid, text, integer) FROM PUBLIC;

CREATE OR REPLACE FUNCTION jobs.complete(p_job_id uuid, p_worker text, p_attempt integer, p_output jsonb,
                                         p_now timestamptz)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    job jobs.jobs := jobs.lock_held_attempt(p_job_id, p_worker, p_attempt);
BEGIN
    IF job.id IS NULL THEN
        RETURN false;
    END IF;
    UPDATE jobs.jobs
       SET status = 'succeeded', output = p_output, locked_by = NULL, locked_until = NULL, updated_at = p_now
     WHERE id = p_job_id;
    PERFORM billing.capture(job.hold_key);
    RETURN true;
END
$$;

CREATE OR REPLACE FUNCTION jobs.fail(p_job_id uuid, p_worker text, p_attempt integer, p_error text,
                                     p_retryable boolean, p_retry_at timestamptz, p_now timestamptz)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    job jobs.jobs := jobs.lock_held_attempt(p_job_id, p_worker, p_attempt);
BEGIN
    IF job.id IS NULL THEN
        RETURN NULL;
    END IF;
    UPDATE jobs.jobs
       SET last_error = left(p_error, 2000),
           error_history = error_history || jsonb_build_array(jsonb_build_object(
               'attempt', p_attempt, 'worker', p_worker, 'error', left(p_error, 2000), 'at', p_now)),
           updated_at = p_now
     WHERE id = p_job_id
    RETURNING * INTO job;
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
