"""Cross-cutting HTTP behaviour: routing (nginx + service), methods, media types,
body parsing and limits, X-Request-Id, problem+json shape, keep-alive, concurrency."""

import http.client
import json
import os
import time

import contract
from harness import (Client, HOST, PORT, BASE_PATH, LOG_DIR, eq, ok, status, json_ok, problem, field_errors,
                     new_phone, login, parallel, outbox_count)

MIB = 1024 * 1024


def _sms_body(phone=None):
    return json.dumps({"phone": phone or new_phone(), "purpose": "login"}).encode()


# ---------------------------------------------------------------- routes

def test_auth_health_is_200_ok_with_db_ok():
    r = Client().get("/auth/health")
    eq(json_ok(r, 200), {"status": "ok", "db": "ok"}, "health body")


def test_auth_health_routes_through_nginx_with_a_query_string():
    r = Client().get("/auth/health?probe=1&x=%20y")
    eq(json_ok(r, 200), {"status": "ok", "db": "ok"}, "health body")


def test_unknown_route_under_auth_is_404_not_found_problem():
    c = Client()
    for path in ("/auth/nope", "/auth/sms-codes/extra", "/auth/me/x", "/auth/healthz"):
        problem(c.get(path), 404, "not_found", "GET " + path)
    problem(c.post("/auth/nope", {"a": 1}), 404, "not_found", "POST /auth/nope")


def test_prefix_lookalike_of_auth_is_not_served_by_auth():
    r = Client().get("/authx/health")
    ok(r.status == 404, "/api/v1/authx/health should be 404, got %s" % r)


def test_unknown_api_path_is_404():
    r = Client().get("/no-such-service/health")
    ok(r.status == 404, "unknown /api/v1 path should be 404, got %s" % r)


# ---------------------------------------------------------------- methods

def _allow(resp):
    return {m.strip().upper() for m in (resp.header("Allow") or "").split(",") if m.strip()}


def test_wrong_method_on_known_path_is_405_with_allow_header():
    c = Client()
    cases = [("GET", "/auth/sessions", "POST"), ("PUT", "/auth/sms-codes", "POST"),
             ("GET", "/auth/tokens/refresh", "POST"), ("DELETE", "/auth/me", "GET"),
             ("POST", "/auth/jwks.json", "GET"), ("GET", "/auth/password", "PUT"),
             ("GET", "/auth/sessions/current", "DELETE"), ("POST", "/auth/health", "GET")]
    for method, path, allowed in cases:
        r = c.request(method, path)
        problem(r, 405, "method_not_allowed", "%s %s" % (method, path))
        ok(allowed in _allow(r), "%s %s: Allow should list %s, got %r" % (method, path, allowed, r.header("Allow")))


def test_patch_on_known_path_is_405_not_404():
    r = Client().request("PATCH", "/auth/sms-codes", json={"phone": new_phone()})
    problem(r, 405, "method_not_allowed")
    ok("POST" in _allow(r), "Allow should list POST, got %r" % r.header("Allow"))


# ---------------------------------------------------------------- media types

def test_text_plain_body_is_415_unsupported_media_type():
    phone = new_phone()
    r = Client().post("/auth/sms-codes", raw=_sms_body(phone), headers={"Content-Type": "text/plain"})
    problem(r, 415, "unsupported_media_type")
    eq(outbox_count(phone), 0, "no SMS may be sent for a refused request")


def test_body_without_content_type_is_415_unsupported_media_type():
    r = Client().post("/auth/sms-codes", raw=_sms_body())
    problem(r, 415, "unsupported_media_type")


def test_lookalike_media_type_is_415():
    for ct in ("application/jsonp", "application/jsonx"):
        r = Client().post("/auth/sms-codes", raw=_sms_body(), headers={"Content-Type": ct})
        problem(r, 415, "unsupported_media_type", "Content-Type " + ct)


def test_json_with_charset_utf8_is_accepted():
    r = Client().post("/auth/sms-codes", raw=_sms_body(),
                      headers={"Content-Type": "application/json; charset=utf-8"})
    status(r, 202, "application/json; charset=utf-8")


def test_successful_json_response_has_json_content_type():
    r = Client().post("/auth/sms-codes", {"phone": new_phone()})
    json_ok(r, 202)


# ---------------------------------------------------------------- body parsing

def test_unparseable_body_is_400_invalid_json():
    for raw in (b'{"phone":', b"{phone: 1}", b"not json", b'{"phone":"13812345678",}', b"{'a': 1}"):
        r = Client().post("/auth/sms-codes", raw=raw, headers={"Content-Type": "application/json"})
        problem(r, 400, "invalid_json", "body %r" % raw)


def test_empty_json_body_is_400_invalid_json():
    r = Client().post("/auth/sms-codes", raw=b"", headers={"Content-Type": "application/json"})
    problem(r, 400, "invalid_json")


def test_body_that_is_not_a_json_object_is_400_invalid_json():
    for raw in (b"[]", b'["13812345678"]', b'"13812345678"', b"42", b"null", b"true"):
        r = Client().post("/auth/sms-codes", raw=raw, headers={"Content-Type": "application/json"})
        problem(r, 400, "invalid_json", "body %r" % raw)


def test_duplicate_keys_are_400_invalid_json():
    a, b = new_phone(), new_phone()
    raw = ('{"phone":"%s","phone":"%s"}' % (a, b)).encode()
    r = Client().post("/auth/sms-codes", raw=raw, headers={"Content-Type": "application/json"})
    problem(r, 400, "invalid_json")
    eq(outbox_count(a) + outbox_count(b), 0, "no SMS may be sent for a duplicate-key body")


def test_invalid_utf8_body_is_400_invalid_json():
    raw = b'{"phone":"1381234567\xff"}'
    r = Client().post("/auth/sms-codes", raw=raw, headers={"Content-Type": "application/json"})
    problem(r, 400, "invalid_json")


def test_body_of_one_mib_plus_one_byte_is_413_problem():
    prefix = b'{"phone":"%s","pad":"' % new_phone().encode()
    raw = prefix + b"a" * (MIB + 1 - len(prefix) - 2) + b'"}'
    eq(len(raw), MIB + 1, "test body size")
    r = Client().post("/auth/sms-codes", raw=raw, headers={"Content-Type": "application/json"})
    problem(r, 413, "payload_too_large")


def test_body_of_exactly_one_mib_is_not_413():
    prefix = b'{"phone":"%s","pad":"' % new_phone().encode()
    raw = prefix + b"a" * (MIB - len(prefix) - 2) + b'"}'
    eq(len(raw), MIB, "test body size")
    r = Client().post("/auth/sms-codes", raw=raw, headers={"Content-Type": "application/json"})
    # The body is within the limit, so it is parsed: "pad" is an unknown field.
    field_errors(r, ("pad", "unknown_field"))


def test_body_of_three_mib_is_413_problem_json_from_nginx():
    raw = b'{"pad":"' + b"a" * (3 * MIB) + b'"}'
    r = Client().post("/auth/sms-codes", raw=raw, headers={"Content-Type": "application/json"})
    problem(r, 413, "payload_too_large")


# ---------------------------------------------------------------- X-Request-Id

def test_request_id_from_client_is_echoed():
    c = Client()
    r = c.get("/auth/health", headers={"X-Request-Id": "abc-123"})
    eq(r.header("X-Request-Id"), "abc-123", "X-Request-Id on 200")
    r = c.get("/auth/nope", headers={"X-Request-Id": "abc-124"})
    eq(r.header("X-Request-Id"), "abc-124", "X-Request-Id on 404")


def test_request_id_is_generated_when_absent_and_differs_per_request():
    c = Client()
    ids = [c.get("/auth/health").header("X-Request-Id") for _ in range(3)]
    ok(all(ids), "every response needs a generated X-Request-Id, got %r" % ids)
    eq(len(set(ids)), 3, "generated request ids should differ: %r" % ids)


def test_invalid_request_id_is_replaced_by_a_generated_one():
    c = Client()
    for bad in ("a" * 300, "abc def", "abc\tdef"):
        r = c.get("/auth/health", headers={"X-Request-Id": bad})
        got = r.header("X-Request-Id")
        ok(got, "X-Request-Id missing for bad input %r" % bad)
        ok(got != bad and not any(ch.isspace() for ch in got) and len(got) < 300,
           "bad X-Request-Id %r should be replaced, got %r" % (bad[:40], got[:80]))


def test_request_id_rules_hold_on_answers_nginx_makes_itself():
    c = Client()
    r = c.get("/no-such-service/x", headers={"X-Request-Id": "abc-125"})
    eq(r.header("X-Request-Id"), "abc-125", "X-Request-Id echoed on nginx's 404")
    for bad in ("a" * 300, "abc def"):
        r = c.get("/no-such-service/x", headers={"X-Request-Id": bad})
        got = r.header("X-Request-Id") or ""
        ok(got and got != bad and not any(ch.isspace() for ch in got),
           "nginx's 404 should replace bad X-Request-Id %r too, got %r" % (bad[:40], got[:80]))


def _access_line(name, req_id):
    """The access line (the one with dur_ms) of log `name` (in STVS_TEST_LOG_DIR) for req_id; waits up
    to 5 s for it (a handler's own lines for the request carry its req_id too)."""
    deadline = time.monotonic() + 5
    while True:
        with open(os.path.join(LOG_DIR, name), "rb") as f:
            for raw in f:
                if req_id.encode() in raw and b'"dur_ms"' in raw:
                    return json.loads(raw)
        ok(time.monotonic() < deadline, "no access line with req_id %s in %s" % (req_id, name))
        time.sleep(0.05)


def test_nginx_access_line_gives_the_duration_in_milliseconds_as_the_services_lines_do():
    # a wrong password: the argon2id check makes the request last milliseconds
    c = Client()
    s = login(c)
    status(c.put("/auth/password", {"password": "Correct-Horse-9"}, token=s["access_token"]), 204)
    rid = "dur-ms-%d" % time.time_ns()
    r = c.post("/auth/sessions", {"phone": s["phone"], "password": "Wrong-Horse-9"}, headers={"X-Request-Id": rid})
    problem(r, 401, "unauthorized")
    service, front = _access_line("auth.log", rid), _access_line("nginx-access.log", rid)
    ok(service["dur_ms"] >= 1, "the argon2id check should take a millisecond at least: %r" % service)
    ok(isinstance(front["dur_ms"], int), "nginx's dur_ms should be whole milliseconds: %r" % front)
    ok(front["dur_ms"] >= int(service["dur_ms"]),
       "nginx's dur_ms %r should cover the service's %r (both milliseconds)" % (front["dur_ms"], service["dur_ms"]))


def test_error_responses_carry_request_id_and_problem_shape():
    c = Client()
    r = c.post("/auth/sms-codes", {"phone": "123"}, headers={"X-Request-Id": "req-422-check"})
    field_errors(r, ("phone", "invalid_format"))
    eq(r.header("X-Request-Id"), "req-422-check", "X-Request-Id on 422")
    r = c.get("/auth/me", headers={"X-Request-Id": "req-401-check"})
    problem(r, 401, "unauthorized")
    eq(r.header("X-Request-Id"), "req-401-check", "X-Request-Id on 401")


# ---------------------------------------------------------------- connections, concurrency

def test_keepalive_connection_serves_sequential_requests():
    conn = http.client.HTTPConnection(HOST, PORT, timeout=10, source_address=(Client().addr, 0))
    try:
        for i in range(5):
            body = json.dumps({"phone": "12"}).encode() if i % 2 else None
            headers = {"Content-Type": "application/json"} if body else {}
            method, path = ("POST", BASE_PATH + "/auth/sms-codes") if body else ("GET", BASE_PATH + "/auth/health")
            conn.request(method, path, body=body, headers=headers)
            r = conn.getresponse()
            data = r.read()
            contract.check(method, path, r.status, r.headers, data)  # not through Client: checked here
            eq(r.status, 422 if body else 200, "request %d on one connection (%r)" % (i, data[:200]))
    finally:
        conn.close()


def test_parallel_logins_from_many_clients_all_succeed():
    phones = [new_phone() for _ in range(12)]
    results = parallel(lambda p: login(Client(), p), [(p,) for p in phones])
    errors = [r for r in results if isinstance(r, BaseException)]
    ok(not errors, "%d of %d parallel logins failed: %s" % (len(errors), len(phones), errors[:3]))
    eq([r["user"]["phone"] for r in results], phones, "each login returns its own user")
    eq(len({r["user"]["id"] for r in results}), len(phones), "distinct users")
