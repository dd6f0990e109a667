"""SIGTERM with requests queued in the listen backlog: each gets its real
answer (issue 14: 3 of 3 queued PATCHes got 502 when the backlog was reset).

A psql session holds the account row that password logins lock: one login
per pool connection waits on it, health checks wait for a pool connection
in every other thread, and the rest wait in the socket's backlog (seen with
ss). Then SIGTERM, then the lock goes (after 2.5 s: the logins waiting
behind one another's password_attempts row stay under the 5 s
statement_timeout, the health checks under the pool's 5 s wait). The
test restarts the stack's services afterwards (scripts/stack.sh run), so
the suite goes on with the stack as it found it."""

import os
import re
import shlex
import signal
import subprocess
import threading
import time

from harness import Client, PSQL, eq, login, new_phone, ok, wait_for_service
from runtime import DB_CONNECTIONS, ROOT, THREADS, alive, pids, sockets

PASSWORD = "a long enough password"


def _backlog(sock):
    """Connections waiting in the listening unix socket's queue (ss: Recv-Q)."""
    out = subprocess.run(["ss", "-xlnH"], capture_output=True, text=True, timeout=10).stdout
    for line in out.splitlines():
        if sock in line.split():
            return int(line.split()[2])
    return -1


def _restart_stack():
    r = subprocess.run([os.path.join(ROOT, "scripts", "stack.sh"), "run"], capture_output=True, text=True,
                       timeout=300)
    ok(r.returncode == 0, "scripts/stack.sh run failed: %s %s" % (r.stdout[-800:], r.stderr[-800:]))
    ok(wait_for_service(), "auth is not healthy again after the restart")


def test_sigterm_answers_every_request_queued_in_the_backlog():
    pid = pids("auth")[0]
    sock = sockets("auth")[0]
    client = Client()
    phone = new_phone()
    token = login(client, phone)["access_token"]
    eq(client.put("/auth/password", {"password": PASSWORD}, token=token).status, 204, "set password")

    holder = subprocess.Popen(shlex.split(PSQL), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    holder.stdin.write("BEGIN; SELECT 1 FROM auth.users WHERE phone = '%s' FOR UPDATE; SELECT pg_sleep(2.5); COMMIT;\n"
                       % phone)
    holder.stdin.close()
    time.sleep(0.5)

    procs = len(sockets("auth"))
    logins = procs * DB_CONNECTIONS  # each holds a pool connection, waiting on the lock
    n = procs * (THREADS + 2) + 2  # more than every auth process's threads (N processes too)
    results = [None] * n

    def ask(i):
        try:
            if i < logins:
                results[i] = Client().post("/auth/sessions", {"phone": phone, "password": PASSWORD}, timeout=40)
            else:
                results[i] = Client().get("/auth/health", timeout=40)
        except OSError as e:
            results[i] = e
    threads = [threading.Thread(target=ask, args=(i,)) for i in range(n)]
    restarted = False
    try:
        for i, t in enumerate(threads):
            t.start()
            if i + 1 == logins:
                time.sleep(0.3)  # the logins take the pool first
        time.sleep(1.0)  # every thread waits on the lock or the pool; the rest are queued
        queued = _backlog(sock)
        ok(queued >= 1, "no request waits in %s's backlog (ss Recv-Q %d): the test proves nothing" % (sock, queued))
        os.kill(pid, signal.SIGTERM)
        time.sleep(0.3)
        ok(alive(pid), "the service exited with requests queued and in flight")
        ok(not os.path.exists(sock), "the socket path is still there after SIGTERM: new requests would queue")

        for t in threads:
            t.join(60)
        holder.wait(30)
        answers = [r.status if hasattr(r, "status") else repr(r) for r in results]
        eq(answers, [200] * n, "every request (%d in threads, %d queued) after SIGTERM" % (n - queued, queued))
        deadline = time.monotonic() + 15
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        ok(not alive(pid), "the service did not exit within 15 s of its last request")
        _restart_stack()
        restarted = True
    finally:
        if not restarted:
            for t in threads:
                t.join(60)
            if holder.poll() is None:
                holder.kill()
            _restart_stack()
    eq(Client().get("/auth/health").status, 200, "auth answers again after the restart")
    eq(len(re.findall(r"\d+", str(pids("auth")))) >= 1, True, "a new auth process runs")
