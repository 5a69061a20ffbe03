-- pgbench script: the worker's SQL for one batch, without the worker. Claims up to :batch
-- pre-queued jobs in one transaction (jobs.claim), then completes them one transaction per job
-- (jobs.complete, which captures the hold), as worker-service does, but with no network
-- round trips and no Java in between. Variables: -D batch=<n>; :client_id is pgbench's.
DO $$
DECLARE
    claimed jobs.claimed_job[];
    job jobs.claimed_job;
BEGIN
    SELECT coalesce(array_agg(c), '{}') INTO claimed
      FROM jobs.claim('pgbench-' || :client_id, :batch, 300, clock_timestamp()) c;
    COMMIT;
    FOREACH job IN ARRAY claimed LOOP
        PERFORM jobs.complete(job.id, 'pgbench-' || :client_id, job.attempt,
                              '{"echo": {}, "provider": "simulated"}', clock_timestamp());
        COMMIT;
    END LOOP;
END
$$;
