-- pgbench: the login pair's SQL as services/auth runs it, as stvs_auth:
-- POST /auth/sms-codes (h_sms_codes_create: one transaction with the address
-- and phone locks, the limits, the code, the send log, the address count) and
-- POST /auth/sessions with the code (login_admitted_or_reply: the per-address
-- login limit, one transaction; then login_with_code + start_session +
-- reply_new_tokens: one transaction). What the service does outside SQL
-- (HMAC, the outbox write, ES256 signing) is not here.
-- The phone: an existing user l0..l1, as bench/login_pair takes them; the
-- client address: one of the 64 that login_pair uses; the refresh token
-- hash: fresh 32 bytes. That lookup is not the endpoint's. The limits are
-- the bench's raised ones (-D resend, per_day, per_hour, per_minute; hour
-- and minute are the windows in seconds).
-- The `-- @stmt` lines are expanded from services/auth/sql.c by
-- bench/pgscripts.py on every run.
\set uid random(:l0, :l1)
\set a random(1, 64)
SELECT phone, '127.0.2.' || :a AS addr, md5(random()::text) || md5(random()::text) AS rhash,
       'sms' AS kind_sms, 'login' AS kind_login, 'code' AS method FROM auth.users WHERE id = :uid \gset
BEGIN;
-- @stmt auth address_lock :kind_sms :addr
SELECT pg_advisory_xact_lock(2, hashtext(:kind_sms || ' ' || coalesce(:addr, '')));
-- @stmt auth address_wait :kind_sms :addr :per_hour :hour
SELECT ceil(extract(epoch FROM at + make_interval(secs => :hour::int) - now()))::int AS wait FROM auth.address_hits WHERE kind = :kind_sms AND client_addr = :addr::inet   AND at > now() - make_interval(secs => :hour::int) ORDER BY at DESC OFFSET :per_hour::int - 1 LIMIT 1;
-- @stmt auth sms_lock :phone
SELECT pg_advisory_xact_lock(1, hashtext(:phone));
-- @stmt auth sms_limits :phone :resend :per_day
WITH p AS (SELECT sent_at FROM auth.sms_sends WHERE phone = :phone AND sent_at > now() - interval '1 day') SELECT (SELECT ceil(extract(epoch FROM max(sent_at) + make_interval(secs => :resend::int) - now()))::int           FROM p) AS cooldown_wait,        (SELECT ceil(extract(epoch FROM sent_at + interval '1 day' - now()))::int           FROM p ORDER BY sent_at DESC OFFSET :per_day::int - 1 LIMIT 1) AS phone_wait;
-- @stmt auth sms_code_upsert :phone :purpose :chash :code_ttl
INSERT INTO auth.sms_codes (phone, purpose, code_hash, expires_at) VALUES (:phone, :purpose, decode(:chash, 'hex'), now() + make_interval(secs => :code_ttl::int)) ON CONFLICT (phone, purpose) DO UPDATE SET code_hash = EXCLUDED.code_hash,   expires_at = EXCLUDED.expires_at, attempts = 0, used_at = NULL, created_at = now();
-- @stmt auth sms_send_log :phone :addr
WITH gone AS (DELETE FROM auth.sms_sends WHERE sent_at < now() - interval '25 hours') INSERT INTO auth.sms_sends (phone, client_addr) VALUES (:phone, :addr::inet);
-- @stmt auth address_hit :kind_sms :addr
WITH gone AS (DELETE FROM auth.address_hits WHERE kind = :kind_sms AND at < now() - interval '2 hours') INSERT INTO auth.address_hits (kind, client_addr) VALUES (:kind_sms, :addr::inet);
COMMIT;
BEGIN;
-- @stmt auth address_lock :kind_login :addr
SELECT pg_advisory_xact_lock(2, hashtext(:kind_login || ' ' || coalesce(:addr, '')));
-- @stmt auth address_wait :kind_login :addr :per_minute :minute
SELECT ceil(extract(epoch FROM at + make_interval(secs => :minute::int) - now()))::int AS wait FROM auth.address_hits WHERE kind = :kind_login AND client_addr = :addr::inet   AND at > now() - make_interval(secs => :minute::int) ORDER BY at DESC OFFSET :per_minute::int - 1 LIMIT 1;
-- @stmt auth address_hit :kind_login :addr
WITH gone AS (DELETE FROM auth.address_hits WHERE kind = :kind_login AND at < now() - interval '2 hours') INSERT INTO auth.address_hits (kind, client_addr) VALUES (:kind_login, :addr::inet);
-- @stmt auth async_commit
SELECT set_config('synchronous_commit', 'off', true);
COMMIT;
BEGIN;
-- @stmt auth code_for_update :phone
SELECT encode(code_hash, 'hex') AS code_hash, expires_at > now() AS live, used_at IS NOT NULL AS used FROM auth.sms_codes WHERE phone = :phone AND purpose = 'login' FOR UPDATE;
-- @stmt auth code_use :phone
UPDATE auth.sms_codes SET used_at = now() WHERE phone = :phone AND purpose = 'login';
-- @stmt auth user_upsert :phone | \gset user_
INSERT INTO auth.users (phone) VALUES (:phone) ON CONFLICT (phone) DO UPDATE SET phone = EXCLUDED.phone RETURNING id \gset user_
-- @stmt auth session_create :user_id :method | \gset session_
INSERT INTO auth.sessions (user_id, login_method) VALUES (:user_id, :method) RETURNING id \gset session_
-- @stmt auth refresh_insert :rhash :session_id :refresh_ttl
INSERT INTO auth.refresh_tokens (token_hash, session_id, expires_at) VALUES (decode(:rhash, 'hex'), :session_id, now() + make_interval(secs => :refresh_ttl::int));
-- @stmt auth me :user_id
SELECT u.id, u.phone, (SELECT v.id FROM volunteer.volunteers v WHERE v.user_id = u.id) AS volunteer_id,       coalesce((SELECT v.claim_status = 'unclaimed' FROM volunteer.volunteers v WHERE v.user_id = u.id),                false) AS claim_required,       coalesce((SELECT json_agg(role ORDER BY kind, key) FROM (           SELECT 1 AS kind, a.org_id::text AS key, json_build_object('role', 'org_admin', 'org_id', a.org_id) AS role             FROM org.admins a WHERE a.user_id = u.id           UNION ALL           SELECT 2, p.region_code, json_build_object('role', 'platform_admin', 'region_code', p.region_code)             FROM auth.platform_admins p WHERE p.user_id = u.id) roles), '[]') AS roles FROM auth.users u WHERE u.id = :user_id;
COMMIT;
