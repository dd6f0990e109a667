-- Issue 14 (scale out): what the services need from the database to run as
-- N processes, behind a pooler, next to a standby.

-- 1. The services' session settings are their login roles' own, in this
-- database, instead of libpq startup options (common/db.c sent them as
-- `options` until now): a pooler (pgbouncer) refuses or drops startup
-- options, and a dropped statement_timeout would let one slow query hold a
-- worker thread for ever. TimeZone: timestamps are written out in China's
-- time (RFC 3339 with +08:00). A job that needs longer sets it per
-- transaction (SET LOCAL statement_timeout).
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['stvs_auth', 'stvs_volunteer', 'stvs_org', 'stvs_activity', 'stvs_import', 'stvs_stats']
    LOOP
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('ALTER ROLE %I IN DATABASE %I SET statement_timeout = %L', r, current_database(), '5s');
            EXECUTE format('ALTER ROLE %I IN DATABASE %I SET TimeZone = %L', r, current_database(), 'Asia/Shanghai');
        END IF;
    END LOOP;
END $$;

-- 2. The purge of auth's expired rows (services/auth/purge.c) finds them
-- by expiry, a batch of 5,000 at a time. password_attempts has its index
-- (last_failed_at) since 008; refresh_tokens(session_id) serves the check
-- that a session has no live token left.
CREATE INDEX refresh_tokens_expires ON auth.refresh_tokens (expires_at);
CREATE INDEX sms_codes_expires ON auth.sms_codes (expires_at);
CREATE INDEX sessions_revoked ON auth.sessions (revoked_at) WHERE revoked_at IS NOT NULL;
