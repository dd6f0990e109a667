"""What the runtime tests (test_runtime_*.py) share: the stack's paths, its
service processes (by their pid and socket files, one or N per service),
and service processes of their own, started from the stack's build and
keys and stopped by the test that started them."""

import glob
import os
import shlex
import signal
import socket
import subprocess
import time

import fcgi
from harness import PSQL, ok

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN_DIR = os.environ.get("STVS_TEST_RUN_DIR", "")
THREADS = int(os.environ.get("STVS_THREADS", "256"))
DB_CONNECTIONS = int(os.environ.get("STVS_DB_CONNECTIONS", "4"))


def stack_paths():
    """scripts/stack.sh paths, for the stack of this environment (STVS_VAR, STVS_PG_PORT)."""
    out = subprocess.run([os.path.join(ROOT, "scripts", "stack.sh"), "paths"], capture_output=True, text=True,
                         timeout=30, check=True).stdout
    paths = {}
    for line in out.splitlines():
        name, _, value = line.partition("=")
        paths[name] = (shlex.split(value) or [""])[0]
    return paths


def alive(pid):
    """Running: not gone and not a zombie waiting for its parent to reap it."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def pids(service):
    """The pids of the stack's processes of a service (auth.pid, or auth.N.pid when it runs N)."""
    ok(RUN_DIR, "STVS_TEST_RUN_DIR is not set")
    found = []
    for path in sorted(glob.glob(os.path.join(RUN_DIR, service + ".pid")) +
                       glob.glob(os.path.join(RUN_DIR, service + "[.-]*.pid"))):
        with open(path) as f:
            pid = int(f.read().strip())
        if alive(pid):
            found.append(pid)
    ok(found, "no live %s process in %s" % (service, RUN_DIR))
    return found


def sockets(service="*"):
    ok(RUN_DIR, "STVS_TEST_RUN_DIR is not set")
    found = sorted(glob.glob(os.path.join(RUN_DIR, service + ".sock")) +
                   glob.glob(os.path.join(RUN_DIR, service + "[.-]*.sock")))
    ok(found, "no %s socket in %s" % (service, RUN_DIR))
    return found


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql_as(role, sql):
    """psql as another login role of the test cluster (trust over its unix socket)."""
    argv = shlex.split(PSQL)
    if "-U" in argv:
        argv[argv.index("-U") + 1] = role
    else:
        argv += ["-U", role]
    r = subprocess.run(argv + ["-c", sql], capture_output=True, text=True, timeout=30)
    ok(r.returncode == 0, "psql as %s failed: %s" % (role, r.stderr.strip()))
    return r.stdout.strip()


class Service:
    """A service process of the test's own: the stack's binary, keys and
    database, its own STVS_LISTEN and login role. Its log is in the stack's
    log folder (tests/run.sh looks there for sanitizer reports)."""

    def __init__(self, name, listen, db_user=None, env=None, tag="runtime"):
        p = stack_paths()
        mode = os.environ.get("MODE", "release")
        keys = os.path.join(p["STVS_VAR"], "keys")
        self.log_path = os.path.join(p["STVS_LOG_DIR"], "%s-%s.log" % (tag, name))
        full = dict(os.environ)
        full.update({
            "STVS_DB": "host=%s port=%s dbname=stvs user=%s" % (p["STVS_PGHOST"], p["STVS_PG_PORT"],
                                                                db_user or "stvs_" + name),
            "STVS_LISTEN": listen, "STVS_THREADS": "2",
            "STVS_JWT_PUBLIC_KEY_FILE": os.path.join(keys, "jwt-es256.pub"),
            "STVS_DATA_KEY_FILE": os.path.join(keys, "data.key"),
            "STVS_JWT_PRIVATE_KEY_FILE": os.path.join(keys, "jwt-es256.key"),
            "SMS_OUTBOX": os.path.join(p["STVS_VAR"], "runtime-outbox.jsonl"),
        })
        full.update(env or {})
        self.listen = listen
        self.log = open(self.log_path, "ab")
        # under make test-valgrind the stack's wrapper too, like the stack's own processes
        argv = shlex.split(os.environ.get("STVS_WRAPPER", "")) + [os.path.join(ROOT, "build", mode, "bin",
                                                                               "stvs-" + name)]
        self.proc = subprocess.Popen(argv, env=full, stdout=self.log, stderr=subprocess.STDOUT)

    def address(self):
        if self.listen.startswith("/"):
            return self.listen
        host, _, port = self.listen.rpartition(":")
        return (host or "127.0.0.1", int(port))

    def wait_ready(self, path, wait=20.0):
        """Until GET path answers 200 over FastCGI; fails if the process ends first."""
        deadline = time.monotonic() + wait
        last = None
        while time.monotonic() < deadline:
            ok(self.proc.poll() is None, "the process exited (%s) before answering: %s" % (self.proc.returncode,
                                                                                         self.log_tail()))
            try:
                last = fcgi.request(self.address(), "GET", path, timeout=3)
                if last[0] == 200:
                    return last
            except OSError as e:
                last = e
            time.sleep(0.2)
        raise AssertionError("no 200 from %s within %.0f s: %s" % (path, wait, last))

    def log_tail(self, n=4000):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read()[-n:].decode("utf-8", "replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()
        return self.proc.returncode
