/* Every statement the auth service runs, prepared once per connection. */
#include "auth.h"

const db_stmt auth_sql[SQL__MAX] = {
    /* Serializes concurrent sends for one phone, so the limits below cannot
     * be raced past (the address is serialized by SQL_ADDRESS_LOCK, taken
     * first). */
    [SQL_SMS_LOCK] = {"sms_lock", "SELECT pg_advisory_xact_lock(1, hashtext($1))"},

    /* Seconds to wait for each limit, NULL when not reached: the cooldown
     * since the newest send, and the time until the N-th newest send of the
     * day ages out (it exists only when N sends are in the window). */
    [SQL_SMS_LIMITS] = {"sms_limits",
        "WITH p AS (SELECT sent_at FROM auth.sms_sends WHERE phone = $1 AND sent_at > now() - interval '1 day')"
        " SELECT (SELECT ceil(extract(epoch FROM max(sent_at) + make_interval(secs => $2::int) - now()))::int"
        "           FROM p) AS cooldown_wait,"
        "        (SELECT ceil(extract(epoch FROM sent_at + interval '1 day' - now()))::int"
        "           FROM p ORDER BY sent_at DESC OFFSET $3::int - 1 LIMIT 1) AS phone_wait"},

    /* The per-address limits ($1 the kind, 'sms' or 'login'; $2 nginx's
     * $remote_addr). The lock serializes one address's requests of a kind
     * until the transaction ends, so N concurrent requests cannot all see
     * room for one. */
    [SQL_ADDRESS_LOCK] = {"address_lock",
        "SELECT pg_advisory_xact_lock(2, hashtext($1 || ' ' || coalesce($2, '')))"},

    /* Seconds until the $3-th newest admitted request of the $4-second
     * window ages out: no row while there is room. */
    [SQL_ADDRESS_WAIT] = {"address_wait",
        "SELECT ceil(extract(epoch FROM at + make_interval(secs => $4::int) - now()))::int AS wait"
        " FROM auth.address_hits WHERE kind = $1 AND client_addr = $2::inet"
        "   AND at > now() - make_interval(secs => $4::int)"
        " ORDER BY at DESC OFFSET $3::int - 1 LIMIT 1"},

    /* For the login limit's own transaction: its commit need not wait for
     * the disk (a crash loses at most the last moment's counts). */
    [SQL_ASYNC_COMMIT] = {"async_commit", "SELECT set_config('synchronous_commit', 'off', true)"},

    /* Counts an admitted request and drops this kind's rows older than any
     * window (amortized). */
    [SQL_ADDRESS_HIT] = {"address_hit",
        "WITH gone AS (DELETE FROM auth.address_hits WHERE kind = $1 AND at < now() - interval '2 hours')"
        " INSERT INTO auth.address_hits (kind, client_addr) VALUES ($1, $2::inet)"},

    /* A new code replaces the old one and resets its tries. */
    [SQL_SMS_CODE_UPSERT] = {"sms_code_upsert",
        "INSERT INTO auth.sms_codes (phone, purpose, code_hash, expires_at)"
        " VALUES ($1, $2, decode($3, 'hex'), now() + make_interval(secs => $4::int))"
        " ON CONFLICT (phone, purpose) DO UPDATE SET code_hash = EXCLUDED.code_hash,"
        "   expires_at = EXCLUDED.expires_at, attempts = 0, used_at = NULL, created_at = now()"},

    /* Logs the send and drops rows older than every window (amortized). */
    [SQL_SMS_SEND_LOG] = {"sms_send_log",
        "WITH gone AS (DELETE FROM auth.sms_sends WHERE sent_at < now() - interval '25 hours')"
        " INSERT INTO auth.sms_sends (phone, client_addr) VALUES ($1, $2::inet)"},

    [SQL_CODE_FOR_UPDATE] = {"code_for_update",
        "SELECT encode(code_hash, 'hex') AS code_hash, expires_at > now() AS live, used_at IS NOT NULL AS used"
        " FROM auth.sms_codes WHERE phone = $1 AND purpose = 'login' FOR UPDATE"},

    /* A wrong try; the last allowed one burns the code. */
    [SQL_CODE_WRONG] = {"code_wrong",
        "UPDATE auth.sms_codes SET attempts = attempts + 1,"
        "   used_at = CASE WHEN attempts + 1 >= $2::int THEN now() ELSE used_at END"
        " WHERE phone = $1 AND purpose = 'login' RETURNING attempts"},

    [SQL_CODE_USE] = {"code_use",
        "UPDATE auth.sms_codes SET used_at = now() WHERE phone = $1 AND purpose = 'login'"},

    /* The first login creates the account. */
    [SQL_USER_UPSERT] = {"user_upsert",
        "INSERT INTO auth.users (phone) VALUES ($1)"
        " ON CONFLICT (phone) DO UPDATE SET phone = EXCLUDED.phone RETURNING id"},

    /* $2: how the session began, 'code' or 'password'; created_at is its
     * login time, which refreshes keep. */
    [SQL_SESSION_CREATE] = {"session_create",
        "INSERT INTO auth.sessions (user_id, login_method) VALUES ($1, $2) RETURNING id"},

    /* Whether the session of an access token may set a password without the
     * current one: it began with a code login under 10 minutes ago, and it
     * has not ended. */
    [SQL_SESSION_REAUTH] = {"session_reauth",
        "SELECT revoked_at IS NOT NULL AS revoked,"
        "       login_method IS NOT DISTINCT FROM 'code' AND created_at > now() - interval '10 minutes' AS fresh_code"
        " FROM auth.sessions WHERE id = $1 AND user_id = $2"},

    [SQL_REFRESH_INSERT] = {"refresh_insert",
        "INSERT INTO auth.refresh_tokens (token_hash, session_id, expires_at)"
        " VALUES (decode($1, 'hex'), $2, now() + make_interval(secs => $3::int))"},

    [SQL_REFRESH_FOR_UPDATE] = {"refresh_for_update",
        "SELECT t.session_id, s.user_id, t.used_at IS NOT NULL AS used, t.expires_at <= now() AS expired,"
        "       s.revoked_at IS NOT NULL AS revoked"
        " FROM auth.refresh_tokens t JOIN auth.sessions s ON s.id = t.session_id"
        " WHERE t.token_hash = decode($1, 'hex') FOR UPDATE OF t, s"},

    [SQL_REFRESH_MARK_USED] = {"refresh_mark_used",
        "UPDATE auth.refresh_tokens SET used_at = now() WHERE token_hash = decode($1, 'hex')"},

    /* Revoking a session kills every refresh token of its family. */
    [SQL_SESSION_REVOKE] = {"session_revoke",
        "UPDATE auth.sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL"},

    [SQL_SESSIONS_REVOKE_OTHERS] = {"sessions_revoke_others",
        "UPDATE auth.sessions SET revoked_at = now()"
        " WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL"},

    /* Roles: org admin rights (org.admins) and platform admin scopes. */
    [SQL_ME] = {"me",
        "SELECT u.id, u.phone, (SELECT v.id FROM volunteer.volunteers v WHERE v.user_id = u.id) AS volunteer_id,"
        "       coalesce((SELECT v.claim_status = 'unclaimed' FROM volunteer.volunteers v WHERE v.user_id = u.id),"
        "                false) AS claim_required,"
        "       coalesce((SELECT json_agg(role ORDER BY kind, key) FROM ("
        "           SELECT 1 AS kind, a.org_id::text AS key, json_build_object('role', 'org_admin', 'org_id', a.org_id) AS role"
        "             FROM org.admins a WHERE a.user_id = u.id"
        "           UNION ALL"
        "           SELECT 2, p.region_code, json_build_object('role', 'platform_admin', 'region_code', p.region_code)"
        "             FROM auth.platform_admins p WHERE p.user_id = u.id) roles), '[]') AS roles"
        " FROM auth.users u WHERE u.id = $1"},

    /* Password attempts are counted per phone, account or not. Taking the
     * row (created if needed) serializes one phone's attempts; the row of a
     * phone that is let in goes again (SQL_ATTEMPTS_CLEAR). */
    [SQL_ATTEMPTS_LOCK] = {"attempts_lock",
        "INSERT INTO auth.password_attempts AS a (phone) VALUES ($1)"
        " ON CONFLICT (phone) DO UPDATE SET phone = a.phone"
        " RETURNING ceil(extract(epoch FROM a.locked_until - now()))::int AS locked_for"},

    /* The PASSWORD_TRIES-th consecutive failure locks the phone and starts
     * counting again. Rows idle for a day and not locked go (amortized). */
    [SQL_ATTEMPTS_FAILED] = {"attempts_failed",
        "WITH gone AS (DELETE FROM auth.password_attempts WHERE last_failed_at < now() - interval '1 day'"
        "                AND (locked_until IS NULL OR locked_until < now()) AND phone <> $1)"
        " UPDATE auth.password_attempts SET"
        "   locked_until = CASE WHEN failures + 1 >= $2::int"
        "                  THEN now() + make_interval(secs => $3::int) ELSE locked_until END,"
        "   failures = CASE WHEN failures + 1 >= $2::int THEN 0 ELSE failures + 1 END,"
        "   last_failed_at = now()"
        " WHERE phone = $1"},

    [SQL_ATTEMPTS_CLEAR] = {"attempts_clear", "DELETE FROM auth.password_attempts WHERE phone = $1"},

    /* Shared: a password change waits for the logins checking the old one. */
    [SQL_USER_FOR_PASSWORD] = {"user_for_password",
        "SELECT id, password_hash FROM auth.users WHERE phone = $1 FOR SHARE"},

    /* The caller's phone and password, to check a current_password. */
    [SQL_USER_PASSWORD_BY_ID] = {"user_password_by_id",
        "SELECT phone, password_hash FROM auth.users WHERE id = $1"},

    /* A new password ends every lock of the phone (whose counter row the
     * caller holds already: one lock order). */
    [SQL_PASSWORD_SET] = {"password_set",
        "WITH u AS (UPDATE auth.users SET password_hash = $2 WHERE id = $1 RETURNING phone)"
        " DELETE FROM auth.password_attempts WHERE phone = (SELECT phone FROM u)"},
};
