-- A claim whose answer never reached its worker (the connection dropped after the commit) leaves
-- jobs leased to a worker that does not know it holds them: they would sit 'running' until the
-- lease expires, then run with an attempt spent. The worker, once it may have lost such an
-- answer, hands back every job leased to it that it is not running (p_held); the attempt does not
-- count, as the provider never saw the job. Called only between claims, so no claim is in flight.
CREATE FUNCTION jobs.hand_back_unheld(p_worker text, p_held uuid[], p_now timestamptz) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    handed integer;
BEGIN
    UPDATE jobs.jobs
       SET status = 'queued', attempts = attempts - 1, run_after = p_now, locked_by = NULL, locked_until = NULL,
           updated_at = p_now
     WHERE status = 'running' AND locked_by = p_worker AND id <> ALL (p_held);
    GET DIAGNOSTICS handed = ROW_COUNT;
    RETURN handed;
END
$$;

REVOKE ALL ON FUNCTION jobs.hand_back_unheld(text, uuid[], timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION jobs.hand_back_unheld(text, uuid[], timestamptz) TO metered_worker;
