-- Auth: accounts (phones), SMS codes and their send log, sessions with
-- rotating refresh tokens, and platform admins (科协 staff) per region.
-- Owned by the migration role; the service logs in as stvs_auth, which may
-- write only this schema.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'stvs_auth') THEN
        CREATE ROLE stvs_auth LOGIN;
    END IF;
END $$;

CREATE SCHEMA auth;
GRANT USAGE ON SCHEMA auth TO stvs_auth;

CREATE TABLE auth.users (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    phone          text NOT NULL UNIQUE CHECK (phone ~ '^1[3-9][0-9]{9}$'),
    password_hash  text,                      -- argon2id, encoded
    failed_logins  int NOT NULL DEFAULT 0,    -- consecutive wrong passwords
    locked_until   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- One live code per phone and purpose; stored only as HMAC(key, phone:purpose:code).
CREATE TABLE auth.sms_codes (
    phone       text NOT NULL,
    purpose     text NOT NULL CHECK (purpose IN ('login')),
    code_hash   bytea NOT NULL CHECK (length(code_hash) = 32),
    expires_at  timestamptz NOT NULL,
    attempts    int NOT NULL DEFAULT 0,
    used_at     timestamptz,                  -- used, or burnt by wrong tries
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (phone, purpose)
);

-- What the send limits count: per phone (cooldown, per day) and per client address (per hour).
CREATE TABLE auth.sms_sends (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    phone        text NOT NULL,
    client_addr  inet,
    sent_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sms_sends_phone ON auth.sms_sends (phone, sent_at);
CREATE INDEX sms_sends_addr ON auth.sms_sends (client_addr, sent_at);
CREATE INDEX sms_sends_sent_at ON auth.sms_sends (sent_at);

-- A session is a refresh-token family: revoking it ends every token in it.
CREATE TABLE auth.sessions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES auth.users ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE INDEX sessions_user ON auth.sessions (user_id);

CREATE TABLE auth.refresh_tokens (
    token_hash  bytea PRIMARY KEY CHECK (length(token_hash) = 32),  -- SHA-256 of the opaque token
    session_id  bigint NOT NULL REFERENCES auth.sessions ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz                                          -- rotated
);
CREATE INDEX refresh_tokens_session ON auth.refresh_tokens (session_id);

-- Granted only from the command line (make admin); '000000' is the whole country.
CREATE TABLE auth.platform_admins (
    user_id      bigint NOT NULL REFERENCES auth.users ON DELETE CASCADE,
    region_code  text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    granted_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, region_code)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA auth TO stvs_auth;
