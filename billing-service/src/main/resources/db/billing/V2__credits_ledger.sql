-- The credits ledger: append-only rows, one balance per account kept in step by a trigger,
-- and the functions other owners call (hold, capture, release, adjust). Errors a caller must
-- tell apart carry SQLSTATEs of class MB:
--   MB402 insufficient credits   MB404 no such hold   MB409 key reused with other values,
--   or a hold already settled the other way   MB422 invalid argument

CREATE TABLE billing.accounts (
    user_id    uuid        PRIMARY KEY,
    balance    bigint      NOT NULL DEFAULT 0,
    held       bigint      NOT NULL DEFAULT 0 CHECK (held >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN billing.accounts.balance IS 'Credits available: always SUM(credit_ledger.amount) of the user.';
COMMENT ON COLUMN billing.accounts.held IS 'Credits held by holds not yet captured or released.';

CREATE TABLE billing.credit_ledger (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         uuid        NOT NULL REFERENCES billing.accounts (user_id),
    amount          bigint      NOT NULL,
    kind            text        NOT NULL,
    idempotency_key text        NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    reference       text,
    -- for capture and release: the key of the hold they settle; unique, so a hold is settled once
    settles         text        UNIQUE REFERENCES billing.credit_ledger (idempotency_key),
    actor           text,
    reason          text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT credit_ledger_kind_check CHECK (kind IN ('topup', 'hold', 'capture', 'release', 'refund', 'adjustment')),
    CONSTRAINT credit_ledger_sign_check CHECK (CASE kind
        WHEN 'topup' THEN amount > 0
        WHEN 'hold' THEN amount < 0
        WHEN 'capture' THEN amount = 0
        WHEN 'release' THEN amount > 0
        WHEN 'refund' THEN amount < 0
        WHEN 'adjustment' THEN amount <> 0 END),
    CONSTRAINT credit_ledger_settles_check CHECK ((kind IN ('capture', 'release')) = (settles IS NOT NULL)),
    CONSTRAINT credit_ledger_adjustment_check CHECK (kind <> 'adjustment'
        OR (actor IS NOT NULL AND btrim(actor) <> '' AND reason IS NOT NULL AND btrim(reason) <> ''))
);
CREATE INDEX credit_ledger_user_newest_idx ON billing.credit_ledger (user_id, created_at DESC, id DESC);
CREATE INDEX credit_ledger_reference_idx ON billing.credit_ledger (reference);

-- Append-only, enforced here and not only by the code: a correction is a new adjustment row.
CREATE FUNCTION billing.refuse_ledger_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'billing.credit_ledger is append-only: % refused', TG_OP
        USING ERRCODE = 'MB403', HINT = 'Correct a balance with billing.adjust (a new adjustment row).';
END
$$;
CREATE TRIGGER credit_ledger_append_only BEFORE UPDATE OR DELETE ON billing.credit_ledger
    FOR EACH ROW EXECUTE FUNCTION billing.refuse_ledger_change();
CREATE TRIGGER credit_ledger_no_truncate BEFORE TRUNCATE ON billing.credit_ledger
    FOR EACH STATEMENT EXECUTE FUNCTION billing.refuse_ledger_change();

-- Every ledger row moves its account in the same transaction, whoever inserts it.
CREATE FUNCTION billing.apply_ledger_row() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    held_change bigint := 0;
BEGIN
    IF NEW.kind = 'hold' THEN
        held_change := -NEW.amount;
    ELSIF NEW.kind IN ('capture', 'release') THEN
        -- the settled hold's amount is minus its cost
        SELECT h.amount INTO STRICT held_change FROM billing.credit_ledger h WHERE h.idempotency_key = NEW.settles;
    END IF;
    UPDATE billing.accounts
       SET balance = balance + NEW.amount, held = held + held_change, updated_at = now()
     WHERE user_id = NEW.user_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER credit_ledger_moves_account AFTER INSERT ON billing.credit_ledger
    FOR EACH ROW EXECUTE FUNCTION billing.apply_ledger_row();

-- The outcome every ledger function returns: the row for this key, the balance after it, and
-- whether this call wrote it (false: the key was already there and nothing changed).
CREATE TYPE billing.ledger_outcome AS (entry_id bigint, balance bigint, applied boolean);

-- Locks the account (creating it at zero) so that everything on one account is serialised.
CREATE FUNCTION billing.lock_account(p_user_id uuid) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    current_balance bigint;
BEGIN
    INSERT INTO billing.accounts (user_id) VALUES (p_user_id) ON CONFLICT (user_id) DO NOTHING;
    SELECT a.balance INTO STRICT current_balance FROM billing.accounts a WHERE a.user_id = p_user_id FOR UPDATE;
    RETURN current_balance;
END
$$;

-- The row already written under a key, after checking it says the same as this call; MB409 if not.
CREATE FUNCTION billing.replayed(p_key text, p_user_id uuid, p_kind text, p_amount bigint)
RETURNS billing.credit_ledger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    existing billing.credit_ledger;
BEGIN
    SELECT * INTO existing FROM billing.credit_ledger WHERE idempotency_key = p_key;
    IF FOUND AND (existing.user_id <> p_user_id OR existing.kind <> p_kind OR existing.amount <> p_amount) THEN
        RAISE EXCEPTION 'idempotency key % was already used for another entry', p_key USING ERRCODE = 'MB409';
    END IF;
    RETURN existing;
END
$$;

-- Appends one row unless its key exists; the single writer behind every public function.
CREATE FUNCTION billing.append(p_user_id uuid, p_amount bigint, p_kind text, p_key text, p_reference text,
                               p_settles text, p_actor text, p_reason text)
RETURNS billing.ledger_outcome
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    existing billing.credit_ledger;
    new_id bigint;
    result billing.ledger_outcome;
BEGIN
    PERFORM billing.lock_account(p_user_id);
    existing := billing.replayed(p_key, p_user_id, p_kind, p_amount);
    IF existing.id IS NOT NULL THEN
        SELECT existing.id, a.balance, false INTO result FROM billing.accounts a WHERE a.user_id = p_user_id;
        RETURN result;
    END IF;
    INSERT INTO billing.credit_ledger (user_id, amount, kind, idempotency_key, reference, settles, actor, reason)
    VALUES (p_user_id, p_amount, p_kind, p_key, p_reference, p_settles, p_actor, p_reason)
    RETURNING id INTO new_id;
    SELECT new_id, a.balance, true INTO result FROM billing.accounts a WHERE a.user_id = p_user_id;
    RETURN result;
END
$$;

-- Takes a job's cost from the balance until the job ends. Refuses (MB402) when the balance
-- would go below zero. p_key: job:{job_id}:hold, optionally followed by :<suffix> for a re-hold.
CREATE FUNCTION billing.hold(p_user_id uuid, p_amount bigint, p_key text, p_job_id uuid)
RETURNS billing.ledger_outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    current_balance bigint;
    existing billing.credit_ledger;
BEGIN
    IF p_amount IS NULL OR p_amount <= 0 THEN
        RAISE EXCEPTION 'a hold must be positive, got %', p_amount USING ERRCODE = 'MB422';
    END IF;
    IF p_key IS NULL OR p_key !~ ('^job:' || p_job_id::text || ':hold(:[A-Za-z0-9_-]{1,64})?$') THEN
        RAISE EXCEPTION 'hold key % does not name job %', p_key, p_job_id USING ERRCODE = 'MB422';
    END IF;
    current_balance := billing.lock_account(p_user_id);
    existing := billing.replayed(p_key, p_user_id, 'hold', -p_amount);
    IF existing.id IS NULL AND current_balance < p_amount THEN
        RAISE EXCEPTION 'insufficient credits: balance %, cost %', current_balance, p_amount USING ERRCODE = 'MB402';
    END IF;
    RETURN billing.append(p_user_id, -p_amount, 'hold', p_key, p_job_id::text, NULL, NULL, NULL);
END
$$;

-- Settles a hold: capture (the credits are spent) XOR release (they come back). Settling the
-- same way twice is a no-op; the other way is MB409.
CREATE FUNCTION billing.settle(p_hold_key text, p_kind text)
RETURNS billing.ledger_outcome
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    held billing.credit_ledger;
    settlement billing.credit_ledger;
    settle_key text;
BEGIN
    SELECT * INTO held FROM billing.credit_ledger WHERE idempotency_key = p_hold_key AND kind = 'hold';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no hold with key %', p_hold_key USING ERRCODE = 'MB404';
    END IF;
    PERFORM billing.lock_account(held.user_id);
    SELECT * INTO settlement FROM billing.credit_ledger WHERE settles = p_hold_key;
    IF FOUND AND settlement.kind <> p_kind THEN
        RAISE EXCEPTION 'hold % was already settled by %', p_hold_key, settlement.kind USING ERRCODE = 'MB409';
    END IF;
    settle_key := regexp_replace(p_hold_key, ':hold(:|$)', ':' || p_kind || '\1');
    RETURN billing.append(held.user_id, CASE p_kind WHEN 'release' THEN -held.amount ELSE 0 END, p_kind,
                          settle_key, held.reference, p_hold_key, NULL, NULL);
END
$$;

CREATE FUNCTION billing.capture(p_hold_key text) RETURNS billing.ledger_outcome
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
RETURN billing.settle(p_hold_key, 'capture');

CREATE FUNCTION billing.release(p_hold_key text) RETURNS billing.ledger_outcome
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
RETURN billing.settle(p_hold_key, 'release');

-- An operator's correction (±), with who and why; key stored as admin:{p_key}.
CREATE FUNCTION billing.adjust(p_user_id uuid, p_amount bigint, p_reason text, p_key text, p_actor text)
RETURNS billing.ledger_outcome
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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
    RETURN billing.append(p_user_id, p_amount, 'adjustment', 'admin:' || p_key, NULL, NULL, p_actor, p_reason);
END
$$;

-- Stripe top-ups and claw-backs: billing-service's own, not granted to anyone.
CREATE FUNCTION billing.topup(p_user_id uuid, p_amount bigint, p_event_id text, p_reference text)
RETURNS billing.ledger_outcome
LANGUAGE sql SET search_path = pg_catalog, pg_temp
RETURN billing.append(p_user_id, p_amount, 'topup', 'stripe:' || p_event_id || ':topup', p_reference, NULL, NULL, NULL);

CREATE FUNCTION billing.refund(p_user_id uuid, p_amount bigint, p_event_id text, p_reference text)
RETURNS billing.ledger_outcome
LANGUAGE sql SET search_path = pg_catalog, pg_temp
RETURN billing.append(p_user_id, -p_amount, 'refund', 'stripe:' || p_event_id || ':refund', p_reference, NULL, NULL, NULL);

-- Accounts whose balance or held credits disagree with the ledger; must always be empty.
CREATE VIEW billing.ledger_drift AS
SELECT a.user_id, a.balance, coalesce(l.total, 0) AS ledger_sum, a.held, coalesce(h.open_holds, 0) AS open_holds
FROM billing.accounts a
LEFT JOIN (SELECT user_id, sum(amount) AS total FROM billing.credit_ledger GROUP BY user_id) l USING (user_id)
LEFT JOIN (SELECT hold.user_id, -sum(hold.amount) AS open_holds
             FROM billing.credit_ledger hold
            WHERE hold.kind = 'hold'
              AND NOT EXISTS (SELECT 1 FROM billing.credit_ledger s WHERE s.settles = hold.idempotency_key)
            GROUP BY hold.user_id) h USING (user_id)
WHERE a.balance <> coalesce(l.total, 0) OR a.held <> coalesce(h.open_holds, 0);

-- Nothing is callable by default; each owner that needs a function gets exactly that one.
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA billing FROM PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA billing REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
GRANT USAGE ON SCHEMA billing TO metered_jobs, metered_worker, metered_ops;
GRANT EXECUTE ON FUNCTION billing.hold(uuid, bigint, text, uuid) TO metered_jobs, metered_ops;
GRANT EXECUTE ON FUNCTION billing.release(text) TO metered_jobs, metered_worker, metered_ops;
GRANT EXECUTE ON FUNCTION billing.capture(text) TO metered_worker;
GRANT EXECUTE ON FUNCTION billing.adjust(uuid, bigint, text, text, text) TO metered_ops;
