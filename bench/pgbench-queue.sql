-- pgbench script: a job's whole life in SQL, :batch jobs at a time, one transaction per step as
-- the services do: insert + billing.hold per job (jobs-service, one transaction per job), one
-- jobs.claim of the batch (worker), jobs.complete per job (worker; captures the hold).
-- Variables: -D batch=<n> -D user=<uuid of a user with credits>; :client_id is pgbench's.
-- Claims take any queued job, so run it while no worker runs.
DO $$
DECLARE
    new_id uuid;
    claimed jobs.claimed_job[];
    job jobs.claimed_job;
BEGIN
    FOR i IN 1 .. :batch LOOP
        new_id := gen_random_uuid();
        INSERT INTO jobs.jobs (id, user_id, type, input, cost, max_attempts, idempotency_key, request_hash, hold_key)
        VALUES (new_id, ':user', 'echo', '{"simulate":{"latency_ms":0}}'::text::jsonb, 1, 5, 'pgbench-' || new_id,
                encode(sha256(convert_to('echo:' || '{"simulate":{"latency_ms":0}}'::jsonb::text, 'UTF8')), 'hex'),
                'job:' || new_id || ':hold')
        ON CONFLICT (user_id, idempotency_key) DO NOTHING;
        PERFORM billing.hold(':user', 1, 'job:' || new_id || ':hold', new_id);
        COMMIT;
    END LOOP;
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
