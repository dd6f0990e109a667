"""Many request threads, few database connections, kept FastCGI connections
(issue 15, step 5): a request that finds every pool connection busy is
answered 503 within STVS_DB_WAIT_MS while one that needs no database is
answered at once; nginx keeps its connections to the services; a stop lets
an idle kept connection go without losing a request sent on it."""

import json
import os
import random
import shlex
import signal
import subprocess
import tempfile
import threading
import time

import fcgi
from harness import PSQL, Client, eq, login, new_phone, ok
from runtime import Service
from test_runtime_metrics import scrape, total, value

JSON = {"CONTENT_TYPE": "application/json"}


def _own_auth(tag, **env):
    sock = os.path.join(tempfile.mkdtemp(prefix="stvs-pool-"), "auth.sock")
    svc = Service("auth", sock, env=env, tag=tag)
    svc.wait_ready("/api/v1/auth/health")
    return svc, sock


def _hold_row(phone, seconds):
    """A psql session holding the account's row lock, which a password login takes too."""
    holder = subprocess.Popen(shlex.split(PSQL), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    holder.stdin.write("BEGIN; SELECT 1 FROM auth.users WHERE phone = '%s' FOR UPDATE; SELECT pg_sleep(%d); COMMIT;\n"
                       % (phone, seconds))
    holder.stdin.close()
    time.sleep(0.5)
    return holder


def _timed(fn):
    t0 = time.monotonic()
    out = fn()
    return out, time.monotonic() - t0


def test_with_every_pool_connection_busy_a_db_request_is_503_within_the_wait_and_a_dbless_one_is_answered_at_once():
    client = Client()
    phone = new_phone()
    token = login(client, phone)["access_token"]
    eq(client.put("/auth/password", {"password": "a long enough password"}, token=token).status, 204, "set password")
    svc, sock = _own_auth("pool-busy", STVS_THREADS="6", STVS_DB_CONNECTIONS="1", STVS_DB_WAIT_MS="1500")
    holder = None
    try:
        holder = _hold_row(phone, 5)
        held = {}

        def log_in():  # takes the one connection, then waits on the row lock
            body = json.dumps({"phone": phone, "password": "a long enough password"}).encode()
            held["r"] = fcgi.request(sock, "POST", "/api/v1/auth/sessions", body, JSON, timeout=20)
        t = threading.Thread(target=log_in)
        t.start()
        time.sleep(0.7)

        (status, headers, body), took = _timed(lambda: fcgi.request(sock, "GET", "/api/v1/auth/health", timeout=10))
        eq(status, 503, "a database request with the pool busy: %s" % body)
        eq(json.loads(body)["code"], "unavailable", "its problem code")
        eq(headers.get("retry-after"), "5", "it says when to try again")
        ok(1.3 <= took < 4.0, "answered after the 1.5 s wait, not at once nor never: %.2f s" % took)

        (status, _, _), took = _timed(lambda: fcgi.request(sock, "PUT", "/api/v1/auth/password",
                                                           json.dumps({"password": "x" * 12}).encode(), JSON))
        eq(status, 401, "a request without its token needs no database")
        ok(took < 1.0, "and is answered at once with the pool busy: %.2f s" % took)
        (status, _, _), took = _timed(lambda: fcgi.request(sock, "GET", "/api/v1/auth/no-such-thing"))
        eq(status, 404, "an unknown path")
        ok(took < 1.0, "answered at once with the pool busy: %.2f s" % took)
        (status, _, _), took = _timed(lambda: fcgi.request(sock, "GET", "/api/v1/auth/jwks.json"))
        eq(status, 200, "the JWKS, a route that never queries (ROUTE_NO_DB)")
        ok(took < 1.0, "answered at once with the pool busy: %.2f s" % took)

        text, took = _timed(lambda: scrape(sock))
        ok(took < 1.0, "a scrape does not wait on a busy pool: %.2f s" % took)
        eq(value(text, "stvs_db_pool_connections"), 1.0, "the pool's size")
        eq(value(text, "stvs_db_pool_busy"), 1.0, "the login holds the one connection")
        ok(value(text, "stvs_db_pool_timeouts_total") >= 1, "the 503 counted as a wait in vain")

        t.join(30)
        ok("r" in held, "the held login got no answer")
        eq(held["r"][0], 200, "the login that held the connection finishes once the lock goes")
    finally:
        if holder:
            holder.wait(30)
        svc.stop()


def test_nginx_keeps_its_fastcgi_connections_far_fewer_accepted_than_requests():
    client = Client()
    before = total("auth", "stvs_fcgi_connections_total")
    n = 40
    for _ in range(n):
        eq(client.get("/auth/health").status, 200, "GET /auth/health through nginx")
    accepted = total("auth", "stvs_fcgi_connections_total") - before
    # the scrapes' own connections count too (one per process per scrape)
    ok(accepted <= n / 4, "%d connections accepted for %d requests: nginx does not keep them" % (accepted, n))


def test_a_stop_lets_an_idle_kept_connection_go_and_answers_a_request_sent_on_it_meanwhile():
    svc, sock = _own_auth("pool-stop", STVS_THREADS="3")
    kept = fcgi.Kept(sock)
    try:
        for i in range(2):
            eq(kept.request("GET", "/api/v1/auth/health")[0], 200, "request %d on one kept connection" % (i + 1))
        svc.proc.send_signal(signal.SIGTERM)
        eq(kept.next_record(3), (fcgi.STDERR, 0),
           "on SIGTERM the service asks for the idle connection back: an empty FCGI_STDERR record")
        time.sleep(0.3)
        ok(svc.proc.poll() is None, "the service waits while the connection is still held")
        # nginx took the connection for a POST just as the record came: it is answered, not lost
        addr = "10.%d.%d.%d" % (random.randint(0, 255), random.randint(0, 255), random.randint(1, 254))
        status, _, body = kept.request("POST", "/api/v1/auth/sms-codes",
                                       json.dumps({"phone": new_phone(), "purpose": "login"}).encode(),
                                       dict(JSON, REMOTE_ADDR=addr))
        eq(status, 202, "a POST sent on the kept connection during the stop: %s" % body)
        eq(kept.next_record(3), (fcgi.STDERR, 0), "then it asks again")
        kept.close()  # what nginx does on that record
        svc.proc.wait(5)
        eq(svc.proc.returncode, 0, "the service exits once nginx let the connection go")
    finally:
        kept.close()
        svc.stop()


def test_a_client_that_ignores_the_let_go_record_is_cut_off_and_the_stop_completes():
    svc, sock = _own_auth("pool-ignore", STVS_THREADS="2")
    kept = fcgi.Kept(sock)
    try:
        eq(kept.request("GET", "/api/v1/auth/health")[0], 200, "a request on a kept connection")
        t0 = time.monotonic()
        svc.proc.send_signal(signal.SIGTERM)
        eq(kept.next_record(3), (fcgi.STDERR, 0), "the service asks for the connection back")
        eq(kept.next_record(10), None, "then, ignored, it closes the connection itself")
        svc.proc.wait(5)
        took = time.monotonic() - t0
        ok(4.0 <= took < 9.0, "after its 5 s grace, not at once nor never: %.1f s" % took)
        eq(svc.proc.returncode, 0, "and exits normally")
    finally:
        kept.close()
        svc.stop()


def test_a_deeply_nested_body_does_not_overflow_a_worker_stack():
    client = Client()
    r = client.request("POST", "/auth/sessions", raw=("[" * 2000 + "]" * 2000).encode(),
                       headers={"Content-Type": "application/json"})
    ok(400 <= r.status < 500, "a 4xx for 2000 nested arrays, got %s" % r)
    eq(client.get("/auth/health").status, 200, "the service still answers")
