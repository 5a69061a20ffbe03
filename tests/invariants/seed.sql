-- What tests/invariants/run.sh adds to tests/backup/seed.sql, as a superuser, so that the database
-- holds every case bin/check-invariants must accept: through the owners' functions wherever one
-- exists (billing.topup/refund/hold/release, jobs.claim/complete/fail/requeue_dead_letter), and as
-- billing-service's Java writes the rest (webhook events, Checkout Sessions, a cancel).
--
-- tests/backup/seed.sql writes Stripe top-ups and a refund without the events and sessions
-- billing-service writes with them (bob's and cy's), and its one event (ada's) lacks the
-- payment_status that a real checkout.session.completed carries. Part 1 completes them.
-- Jobs are claimed with p_now hours in the past, each right after it is inserted with run_after
-- at that moment, so that a claim takes exactly that job and not the seed's queued one.
DO $$
DECLARE
    ada uuid := (SELECT id FROM auth.users WHERE email = 'ada@example.test');
    bob uuid := (SELECT id FROM auth.users WHERE email = 'bob@example.test');
    cy  uuid := (SELECT id FROM auth.users WHERE email = 'cy@example.test');
    dee uuid := gen_random_uuid();
    job uuid;
    letter bigint;
    topup billing.ledger_outcome;
BEGIN
    IF ada IS NULL OR bob IS NULL OR cy IS NULL THEN
        RAISE EXCEPTION 'run tests/backup/seed.sql first';
    END IF;

    -- ---- 1. the seed's Stripe rows, made whole
    UPDATE billing.webhook_events
       SET payload = jsonb_set(payload, '{data,object,payment_status}', '"paid"')
     WHERE event_id = 'evt_ada_1';
    -- a second paid event of ada's session (async confirmation after completed): it writes nothing
    INSERT INTO billing.webhook_events (event_id, type, payload, status, attempts, processed_at, last_attempt_at)
    VALUES ('evt_ada_1_async', 'checkout.session.async_payment_succeeded',
            '{"id": "evt_ada_1_async", "data": {"object": {"id": "cs_test_ada_1", "payment_status": "paid",
              "payment_intent": "pi_ada_1"}}}', 'processed', 1, now(), now());

    INSERT INTO billing.checkout_sessions (user_id, idempotency_key, request_hash, credits, amount_cents, currency,
                                           status, stripe_session_id, payment_intent, topup_entry_id)
    VALUES (bob, 'checkout-bob-1', 'hash-bob-1', 500, 500, 'usd', 'completed', 'cs_test_bob_1', 'pi_bob_1',
            (SELECT id FROM billing.credit_ledger WHERE idempotency_key = 'stripe:evt_bob_1:topup'));
    INSERT INTO billing.webhook_events (event_id, type, payload, status, attempts, processed_at, last_attempt_at)
    VALUES ('evt_bob_1', 'checkout.session.completed',
            '{"id": "evt_bob_1", "data": {"object": {"id": "cs_test_bob_1", "payment_status": "paid",
              "payment_intent": "pi_bob_1", "amount_total": 500}}}', 'processed', 1, now(), now());

    -- cy paid 200 credits and was refunded a quarter of the charge: 50 credits clawed back
    INSERT INTO billing.checkout_sessions (user_id, idempotency_key, request_hash, credits, amount_cents, currency,
                                           status, stripe_session_id, payment_intent, topup_entry_id, clawed_back)
    VALUES (cy, 'checkout-cy-1', 'hash-cy-1', 200, 200, 'usd', 'completed', 'cs_test_cy_1', 'pi_cy_1',
            (SELECT id FROM billing.credit_ledger WHERE idempotency_key = 'stripe:evt_cy_1:topup'), 50);
    INSERT INTO billing.webhook_events (event_id, type, payload, status, attempts, processed_at, last_attempt_at) VALUES
        ('evt_cy_1', 'checkout.session.completed',
         '{"id": "evt_cy_1", "data": {"object": {"id": "cs_test_cy_1", "payment_status": "paid",
           "payment_intent": "pi_cy_1"}}}', 'processed', 1, now(), now()),
        ('evt_cy_refund', 'charge.refunded',
         '{"id": "evt_cy_refund", "data": {"object": {"id": "ch_cy_1", "payment_intent": "pi_cy_1",
           "amount": 200, "amount_refunded": 50}}}', 'processed', 1, now(), now());

    -- an event billing-service does not handle
    INSERT INTO billing.webhook_events (event_id, type, payload, status, attempts, processed_at, last_attempt_at)
    VALUES ('evt_other_1', 'customer.created', '{"id": "evt_other_1", "data": {"object": {"id": "cus_1"}}}',
            'ignored', 1, now(), now());

    -- ---- 2. dee: paid asynchronously, spent it all on a job, then disputed the charge: the
    -- dispute claws the 10 credits back although they were spent, and dee's balance is -10
    INSERT INTO auth.users (id, email, password_hash)
    VALUES (dee, 'dee@example.test', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$ZGVlLWhhc2gtZm9yLXRlc3Rz');
    INSERT INTO billing.checkout_sessions (user_id, idempotency_key, request_hash, credits, amount_cents, currency,
                                           status, stripe_session_id, payment_intent)
    VALUES (dee, 'checkout-dee-1', 'hash-dee-1', 10, 1000, 'usd', 'open', 'cs_test_dee_1', 'pi_dee_1');
    INSERT INTO billing.webhook_events (event_id, type, payload, status, attempts, processed_at, last_attempt_at)
    VALUES ('evt_dee_1', 'checkout.session.completed',
            '{"id": "evt_dee_1", "data": {"object": {"id": "cs_test_dee_1", "payment_status": "unpaid",
              "payment_intent": "pi_dee_1"}}}', 'processed', 1, now(), now());
    topup := billing.topup(dee, 10, 'evt_dee_2', 'cs_test_dee_1');
    UPDATE billing.checkout_sessions SET status = 'completed', topup_entry_id = topup.entry_id
     WHERE stripe_session_id = 'cs_test_dee_1';
    INSERT INTO billing.webhook_events (event_id, type, payload, status, attempts, processed_at, last_attempt_at)
    VALUES ('evt_dee_2', 'checkout.session.async_payment_succeeded',
            '{"id": "evt_dee_2", "data": {"object": {"id": "cs_test_dee_1", "payment_status": "paid",
              "payment_intent": "pi_dee_1"}}}', 'processed', 1, now(), now());

    job := gen_random_uuid();
    PERFORM billing.hold(dee, 10, 'job:' || job || ':hold', job);
    INSERT INTO jobs.jobs (id, user_id, type, input, cost, max_attempts, idempotency_key, request_hash, hold_key, run_after)
    VALUES (job, dee, 'echo', '{}', 10, 3, 'inv-dee', 'h', 'job:' || job || ':hold', now() - interval '7 hours');
    PERFORM jobs.claim('inv-worker', 1, 60, now() - interval '7 hours');
    PERFORM jobs.complete(job, 'inv-worker', 1, '{}', now() - interval '7 hours');

    PERFORM billing.refund(dee, 10, 'evt_dee_dispute', 'ch_dee_1');
    UPDATE billing.checkout_sessions SET clawed_back = 10 WHERE stripe_session_id = 'cs_test_dee_1';
    INSERT INTO billing.webhook_events (event_id, type, payload, status, attempts, processed_at, last_attempt_at)
    VALUES ('evt_dee_dispute', 'charge.dispute.created',
            '{"id": "evt_dee_dispute", "data": {"object": {"id": "dp_dee_1", "charge": "ch_dee_1",
              "payment_intent": "pi_dee_1", "amount": 1000}}}', 'processed', 1, now(), now());

    -- ---- 3. a job in every state
    -- the seed's dead letter requeued (a new hold :dl{letter}), then run to success
    SELECT id INTO STRICT letter FROM jobs.job_dead_letters;
    SELECT d.job_id INTO job FROM jobs.job_dead_letters d WHERE d.id = letter;
    PERFORM jobs.requeue_dead_letter(letter, now() - interval '6 hours');
    PERFORM jobs.claim('inv-worker', 1, 60, now() - interval '6 hours');
    PERFORM jobs.complete(job, 'inv-worker', 1, '{}', now() - interval '6 hours');

    -- dead for good: a dead letter not requeued
    job := gen_random_uuid();
    PERFORM billing.hold(bob, 5, 'job:' || job || ':hold', job);
    INSERT INTO jobs.jobs (id, user_id, type, input, cost, max_attempts, idempotency_key, request_hash, hold_key, run_after)
    VALUES (job, bob, 'echo', '{}', 5, 1, 'inv-dead', 'h', 'job:' || job || ':hold', now() - interval '5 hours');
    PERFORM jobs.claim('inv-worker', 1, 60, now() - interval '5 hours');
    PERFORM jobs.fail(job, 'inv-worker', 1, 'provider timed out', true, now(), now() - interval '5 hours');

    -- failed (not retryable)
    job := gen_random_uuid();
    PERFORM billing.hold(bob, 5, 'job:' || job || ':hold', job);
    INSERT INTO jobs.jobs (id, user_id, type, input, cost, max_attempts, idempotency_key, request_hash, hold_key, run_after)
    VALUES (job, bob, 'echo', '{}', 5, 3, 'inv-failed', 'h', 'job:' || job || ':hold', now() - interval '4 hours');
    PERFORM jobs.claim('inv-worker', 1, 60, now() - interval '4 hours');
    PERFORM jobs.fail(job, 'inv-worker', 1, 'no provider for this type', false, now(), now() - interval '4 hours');

    -- running, its lease expired a minute ago: tolerated until the rescuer comes round
    job := gen_random_uuid();
    PERFORM billing.hold(ada, 5, 'job:' || job || ':hold', job);
    INSERT INTO jobs.jobs (id, user_id, type, input, cost, max_attempts, idempotency_key, request_hash, hold_key, run_after)
    VALUES (job, ada, 'echo', '{}', 5, 3, 'inv-expiring', 'h', 'job:' || job || ':hold', now() - interval '3 hours');
    PERFORM jobs.claim('inv-worker', 1, 3 * 3600 - 60, now() - interval '3 hours');

    -- running with a live lease (five more minutes)
    job := gen_random_uuid();
    PERFORM billing.hold(ada, 5, 'job:' || job || ':hold', job);
    INSERT INTO jobs.jobs (id, user_id, type, input, cost, max_attempts, idempotency_key, request_hash, hold_key, run_after)
    VALUES (job, ada, 'echo', '{}', 5, 3, 'inv-running', 'h', 'job:' || job || ':hold', now() - interval '2 hours');
    PERFORM jobs.claim('inv-worker', 1, 2 * 3600 + 300, now() - interval '2 hours');

    -- cancelled while queued: what jobs-service's cancel does (JobRepository.cancel)
    job := gen_random_uuid();
    PERFORM billing.hold(ada, 5, 'job:' || job || ':hold', job);
    INSERT INTO jobs.jobs (id, user_id, type, input, cost, max_attempts, idempotency_key, request_hash, hold_key, run_after)
    VALUES (job, ada, 'echo', '{}', 5, 3, 'inv-cancelled', 'h', 'job:' || job || ':hold', now() + interval '1 hour');
    UPDATE jobs.jobs SET status = 'cancelled', updated_at = now() WHERE id = job;
    PERFORM billing.release('job:' || job || ':hold');
END
$$;
