COMMENT ON SCHEMA auth IS 'Owned by auth-service: users, refresh tokens and login throttling.';

CREATE TABLE auth.users (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    email         text        NOT NULL CHECK (email = lower(btrim(email)) AND length(email) BETWEEN 3 AND 254),
    password_hash text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON auth.users (email);

-- Opaque refresh tokens, stored as SHA-256 hashes. A login starts a family; each refresh
-- rotates the token within it; presenting a rotated token again revokes the whole family.
CREATE TABLE auth.refresh_tokens (
    token_hash bytea       PRIMARY KEY CHECK (length(token_hash) = 32),
    family_id  uuid        NOT NULL,
    user_id    uuid        NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    issued_at  timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    rotated_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX refresh_tokens_family_idx ON auth.refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expires_idx ON auth.refresh_tokens (expires_at);

-- One row per throttled subject ('account:<email>' or 'address:<ip>'), shared by every replica.
CREATE TABLE auth.login_throttle (
    subject           text        PRIMARY KEY,
    window_started_at timestamptz NOT NULL,
    attempts          integer     NOT NULL CHECK (attempts >= 0),
    locked_until      timestamptz
);
CREATE INDEX login_throttle_window_idx ON auth.login_throttle (window_started_at);
