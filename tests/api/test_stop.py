"""Graceful SIGTERM: a service finishes the requests it is serving, then exits.

Runs last (it stops the auth service). Requests are held in flight
deterministically: a psql session locks the account row that password login
locks too, so the logins wait inside the service while SIGTERM arrives: one
per pool connection, and two more waiting for a connection. nginx keeps its
connections to the service (fastcgi_keep_conn): the exit must not wait for
nginx's idle timeout (60 s) on them.
"""

import os
import re
import shlex
import signal
import subprocess
import threading
import time

import fcgi
from harness import Client, PSQL, eq, login, new_phone, ok, problem
from runtime import alive

RUN_DIR = os.environ.get("STVS_TEST_RUN_DIR", "")
IN_FLIGHT = int(os.environ.get("STVS_DB_CONNECTIONS", "4")) + 2


def busy_threads():
    """The auth process's threads serving a request now, this scrape's own included."""
    status, _, body = fcgi.request(os.path.join(RUN_DIR, "auth.sock"), "GET", "/metrics")
    eq(status, 200, "GET /metrics on auth.sock")
    m = re.search(r"^stvs_worker_threads_busy (\d+)$", body.decode("utf-8"), re.M)
    ok(m, "stvs_worker_threads_busy in auth's metrics")
    return int(m.group(1))


def test_sigterm_lets_in_flight_requests_finish_then_the_service_exits():
    ok(RUN_DIR, "STVS_TEST_RUN_DIR is not set")
    with open(os.path.join(RUN_DIR, "auth.pid")) as f:
        pid = int(f.read().strip())
    client = Client()
    phone = new_phone()
    token = login(client, phone)["access_token"]
    eq(client.put("/auth/password", {"password": "a long enough password"}, token=token).status, 204, "set password")

    # Hold the account row for 3 s: every password login of it waits on the lock.
    holder = subprocess.Popen(shlex.split(PSQL), stdin=subprocess.PIPE, text=True)
    holder.stdin.write("BEGIN; SELECT 1 FROM auth.users WHERE phone = '%s' FOR UPDATE; SELECT pg_sleep(3); COMMIT;\n"
                       % phone)
    holder.stdin.close()
    time.sleep(0.5)

    results = [None] * IN_FLIGHT

    def log_in(i):
        results[i] = Client().post("/auth/sessions", {"phone": phone, "password": "a long enough password"},
                                   timeout=20)
    threads = [threading.Thread(target=log_in, args=(i,)) for i in range(IN_FLIGHT)]
    for t in threads:
        t.start()
    # every pool connection is now waiting on the row lock, two requests on the pool: seen in the
    # process's own count (a slow process, as under valgrind, takes longer than a fixed pause)
    # (a scrape's thread counts itself, and is counted down just after its answer is sent: one taken
    # right after another may still count the first)
    deadline = time.monotonic() + 10
    busy = busy_threads()
    while busy < IN_FLIGHT + 1 and time.monotonic() < deadline:
        time.sleep(0.1)
        busy = busy_threads()
    ok(busy >= IN_FLIGHT + 1, "every login in flight in the auth process: %d threads busy, this scrape's included"
       % busy)
    os.kill(pid, signal.SIGTERM)
    time.sleep(0.5)
    ok(alive(pid), "the service exited with requests in flight")
    late = Client().post("/auth/sms-codes", {"phone": new_phone()}, timeout=10)
    problem(late, 503, "unavailable", "a request after SIGTERM is refused cleanly")

    for t in threads:
        t.join(30)
    holder.wait(30)
    for i, r in enumerate(results):
        ok(r is not None, "in-flight login %d got no answer" % i)
        eq(r.status, 200, "in-flight login %d finished normally" % i)
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    ok(not alive(pid), "the service exited within 10 s of its last request")
