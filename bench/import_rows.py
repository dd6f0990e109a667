#!/usr/bin/env python3
"""Import throughput: N volunteer rows (default 50,000) uploaded as one .xlsx,
validated and committed against a running stack; prints rows/s of each step.

    STVS_TEST_BASE=... STVS_TEST_PSQL=... STVS_TEST_OUTBOX=... python3 bench/import_rows.py [N]

Uses the API tests' harness and fixture generators (tests/api), so the stack
is reached exactly as the tests reach it (make test's environment)."""
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "api"))
import test_imports as t  # noqa: E402
from harness import json_ok  # noqa: E402

n = int(sys.argv[1]) if len(sys.argv) > 1 else 50000
org, admin = t.approved_org()
people = [t.row_cells(序号=str(i + 1)) for i in range(n)]
data = t.xlsx_bytes(t.sheet_of(people))
print("file: %d rows, %.1f MiB" % (n, len(data) / 1048576))
t0 = time.monotonic()
r = t.upload(admin, data, org["id"])
body = json_ok(r, 202, "upload")
t1 = time.monotonic()
done = t.wait_status(admin, body["id"], "validated", timeout=600)
t2 = time.monotonic()
json_ok(t.commit(admin, body["id"]), 202, "commit")
done = t.wait_status(admin, body["id"], "committed", timeout=600)
t3 = time.monotonic()
print("upload (request, checks the file): %.2f s" % (t1 - t0))
print("validate: %.1f s, %.0f rows/s" % (t2 - t1, n / (t2 - t1)))
print("commit:   %.1f s, %.0f rows/s" % (t3 - t2, n / (t3 - t2)))
print("total:    %.1f s (counts %s)" % (t3 - t0, done["counts"]))
