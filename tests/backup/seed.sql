-- Realistic rows in every Metered schema, written as a superuser through the owners' own
-- functions where they exist (billing's ledger functions, jobs' claim/complete/fail), so the
-- triggers keep accounts in step with the ledger as in production. For a fresh, migrated database.
DO $$
DECLARE
    ada uuid := gen_random_uuid();
    bob uuid := gen_random_uuid();
    cy  uuid := gen_random_uuid();
    done_job uuid := gen_random_uuid();
    dead_job uuid := gen_random_uuid();
    queued_job uuid := gen_random_uuid();
    topup billing.ledger_outcome;
    claimed integer;
BEGIN
    INSERT INTO auth.users (id, email, password_hash) VALUES
        (ada, 'ada@example.test', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$YWRhLWhhc2gtZm9yLXRlc3Rz'),
        (bob, 'bob@example.test', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$Ym9iLWhhc2gtZm9yLXRlc3Rz'),
        (cy,  'cy@example.test',  '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$Y3ktaGFzaC1mb3ItdGVzdHM=');
    INSERT INTO auth.refresh_tokens (token_hash, family_id, user_id, expires_at)
    VALUES (sha256('ada-refresh'::bytea), gen_random_uuid(), ada, now() + interval '30 days');
    INSERT INTO auth.login_throttle (subject, window_started_at, attempts)
    VALUES ('account:bob@example.test', now(), 2);

    -- Stripe top-ups, one through a Checkout Session and its webhook event
    topup := billing.topup(ada, 1000, 'evt_ada_1', 'cs_test_ada_1');
    INSERT INTO billing.checkout_sessions (user_id, idempotency_key, request_hash, credits, amount_cents, currency,
                                           status, stripe_session_id, url, payment_intent, topup_entry_id)
    VALUES (ada, 'checkout-1', 'hash-1', 1000, 1000, 'usd', 'completed', 'cs_test_ada_1',
            'https://checkout.stripe.test/cs_test_ada_1', 'pi_ada_1', topup.entry_id);
    INSERT INTO billing.webhook_events (event_id, type, payload, status, attempts, processed_at, last_attempt_at)
    VALUES ('evt_ada_1', 'checkout.session.completed',
            jsonb_build_object('id', 'evt_ada_1', 'data', jsonb_build_object('object', jsonb_build_object(
                'id', 'cs_test_ada_1', 'client_reference_id', ada, 'customer_email', 'ada@example.test'))),
            'processed', 1, now(), now());
    INSERT INTO billing.webhook_events (event_id, type, payload, status, attempts, last_error, last_attempt_at)
    VALUES ('evt_broken_1', 'checkout.session.completed', '{"id": "evt_broken_1"}', 'failed', 2,
            'no checkout session cs_unknown', now());
    PERFORM billing.topup(bob, 500, 'evt_bob_1', 'cs_test_bob_1');
    PERFORM billing.topup(cy, 200, 'evt_cy_1', 'cs_test_cy_1');
    PERFORM billing.refund(cy, 50, 'evt_cy_refund', 'ch_cy_1');
    PERFORM billing.adjust(bob, 25, 'goodwill for a failed job', 'ticket-42', 'ops@example.test');

    -- A job that succeeded (hold captured), one that died (hold released, dead letter), one queued
    PERFORM billing.hold(ada, 30, 'job:' || done_job || ':hold', done_job);
    INSERT INTO jobs.jobs (id, user_id, type, input, cost, max_attempts, idempotency_key, request_hash, hold_key)
    VALUES (done_job, ada, 'echo', '{"text": "hello"}', 30, 3, 'job-1', 'req-hash-1', 'job:' || done_job || ':hold');
    SELECT count(*) INTO claimed FROM jobs.claim('backup-test-worker', 10, 60, now());
    PERFORM jobs.complete(done_job, 'backup-test-worker', 1, '{"text": "hello"}', now());

    PERFORM billing.hold(bob, 50, 'job:' || dead_job || ':hold', dead_job);
    INSERT INTO jobs.jobs (id, user_id, type, input, cost, max_attempts, idempotency_key, request_hash, hold_key)
    VALUES (dead_job, bob, 'echo', '{"text": "flaky"}', 50, 1, 'job-2', 'req-hash-2', 'job:' || dead_job || ':hold');
    SELECT count(*) INTO claimed FROM jobs.claim('backup-test-worker', 10, 60, now());
    PERFORM jobs.fail(dead_job, 'backup-test-worker', 1, 'provider timed out', true, now(), now());

    PERFORM billing.hold(cy, 20, 'job:' || queued_job || ':hold', queued_job);
    INSERT INTO jobs.jobs (id, user_id, type, input, cost, max_attempts, idempotency_key, request_hash, hold_key)
    VALUES (queued_job, cy, 'echo', '{"text": "later"}', 20, 3, 'job-3', 'req-hash-3', 'job:' || queued_job || ':hold');

    INSERT INTO worker.heartbeats (worker_id, started_at, last_beat, in_flight, recovered_last_summary)
    VALUES ('backup-test-worker', now() - interval '1 hour', now(), 0, '{"requeued": 0, "dead": 0}');
    INSERT INTO ops.queue_depth_samples (sampled_at, queued, running) VALUES
        (date_trunc('minute', now()) - interval '1 minute', 0, 1),
        (date_trunc('minute', now()), 1, 0);
    INSERT INTO ops.audit_log (actor, token_fingerprint, client_address, method, path, action, target, detail,
                               outcome, duration_ms)
    VALUES ('ops@example.test', 'sha256:abcd', '127.0.0.1', 'POST', '/api/ops/credits/adjust', 'credits.adjust',
            bob::text, '{"amount": 25}', 200, 12);
END
$$;
