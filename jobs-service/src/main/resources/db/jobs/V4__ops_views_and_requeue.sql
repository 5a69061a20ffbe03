-- What ops-service may see and do in jobs: read-only views (running with this schema's rights)
-- and the requeue of a dead letter. Job inputs and outputs are the users' content and stay out.

CREATE VIEW jobs.ops_jobs AS
SELECT id, user_id, type, status, cost, attempts, max_attempts, run_after, locked_by, locked_until,
       last_error, error_history, hold_key, created_at, updated_at
FROM jobs.jobs;

-- Served by the partial indexes of queued and running jobs, so sampling it every minute is cheap.
CREATE VIEW jobs.ops_queue_depth AS
SELECT (SELECT count(*) FROM jobs.jobs WHERE status = 'queued') AS queued,
       (SELECT count(*) FROM jobs.jobs WHERE status = 'running') AS running;

-- Every status; a full count, for an operator's on-demand look.
CREATE VIEW jobs.ops_job_counts AS
SELECT status, count(*) AS jobs FROM jobs.jobs GROUP BY status;

CREATE INDEX jobs_ended_unsuccessfully_idx ON jobs.jobs (updated_at DESC) WHERE status IN ('failed', 'dead');

CREATE VIEW jobs.ops_dead_letters AS
SELECT d.id, d.job_id, d.user_id, d.type, d.attempts, d.last_error, d.error_history, d.created_at, d.requeued_at,
       j.status AS job_status, j.cost
FROM jobs.job_dead_letters d JOIN jobs.jobs j ON j.id = d.job_id;

-- Puts a dead job back in the queue with fresh attempts and a new hold of its cost, taken in
-- the same transaction (MB402 when the user cannot pay now). The hold key names the dead letter,
-- so a dead letter can be requeued once (MJ409 after that); MJ404 when there is no such letter.
CREATE FUNCTION jobs.requeue_dead_letter(p_dead_letter_id bigint, p_now timestamptz DEFAULT now())
RETURNS TABLE (job_id uuid, status text, hold_key text, cost bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    letter jobs.job_dead_letters;
    job jobs.jobs;
    new_hold_key text;
BEGIN
    SELECT * INTO letter FROM jobs.job_dead_letters d WHERE d.id = p_dead_letter_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no dead letter %', p_dead_letter_id USING ERRCODE = 'MJ404';
    END IF;
    IF letter.requeued_at IS NOT NULL THEN
        RAISE EXCEPTION 'dead letter % was requeued at %', p_dead_letter_id, letter.requeued_at USING ERRCODE = 'MJ409';
    END IF;
    SELECT * INTO STRICT job FROM jobs.jobs j WHERE j.id = letter.job_id FOR UPDATE;
    IF job.status <> 'dead' THEN
        RAISE EXCEPTION 'job % is %, not dead', job.id, job.status USING ERRCODE = 'MJ409';
    END IF;
    new_hold_key := 'job:' || job.id || ':hold:dl' || letter.id;
    PERFORM billing.hold(job.user_id, job.cost, new_hold_key, job.id);
    UPDATE jobs.jobs j
       SET status = 'queued', attempts = 0, run_after = p_now, hold_key = new_hold_key, updated_at = p_now
     WHERE j.id = job.id;
    UPDATE jobs.job_dead_letters d SET requeued_at = p_now WHERE d.id = letter.id;
    RETURN QUERY SELECT job.id, 'queued'::text, new_hold_key, job.cost;
END
$$;

REVOKE ALL ON FUNCTION jobs.requeue_dead_letter(bigint, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION jobs.requeue_dead_letter(bigint, timestamptz) TO metered_ops;
GRANT SELECT ON jobs.ops_jobs, jobs.ops_queue_depth, jobs.ops_job_counts, jobs.ops_dead_letters TO metered_ops;
