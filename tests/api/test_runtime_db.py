"""What the database keeps for the services at scale (issue 14): the login
roles carry statement_timeout and TimeZone themselves (no startup options
for a pooler to drop), and auth's purge deletes what has expired and
nothing else."""

import os
import secrets
import signal
import time

from harness import eq, new_phone, ok, psql
from runtime import pids, psql_as

ROLES = ["stvs_auth", "stvs_volunteer", "stvs_org", "stvs_activity", "stvs_import", "stvs_stats"]


def test_every_service_role_has_the_5s_statement_timeout_and_china_time_zone():
    for role in ROLES:
        eq(psql_as(role, "SHOW statement_timeout"), "5s", "statement_timeout of a session as %s" % role)
        eq(psql_as(role, "SHOW TimeZone"), "Asia/Shanghai", "TimeZone of a session as %s" % role)


def _hash():
    return "'\\x%s'::bytea" % secrets.token_hex(32)


def test_the_purge_deletes_expired_auth_rows_and_keeps_live_ones():
    live_phone, old_phone, locked_phone, idle_phone, expired_code_phone = (new_phone() for _ in range(5))
    uid = psql("INSERT INTO auth.users (phone) VALUES ('%s') RETURNING id" % live_phone).splitlines()[0]

    def session(created, revoked="NULL"):
        return psql("INSERT INTO auth.sessions (user_id, created_at, revoked_at) VALUES (%s, %s, %s) RETURNING id"
                    % (uid, created, revoked)).splitlines()[0]

    def token(sid, expires):
        h = _hash()
        psql("INSERT INTO auth.refresh_tokens (token_hash, session_id, expires_at) VALUES (%s, %s, %s)"
             % (h, sid, expires))
        return h

    ended = session("now() - interval '40 days'")  # its only token expired two days ago
    ended_token = token(ended, "now() - interval '2 days'")
    live = session("now() - interval '40 days'")  # an old token expired, a newer one is live
    live_old_token = token(live, "now() - interval '3 days'")
    live_token = token(live, "now() + interval '20 days'")
    just = session("now() - interval '30 days'")  # expired minutes ago: within the hour's grace
    just_token = token(just, "now() - interval '5 minutes'")
    revoked = session("now() - interval '3 days'", "now() - interval '2 days'")
    token(revoked, "now() + interval '27 days'")
    recent_revoked = session("now() - interval '1 hour'", "now() - interval '10 minutes'")
    psql("INSERT INTO auth.sms_codes (phone, purpose, code_hash, expires_at) VALUES "
         "('%s', 'login', %s, now() - interval '1 minute'), ('%s', 'login', %s, now() + interval '4 minutes')"
         % (expired_code_phone, _hash(), old_phone, _hash()))
    psql("INSERT INTO auth.password_attempts (phone, failures, locked_until, last_failed_at) VALUES "
         "('%s', 2, NULL, now() - interval '2 days'), ('%s', 0, now() + interval '10 minutes', now() - interval '2 days'),"
         " ('%s', 1, NULL, now() - interval '1 hour')" % (idle_phone, locked_phone, live_phone))

    for pid in pids("auth"):  # SIGUSR2: purge now (the one holding the advisory lock does it)
        os.kill(pid, signal.SIGUSR2)

    def count(sql):
        return int(psql("SELECT count(*) FROM " + sql))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if (count("auth.sessions WHERE id IN (%s, %s)" % (ended, revoked)) == 0 and
                count("auth.sms_codes WHERE phone = '%s'" % expired_code_phone) == 0 and
                count("auth.password_attempts WHERE phone = '%s'" % idle_phone) == 0):
            break
        time.sleep(0.2)
    eq(count("auth.sessions WHERE id = %s" % ended), 0, "a session whose last token expired is gone")
    eq(count("auth.refresh_tokens WHERE token_hash IN (%s, %s)" % (ended_token, live_old_token)), 0,
       "expired refresh tokens are gone")
    eq(count("auth.sessions WHERE id = %s" % revoked), 0, "a session revoked two days ago is gone, tokens and all")
    eq(count("auth.refresh_tokens WHERE session_id = %s" % revoked), 0, "the revoked session's tokens went with it")
    eq(count("auth.sms_codes WHERE phone = '%s'" % expired_code_phone), 0, "an expired SMS code is gone")
    eq(count("auth.password_attempts WHERE phone = '%s'" % idle_phone), 0, "a counter idle for two days is gone")

    eq(count("auth.sessions WHERE id IN (%s, %s, %s)" % (live, just, recent_revoked)), 3,
       "a session with a live token, one expired within the hour and one revoked minutes ago stay")
    eq(count("auth.refresh_tokens WHERE token_hash IN (%s, %s)" % (live_token, just_token)), 2,
       "a live token and one expired within the hour's grace stay")
    eq(count("auth.sms_codes WHERE phone = '%s'" % old_phone), 1, "a live SMS code stays")
    eq(count("auth.password_attempts WHERE phone IN ('%s', '%s')" % (locked_phone, live_phone)), 2,
       "a locked counter and a recent one stay")
    psql("DELETE FROM auth.password_attempts WHERE phone IN ('%s', '%s')" % (locked_phone, live_phone))
