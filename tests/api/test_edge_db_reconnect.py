"""After pg_terminate_backend ends the services' sessions, the next request on each
worker reconnects, also when its first statement is BEGIN or the health check's SELECT 1
(db_simple), as db_exec always did: no 503 per worker. Every failed statement is logged
with its SQLSTATE."""

import os
import time

from harness import Client, LOG_DIR, eq, ok, psql, new_phone, register_volunteer, volunteer_body

THREADS = int(os.environ.get("STVS_DB_CONNECTIONS", "4"))  # the pool's connections, each to reconnect
SERVICES = ("auth", "volunteer", "org", "activity")
HEALTH = {"auth": "/auth/health", "volunteer": "/volunteers/health", "org": "/orgs/health",
          "activity": "/activities/health"}


def _terminate(services=SERVICES):
    for svc in services:  # every connection connected first (a pool connects at start; this makes sure)
        for _ in range(2 * THREADS):
            Client().get(HEALTH[svc])
    names = ",".join("'%s'" % s for s in services)
    n = int(psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                 "WHERE datname = 'stvs' AND application_name IN (%s)" % names))
    ok(n >= 1, "no service session to terminate")
    deadline = time.monotonic() + 5  # wait until the sessions are gone
    while time.monotonic() < deadline and int(psql(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = 'stvs' AND application_name IN (%s)" % names)):
        time.sleep(0.05)
    return n


def _log_size(service):
    try:
        return os.path.getsize(os.path.join(LOG_DIR, service + ".log"))
    except OSError:
        return 0


def _log_since(service, offset):
    with open(os.path.join(LOG_DIR, service + ".log"), "rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", "replace")


def test_after_pg_terminate_backend_every_auth_worker_begins_a_transaction_again_without_503():
    start = _log_size("auth")
    _terminate(("auth",))
    # POST /auth/sms-codes runs BEGIN first; sequential requests reach every worker in turn
    statuses = []
    for _ in range(3 * THREADS):
        r = Client().post("/auth/sms-codes", {"phone": new_phone(), "purpose": "login"})
        statuses.append(r.status)
    eq(statuses, [202] * (3 * THREADS), "statuses after the sessions were terminated")
    log = _log_since("auth", start)
    ok("db: BEGIN failed with SQLSTATE" in log,
       "the failed BEGIN is logged with its SQLSTATE; auth.log since the test: %r" % log[-2000:])


def test_after_pg_terminate_backend_every_health_check_reconnects_without_503():
    _terminate()
    for svc in SERVICES:
        statuses = [Client().get(HEALTH[svc]).status for _ in range(3 * THREADS)]
        eq(statuses, [200] * (3 * THREADS), "%s health after the sessions were terminated" % svc)


def test_a_unique_violation_is_logged_with_its_sqlstate_and_constraint_but_no_values():
    v = register_volunteer()
    start = _log_size("volunteer")
    again = volunteer_body()
    r = v["client"].post("/volunteers", again, token=v["token"])  # the caller is a volunteer already: 23505
    eq(r.status, 409, "second registration: %s" % r)
    log = _log_since("volunteer", start)
    ok("failed with SQLSTATE 23505 (unique_violation, constraint volunteers_user_unique)" in log,
       "the unique violation is logged with its SQLSTATE: %r" % log[-2000:])
    for value in (again["id_number"], again["real_name"], v["phone"]):
        ok(value not in log, "a value reached the log: %r" % value)


def test_a_terminated_session_is_logged_with_its_class_before_the_statement_runs_again():
    start = _log_size("volunteer")
    _terminate(("volunteer",))
    for _ in range(2 * THREADS):  # a statement through db_exec first: it reconnects and says why
        eq(Client().get("/meta/regions?parent=410000").status, 200, "regions after termination")
    log = _log_since("volunteer", start)
    ok("db: region failed with SQLSTATE" in log and "(unavailable); reconnecting to run it again" in log,
       "the failed statement is logged with its class: %r" % log[-2000:])
