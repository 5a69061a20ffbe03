-- Checkout Sessions created through POST /api/billing/checkout-session (and ones only known from
-- a signed event). The row lock on a session serialises every event about it, and
-- topup_entry_id makes a session top up at most once, whichever event arrives first.
CREATE TABLE billing.checkout_sessions (
    id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id           uuid        NOT NULL,
    idempotency_key   text        NOT NULL,
    request_hash      text        NOT NULL,
    credits           bigint      NOT NULL CHECK (credits > 0),
    amount_cents      bigint      NOT NULL CHECK (amount_cents >= 0),
    currency          text        NOT NULL,
    status            text        NOT NULL CHECK (status IN ('creating', 'open', 'completed', 'payment_failed')),
    stripe_session_id text        UNIQUE,
    url               text,
    payment_intent    text        UNIQUE,
    topup_entry_id    bigint      UNIQUE REFERENCES billing.credit_ledger (id),
    clawed_back       bigint      NOT NULL DEFAULT 0 CHECK (clawed_back >= 0 AND clawed_back <= credits),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, idempotency_key)
);

-- Every Stripe event whose signature verified, whatever became of it.
CREATE TABLE billing.webhook_events (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     text        NOT NULL UNIQUE,
    type         text        NOT NULL,
    payload      jsonb       NOT NULL,
    status       text        NOT NULL CHECK (status IN ('received', 'processed', 'ignored', 'failed')),
    attempts     integer     NOT NULL DEFAULT 0,
    last_error   text,
    received_at  timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz
);
CREATE INDEX webhook_events_status_idx ON billing.webhook_events (status, received_at DESC);
