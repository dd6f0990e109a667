#!/usr/bin/env python3
"""Sign-up latency with and without an import running: THREADS clients loop
POST /activities/{id}/signups + DELETE .../signups/me for SECONDS, first on
an idle stack, then while N rows (default 50,000) are validated and
committed; prints p50/p99 of the sign-ups of each phase and their ratio.

    STVS_TEST_BASE=... STVS_TEST_PSQL=... STVS_TEST_OUTBOX=... python3 bench/import_signup_p99.py [N]

Python clients on the same machine: the absolute numbers include their own
overhead; the ratio is what the issue's rule (within 1.5x) is about."""
import os
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "api"))
import test_activities as ta  # noqa: E402
import test_imports as t  # noqa: E402
from harness import json_ok, register_volunteer  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 50000
THREADS = int(os.environ.get("THREADS", "4"))
SECONDS = float(os.environ.get("SECONDS", "20"))

org, admin = t.approved_org()
act = ta._create(admin, org["id"], capacity=100000)
vols = [register_volunteer() for _ in range(THREADS)]


def loop(v, lat, stop):
    path = "/activities/%d/signups" % act["id"]
    while not stop.is_set():
        t0 = time.monotonic()
        r = v["client"].post(path, token=v["token"])
        lat.append(time.monotonic() - t0)
        if r.status != 201:
            raise SystemExit("sign-up answered %s" % r)
        v["client"].delete(path + "/me", token=v["token"])


def phase(until):
    lat, stop = [], threading.Event()
    ths = [threading.Thread(target=loop, args=(v, lat, stop)) for v in vols]
    for th in ths:
        th.start()
    until()
    stop.set()
    for th in ths:
        th.join()
    lat.sort()
    return len(lat), lat[len(lat) // 2] * 1000, lat[int(len(lat) * 0.99)] * 1000


idle = phase(lambda: time.sleep(SECONDS))
print("idle:        %d sign-ups, p50 %.1f ms, p99 %.1f ms" % idle)

data = t.xlsx_bytes(t.sheet_of([t.row_cells(序号=str(i + 1)) for i in range(N)]))


def import_once():
    body = json_ok(t.upload(admin, data, org["id"]), 202, "upload")
    t.wait_status(admin, body["id"], "validated", timeout=900)
    json_ok(t.commit(admin, body["id"]), 202, "commit")
    t.wait_status(admin, body["id"], "committed", timeout=900)


t0 = time.monotonic()
busy = phase(import_once)
print("during import (%d rows, %.1f s): %d sign-ups, p50 %.1f ms, p99 %.1f ms"
      % ((N, time.monotonic() - t0) + busy))
print("p99 ratio: %.2f" % (busy[2] / idle[2]))
