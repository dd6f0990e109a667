"""The contract check itself (contract.py): that it can fail. Made-up answers, no HTTP:
each row is an exchange and whether docs/openapi.yaml allows it, so a check that
quietly accepted everything would fail here rather than pass the whole suite."""

import contract
from harness import BASE_PATH, eq, ok

JSON = "application/json"
PROBLEM = "application/problem+json"
RID = {"X-Request-Id": "contract-self-test"}


def _problem(status, code):
    return ('{"type":"about:blank","title":"t","status":%d,"code":"%s","detail":"d"}' % (status, code)).encode()


# (why, method, path, status, content type, body, allowed)
ROWS = [
    ("a documented answer keeps the contract",
     "GET", "/auth/health", 200, JSON, b'{"status":"ok","db":"ok"}', True),
    ("a status the operation does not document breaks it",
     "GET", "/auth/health", 201, JSON, b'{"status":"ok","db":"ok"}', False),
    ("a content type the status does not document breaks it",
     "GET", "/auth/health", 200, "text/html", b"<p>ok</p>", False),
    ("a body its schema refuses breaks it",
     "GET", "/auth/health", 200, JSON, b'{"status":"fine"}', False),
    ("a body that is not JSON breaks it",
     "GET", "/auth/health", 200, JSON, b"ok", False),
    ("an unknown path answered 404 not_found keeps it",
     "GET", "/no/such/path", 404, PROBLEM, _problem(404, "not_found"), True),
    ("an unknown path answered 200 breaks it",
     "GET", "/no/such/path", 200, JSON, b"{}", False),
    ("an unknown path answered 404 with another code breaks it",
     "GET", "/no/such/path", 404, PROBLEM, _problem(404, "forbidden"), False),
    ("a method the path lacks answered 405 method_not_allowed keeps it",
     "DELETE", "/auth/health", 405, PROBLEM, _problem(405, "method_not_allowed"), True),
    ("a method the path lacks answered 200 breaks it",
     "DELETE", "/auth/health", 200, JSON, b'{"status":"ok","db":"ok"}', False),
    ("nginx's own 502 unavailable is allowed on every operation",
     "GET", "/auth/health", 502, PROBLEM, _problem(502, "unavailable"), True),
    ("nginx's own 502 as text/html breaks it",
     "GET", "/auth/health", 502, "text/html", b"<html>Bad Gateway</html>", False),
    ("a query string does not change the path template",
     "GET", "/auth/health?x=1", 200, JSON, b'{"status":"ok","db":"ok"}', True),
]


def test_the_contract_check_tells_kept_from_broken_answers():
    c = contract._contract
    ok(c is not None, "the contract is loaded: %s" % contract._load_error)
    wrong = []
    for why, method, path, status, ctype, body, allowed in ROWS:
        found = c.check(method, BASE_PATH + path, status, dict(RID, **{"Content-Type": ctype}), body)
        if (not found) != allowed:
            wrong.append("%s: %s" % (why, found or "nothing found"))
    eq(wrong, [], "rows the check got wrong")


def test_a_documented_header_that_is_missing_breaks_the_contract():
    c = contract._contract
    found = c.check("GET", BASE_PATH + "/auth/health", 200, {"Content-Type": JSON}, b'{"status":"ok","db":"ok"}')
    ok(any("X-Request-Id" in f for f in found), "a 200 without X-Request-Id is found: %s" % found)


def test_every_path_template_of_the_yaml_is_matched_by_itself_and_a_literal_beats_a_parameter():
    c = contract._contract
    wrong = []
    for _, _, template, _ in c.templates:
        concrete = "/".join("7" if p.startswith("{") else p for p in template.split("/"))
        got, _ = c.match(concrete)
        # a concrete path may belong to a more literal template (/orgs/health, not /orgs/{id})
        if got is None or (got != template and got.count("{") >= template.count("{")):
            wrong.append("%s matched %s" % (concrete, got))
    eq(wrong, [], "templates")
    eq(c.match("/volunteers/me")[0], "/volunteers/me", "/volunteers/me is not /volunteers/{id}")
    eq(c.match("/orgs/health")[0], "/orgs/health", "/orgs/health is not /orgs/{id}")


def test_every_operation_of_the_yaml_answers_a_control_character_in_the_query_with_its_documented_422():
    """API.md v1.1: in every service a control character in a query value is a 422 naming
    the parameter, answered after authentication and before the endpoint reads anything,
    so nothing is changed. Every operation of the yaml (ids 1), with a volunteer's token;
    the contract check then holds each answer to what the yaml documents for it."""
    from harness import call_as, only_error, register_volunteer
    vol = register_volunteer()
    wrong = []
    for _, _, template, item in contract._contract.templates:
        path = "/".join("1" if p.startswith("{") else p for p in template.split("/"))
        for method in contract.METHODS:
            if not isinstance(item.get(method), dict):
                continue
            r = call_as(vol, method.upper(), path + "?x=a%01b")
            try:
                only_error(r, "x", "control_character", "%s %s" % (method.upper(), template))
            except AssertionError as e:
                wrong.append(str(e)[:300])
    eq(wrong, [], "operations that did not answer 422 control_character")


def test_every_operation_of_the_yaml_called_anonymously_without_a_body_answers_as_documented():
    """No token, no body, ids 1: a protected route answers 401, a public one whatever its
    rules say of an empty call (never a 5xx); the contract check holds each answer to the
    yaml, so an undocumented 401 or refusal shows here."""
    from harness import Client
    wrong = []
    for _, _, template, item in contract._contract.templates:
        if template.endswith("/health"):
            continue  # no rules to probe; a health answer is 200 or 503 by the database
        path = "/".join("1" if p.startswith("{") else p for p in template.split("/"))
        for method in contract.METHODS:
            if isinstance(item.get(method), dict):
                r = Client().request(method.upper(), path)
                if r.status >= 500:
                    wrong.append("%s %s -> %d" % (method.upper(), template, r.status))
    eq(wrong, [], "operations that answered 5xx to an empty anonymous call")
