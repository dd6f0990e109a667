-- Auth, contract v1.1 (API.md, Auth; issue 9 items 3-5).

-- Password attempts are counted per phone, whether or not the phone has an
-- account, so that a known and an unknown phone answer alike (401 x5, then
-- 429). A row lives from a phone's first wrong password until a successful
-- login; rows idle for a day (and not locked) are dropped as failures come in.
CREATE TABLE auth.password_attempts (
    phone           text PRIMARY KEY CHECK (phone ~ '^1[3-9][0-9]{9}$'),
    failures        int NOT NULL DEFAULT 0,   -- consecutive wrong passwords since the last lock
    locked_until    timestamptz,
    last_failed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX password_attempts_last_failed ON auth.password_attempts (last_failed_at);

-- The lock state of accounts moves there; the per-account columns go.
INSERT INTO auth.password_attempts (phone, failures, locked_until)
SELECT phone, failed_logins, locked_until FROM auth.users
WHERE failed_logins > 0 OR locked_until > now();
ALTER TABLE auth.users DROP COLUMN failed_logins, DROP COLUMN locked_until;

-- Per-client-address limits (nginx's $remote_addr), one mechanism for every
-- kind: 'sms' (SMS_PER_ADDRESS_PER_HOUR) and 'login' (password and code
-- logins, LOGIN_PER_ADDRESS_PER_MINUTE). A row is one admitted request.
CREATE TABLE auth.address_hits (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('sms', 'login')),
    client_addr  inet NOT NULL,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX address_hits_addr ON auth.address_hits (kind, client_addr, at);
CREATE INDEX address_hits_at ON auth.address_hits (kind, at);

-- The SMS sends of the current hour keep counting for their addresses.
INSERT INTO auth.address_hits (kind, client_addr, at)
SELECT 'sms', client_addr, sent_at FROM auth.sms_sends
WHERE client_addr IS NOT NULL AND sent_at > now() - interval '1 hour';

-- How a session began. created_at is its login time: refreshing keeps the
-- session, so tokens refreshed from it keep both. A fresh SMS-code login
-- (under 10 minutes) may set a password without the current one.
-- Sessions from before this migration have no method (NULL): they never count
-- as a fresh code login.
ALTER TABLE auth.sessions ADD COLUMN login_method text CHECK (login_method IN ('code', 'password'));
COMMENT ON COLUMN auth.sessions.created_at IS 'the login that began the session (refreshes keep it)';

GRANT SELECT, INSERT, UPDATE, DELETE ON auth.password_attempts, auth.address_hits TO stvs_auth;
