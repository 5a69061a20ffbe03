-- What ops-service may see and do in billing: read-only views (running with this schema's
-- rights, so ops needs no grant on the tables) and two functions.

-- When an event was last tried, successfully or not: webhook_failed_last_hour counts failures by it.
ALTER TABLE billing.webhook_events ADD COLUMN last_attempt_at timestamptz;
-- Set while an operator's request to apply the event again is open (see request_webhook_reprocess).
ALTER TABLE billing.webhook_events ADD COLUMN reprocess_requested_at timestamptz;
UPDATE billing.webhook_events SET last_attempt_at = coalesce(processed_at, received_at);

-- Webhook events without their payload: it holds customers' personal data, and operators act on
-- the id, type, status and error.
CREATE VIEW billing.ops_webhook_events AS
SELECT event_id, type, status, attempts, last_error, received_at, processed_at, last_attempt_at, reprocess_requested_at
FROM billing.webhook_events;

CREATE VIEW billing.ops_accounts AS
SELECT user_id, balance, held, updated_at FROM billing.accounts;

CREATE VIEW billing.ops_ledger AS
SELECT id, user_id, amount, kind, idempotency_key, reference, settles, actor, reason, created_at
FROM billing.credit_ledger;

CREATE VIEW billing.ops_ledger_drift AS
SELECT user_id, balance, ledger_sum, held, open_holds FROM billing.ledger_drift;

-- An operator's request to apply a stored event again; billing-service listens on the channel
-- (and sweeps for requests it missed), applies the event once and clears the request. Returns
-- the event's status and attempts as they were; processed and ignored events are left alone.
CREATE INDEX webhook_events_reprocess_idx ON billing.webhook_events (reprocess_requested_at)
    WHERE reprocess_requested_at IS NOT NULL;

CREATE FUNCTION billing.request_webhook_reprocess(p_event_id text, OUT status text, OUT attempts integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    SELECT e.status, e.attempts INTO status, attempts
      FROM billing.webhook_events e WHERE e.event_id = p_event_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no webhook event %', p_event_id USING ERRCODE = 'MB404';
    END IF;
    IF status IN ('failed', 'received') THEN
        UPDATE billing.webhook_events SET reprocess_requested_at = now() WHERE event_id = p_event_id;
        PERFORM pg_notify('billing_webhook_reprocess', p_event_id);
    END IF;
END
$$;

-- An adjustment may not take a balance below zero (only Stripe refunds and disputes may):
-- a negative one larger than the balance is refused with MB402, as a hold would be.
CREATE OR REPLACE FUNCTION billing.adjust(p_user_id uuid, p_amount bigint, p_reason text, p_key text, p_actor text)
RETURNS billing.ledger_outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    current_balance bigint;
    existing billing.credit_ledger;
BEGIN
    IF p_amount IS NULL OR p_amount = 0 THEN
        RAISE EXCEPTION 'an adjustment must not be zero' USING ERRCODE = 'MB422';
    END IF;
    IF p_reason IS NULL OR btrim(p_reason) = '' OR p_actor IS NULL OR btrim(p_actor) = '' THEN
        RAISE EXCEPTION 'an adjustment needs a reason and an actor' USING ERRCODE = 'MB422';
    END IF;
    IF p_key IS NULL OR p_key !~ '^[A-Za-z0-9._:-]{1,128}$' THEN
        RAISE EXCEPTION 'invalid adjustment key' USING ERRCODE = 'MB422';
    END IF;
    current_balance := billing.lock_account(p_user_id);
    existing := billing.replayed('admin:' || p_key, p_user_id, 'adjustment', p_amount);
    IF existing.id IS NULL AND current_balance + p_amount < 0 THEN
        RAISE EXCEPTION 'insufficient credits: balance %, adjustment %', current_balance, p_amount
            USING ERRCODE = 'MB402';
    END IF;
    RETURN billing.append(p_user_id, p_amount, 'adjustment', 'admin:' || p_key, NULL, NULL, p_actor, p_reason);
END
$$;

REVOKE ALL ON FUNCTION billing.request_webhook_reprocess(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION billing.request_webhook_reprocess(text) TO metered_ops;
GRANT SELECT ON billing.ops_webhook_events, billing.ops_accounts, billing.ops_ledger, billing.ops_ledger_drift
    TO metered_ops;
