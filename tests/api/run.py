#!/usr/bin/env python3
"""Run the black-box API tests: python3 tests/api/run.py [substring ...]

Runs every top-level test_* function of every tests/api/test_*.py, in file
order; the files run in ORDER first (the database restart last), then any
others alphabetically. Arguments keep only tests whose "module.function"
contains one of them. Every response is also checked against docs/openapi.yaml
(contract.py). Last line: "N passed, N failed"; exit 1 on any failure.
"""

import glob
import importlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the checkout

import contract  # noqa: E402
import harness  # noqa: E402

ORDER = ["test_http", "test_auth", "test_forged_tokens", "test_db_restart"]
LAST = ["test_stop"]


def module_names():
    found = sorted(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(HERE, "test_*.py")))
    first = [m for m in ORDER if m in found]
    restart = [m for m in first if m == "test_db_restart"]
    first = [m for m in first if m != "test_db_restart"]
    others = [m for m in found if m not in ORDER + LAST]
    # the database restart runs late; the graceful stop (it ends a service) last
    return first + others + restart + [m for m in LAST if m in found]


def main(argv):
    filters = [a for a in argv if a]
    modules = []
    load_errors = 0
    for name in module_names():
        try:
            modules.append(importlib.import_module(name))
        except Exception as e:  # a broken test file is a failure, not a crash
            load_errors += 1
            print("FAIL %s (import): %s: %s" % (name, type(e).__name__, e))
    tests = harness.collect(modules, filters)
    if not harness.wait_for_service():
        print("warning: %s/auth/health did not answer 200 within 15 s" % harness.BASE)
    sys.stdout.flush()
    passed, failed = harness.run_tests(tests)
    failed += load_errors
    print(contract.summary())
    print("%d passed, %d failed" % (passed, failed))
    sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
