"""A service process as ops run N of them (issue 14): STVS_LISTEN on TCP, one
socket path per process, and a write that lands on a read-only session (a
standby). Each test starts service processes of its own (runtime.Service)
from the stack's build and keys, and stops them; the stack's own processes
are only looked at."""

import json
import os
import socket
import tempfile
import time

import fcgi
from harness import eq, new_phone, ok, psql, Client
from runtime import Service, free_port, sockets

JSON = {"CONTENT_TYPE": "application/json"}


def test_a_service_on_host_port_answers_fastcgi_there():
    port = free_port()
    svc = Service("auth", "127.0.0.1:%d" % port)
    try:
        status, headers, body = svc.wait_ready("/api/v1/auth/health")
        eq(json.loads(body), {"status": "ok", "db": "ok"}, "health over FastCGI on 127.0.0.1:%d" % port)
        ok(headers.get("x-request-id"), "no X-Request-Id")
    finally:
        eq(svc.stop(), 0, "exit status after SIGTERM")


def test_a_service_on_ipv6_loopback_answers_there():
    if not socket.has_ipv6:
        return
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        return  # no IPv6 loopback in this sandbox: the parser is unit-tested
    port = free_port()
    svc = Service("auth", "[::1]:%d" % port)
    try:
        listening = False
        for _ in range(100):
            ok(svc.proc.poll() is None, "the [::1] service exited: %s" % svc.log_tail())
            try:
                with socket.create_connection(("::1", port), timeout=1):
                    listening = True
                    break
            except OSError:
                time.sleep(0.2)
        ok(listening, "nothing listens on [::1]:%d" % port)
    finally:
        eq(svc.stop(), 0, "exit status after SIGTERM")


def test_colon_port_binds_loopback_only():
    port = free_port()
    svc = Service("auth", ":%d" % port)
    try:
        svc.wait_ready("/api/v1/auth/health")
        with open("/proc/net/tcp") as f:
            rows = [line.split() for line in f.read().splitlines()[1:]]
        listening = [r[1] for r in rows if r[3] == "0A" and int(r[1].split(":")[1], 16) == port]
        # /proc/net/tcp: little-endian hex address; 0100007F is 127.0.0.1, 00000000 every interface
        eq(listening, ["0100007F:%04X" % port], ":%d listens on 127.0.0.1 alone" % port)
    finally:
        eq(svc.stop(), 0, "exit status after SIGTERM")


def test_a_bad_listen_value_stops_the_start_naming_it():
    svc = Service("auth", "localhost:99999")
    try:
        svc.proc.wait(20)
    finally:
        code = svc.stop()
    ok(code not in (0, None), "exit status %s for STVS_LISTEN=localhost:99999" % code)
    ok("STVS_LISTEN" in svc.log_tail(), "the log does not name STVS_LISTEN: %s" % svc.log_tail())


def test_a_second_process_on_a_live_socket_refuses_to_start():
    path = sockets("auth")[0]
    before = os.stat(path).st_ino
    svc = Service("auth", path)
    try:
        svc.proc.wait(20)
    finally:
        code = svc.stop()
    ok(code not in (0, None), "the second process on %s exited with %s" % (path, code))
    ok("another process is listening" in svc.log_tail(), "no clear log line: %s" % svc.log_tail())
    eq(os.stat(path).st_ino, before, "the first process's socket file was replaced")
    eq(Client().get("/auth/health").status, 200, "the first process still answers through nginx")


def test_a_stale_socket_file_is_replaced():
    with tempfile.TemporaryDirectory(prefix="stvs-stale-") as d:
        path = os.path.join(d, "auth.sock")
        with socket.socket(socket.AF_UNIX) as dead:  # a process that died: the file stays, nobody listens
            dead.bind(path)
            dead.listen(1)
        svc = Service("auth", path)
        try:
            svc.wait_ready("/api/v1/auth/health")
        finally:
            eq(svc.stop(), 0, "exit status after SIGTERM")
        ok(not os.path.exists(path), "the socket file is left after a clean stop")


def test_a_write_on_a_read_only_session_is_503_with_retry_after():
    # A login role of this test alone, auth's rights, every transaction read-only:
    # what a standby answers (SQLSTATE 25006 read_only_sql_transaction).
    psql("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'stvs_test_read_only') THEN "
         "CREATE ROLE stvs_test_read_only LOGIN IN ROLE stvs_auth; END IF; END $$")
    psql("ALTER ROLE stvs_test_read_only SET default_transaction_read_only = on")
    svc = Service("auth", "127.0.0.1:%d" % free_port(), db_user="stvs_test_read_only")
    try:
        svc.wait_ready("/api/v1/auth/health")  # reads still work
        status, headers, body = fcgi.request(svc.address(), "POST", "/api/v1/auth/sms-codes",
                                             json.dumps({"phone": new_phone()}).encode(), JSON)
        eq(status, 503, "a write on a read-only session: %s" % body)
        problem = json.loads(body)
        eq(problem.get("code"), "unavailable", "problem code")
        eq(headers.get("content-type"), "application/problem+json; charset=utf-8", "Content-Type")
        eq(headers.get("retry-after"), "5", "Retry-After")
        ok("25006" in svc.log_tail() and "internal" not in body.decode(), "not logged as 25006: %s" % svc.log_tail())
        status, _, text = fcgi.request(svc.address(), "GET", "/metrics")
        ok(b'stvs_db_errors_total{class="read_only"} ' in text and
           b'stvs_db_errors_total{class="read_only"} 0\n' not in text, "the read_only class did not count it")
    finally:
        eq(svc.stop(), 0, "exit status after SIGTERM")
        psql("DROP ROLE IF EXISTS stvs_test_read_only")
