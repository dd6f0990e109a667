-- Auth, contract v1.1 (API.md, Auth; issue 9 items 3-5).

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

GRANT SELECT, INSERT, UPDATE, DELETE ON auth.address_hits TO stvs_auth;
