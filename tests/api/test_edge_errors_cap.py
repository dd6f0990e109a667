"""A 422 lists at most 100 errors (API.md v1.1); past that "errors_truncated": true, so a
body of 96,334 unknown keys is a small answer, not 8 MB of errors."""

import itertools
import json
import string

from harness import Client, eq, ok, problem, new_phone


def _keys(n):
    alphabet = string.ascii_letters + string.digits
    return ("".join(t) for t in itertools.islice(itertools.product(alphabet, repeat=3), n))


def _post(n_unknown):
    body = {"phone": new_phone(), "purpose": "login"}
    for k in _keys(n_unknown):
        body["x" + k] = 0
    raw = json.dumps(body, separators=(",", ":")).encode()
    ok(len(raw) < 1024 * 1024, "test body must stay under 1 MiB: %d bytes" % len(raw))
    return Client().post("/auth/sms-codes", raw=raw, headers={"Content-Type": "application/json"})


def test_96334_unknown_keys_answer_100_errors_and_errors_truncated():
    r = _post(96334)
    body = problem(r, 422, "validation_failed")
    eq(len(body["errors"]), 100, "errors listed")
    ok(all(e["code"] == "unknown_field" for e in body["errors"]), "every listed error is unknown_field")
    eq(body.get("errors_truncated"), True, "errors_truncated")
    eq(body["detail"], "96334 fields are invalid", "detail counts every bad field")
    ok(len(r.body) < 20000, "the answer is small: %d bytes" % len(r.body))


def test_exactly_100_errors_are_all_listed_without_errors_truncated():
    body = problem(_post(100), 422, "validation_failed")
    eq(len(body["errors"]), 100, "errors listed")
    ok("errors_truncated" not in body, "no errors_truncated at 100: %r" % sorted(body))


def test_101_errors_list_100_and_say_errors_truncated():
    body = problem(_post(101), 422, "validation_failed")
    eq(len(body["errors"]), 100, "errors listed")
    eq(body.get("errors_truncated"), True, "errors_truncated")
    eq(body["detail"], "101 fields are invalid", "detail")
