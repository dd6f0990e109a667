"""The database goes away and comes back; the service is not restarted.
Runs last (see run.py). PostgreSQL is always started again, whatever happens."""

import time

from harness import (Client, PG_STOP, PG_START, eq, ok, status, json_ok, problem, login, me, new_phone,
                     parallel, shell, wait_for_service)

FAST = 5.0  # seconds: a dead database is a fast 503, not a hang


def _timed(fn):
    t0 = time.monotonic()
    r = fn()
    dt = time.monotonic() - t0
    ok(dt < FAST, "answer took %.1f s while the database was down (should be a fast 503): %s" % (dt, r))
    return r


def _wait_health_ok(wait=10.0):
    deadline = time.monotonic() + wait
    last = None
    while time.monotonic() < deadline:
        try:
            last = Client().get("/auth/health", timeout=3)
            if last.status == 200:
                return last
        except OSError as e:
            last = e
        time.sleep(0.25)
    raise AssertionError("health not 200 within %.0f s after PostgreSQL came back: %s" % (wait, last))


def test_service_answers_503_while_db_is_down_and_recovers_without_restart():
    c = Client()
    s = login(c)
    json_ok(me(c, s["access_token"]), 200, "me before the stop")
    ok(PG_STOP and PG_START, "STVS_TEST_PG_STOP / STVS_TEST_PG_START not set")
    shell(PG_STOP)
    try:
        r = _timed(lambda: Client().get("/auth/health"))
        status(r, 503, "health while the db is down")
        body = r.json()
        eq(body.get("status"), "unavailable", "health status field")
        eq(body.get("db"), "down", "health db field")
        ok(r.header("X-Request-Id"), "503 health lacks X-Request-Id")

        phone = new_phone()
        problem(_timed(lambda: Client().post("/auth/sms-codes", {"phone": phone})), 503, "unavailable",
                "send code while the db is down")
        problem(_timed(lambda: me(c, s["access_token"])), 503, "unavailable", "me while the db is down")
        problem(_timed(lambda: Client().post("/auth/tokens/refresh", {"refresh_token": s["refresh_token"]})),
                503, "unavailable", "refresh while the db is down")
    finally:
        shell(PG_START)

    _wait_health_ok()
    eq(json_ok(Client().get("/auth/health"), 200), {"status": "ok", "db": "ok"}, "health after recovery")
    c2 = Client()
    s2 = login(c2)
    json_ok(me(c2, s2["access_token"]), 200, "me for a new login after recovery")
    json_ok(me(c, s["access_token"]), 200, "me with the token issued before the stop")
    json_ok(c.post("/auth/tokens/refresh", {"refresh_token": s["refresh_token"]}), 200,
            "refresh of a session from before the stop")


def test_every_worker_serves_again_after_db_restart():
    # Each worker thread owns a connection (and prepared statements) that died with
    # the restart; a burst of parallel calls reaches workers that have not served since.
    wait_for_service()
    c = Client()
    s = login(c)
    results = parallel(lambda: me(Client(), s["access_token"]), [()] * 32)
    bad = [r if isinstance(r, BaseException) else "%d %s" % (r.status, r.body[:120]) for r in results
           if isinstance(r, BaseException) or r.status != 200]
    ok(not bad, "%d of 32 parallel /auth/me calls failed after the restart: %s" % (len(bad), bad[:4]))
    results = parallel(lambda: Client().post("/auth/sms-codes", {"phone": new_phone()}), [()] * 32)
    bad = [r if isinstance(r, BaseException) else "%d %s" % (r.status, r.body[:120]) for r in results
           if isinstance(r, BaseException) or r.status != 202]
    ok(not bad, "%d of 32 parallel sms-code sends failed after the restart: %s" % (len(bad), bad[:4]))
