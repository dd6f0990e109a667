"""Every API response the tests receive, checked against the published contract,
docs/openapi.yaml, as the tests run (the harness calls check() from Client.request).

For a response to METHOD /api/v1/PATH it finds the path template of the yaml that
PATH matches (a literal segment beats a {parameter}, as OpenAPI says), then:
  - the status is one the operation documents (exactly, as 4XX, or default); or one of
    the errors nginx itself answers for every operation (openapi.yaml's conventions:
    "The operations below do not repeat these") with nginx's problem code;
  - the Content-Type's media type is one documented for that status (no content
    documented: no body);
  - a JSON body validates against the documented schema (JSON Schema 2020-12, the
    dialect of OpenAPI 3.1, by python3-jsonschema);
  - every header the response documents as required is present and matches its schema.
An unknown path must be the documented 404 not_found, and a known path called with a
method it does not have the documented 405 method_not_allowed. Paths outside /api/v1
(nginx's own pages) are not the contract's.

Nothing here knows an endpoint: new services and their paths in the yaml are checked
as soon as they are there. A mismatch is a string naming the request and what differs;
the runner fails the test that made the request. STVS_TEST_OPENAPI names another yaml;
STVS_TEST_CONTRACT=0 turns the check off.
"""

import json
import os
import re
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC_PATH = os.environ.get("STVS_TEST_OPENAPI", os.path.join(ROOT, "docs", "openapi.yaml"))
ENABLED = os.environ.get("STVS_TEST_CONTRACT", "1") != "0"

# openapi.yaml, info.description, "errors answered by nginx itself": status -> problem code.
NGINX_ERRORS = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large",
                414: "uri_too_long", 431: "header_too_large", 500: "internal", 501: "not_implemented",
                502: "unavailable", 503: "unavailable", 504: "unavailable", 505: "http_version_not_supported"}
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class Contract:
    def __init__(self, spec, base_path="/api/v1"):
        import jsonschema  # Debian: python3-jsonschema (scripts/deps.sh)
        self.spec = spec
        self.base_path = base_path.rstrip("/")
        self._resolver = jsonschema.RefResolver("", spec)
        self._validator_class = jsonschema.Draft202012Validator
        self._validators = {}
        self._lock = threading.Lock()  # RefResolver keeps a scope stack: one validation at a time
        self.templates = []
        for template, item in spec.get("paths", {}).items():
            parts = template.strip("/").split("/")
            rx = "/".join("[^/]+" if re.fullmatch(r"\{[^}]+\}", p) else re.escape(p) for p in parts)
            # more specific first: at each segment a literal before a parameter
            key = tuple(1 if p.startswith("{") else 0 for p in parts)
            self.templates.append((key, re.compile("/" + rx), template, item))
        self.templates.sort(key=lambda t: t[0])
        problem = self.resolve({"$ref": "#/components/schemas/Problem"})
        self._problem_schema = problem

    # ---------------------------------------------------------------- yaml

    def resolve(self, node):
        """node with its $ref followed (within this document), repeatedly."""
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 20:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise ValueError("only local $refs are supported: %r" % ref)
            node = self.spec
            for part in ref[2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            seen += 1
        return node

    def match(self, path):
        """(template, path item) for an API path without the base path and query, or (None, None)."""
        for _, rx, template, item in self.templates:
            if rx.fullmatch(path):
                return template, item
        return None, None

    def _errors(self, schema, value, limit=3):
        with self._lock:
            v = self._validators.get(id(schema))
            if v is None:
                v = self._validator_class(schema, resolver=self._resolver)
                self._validators[id(schema)] = (v, schema)  # keep schema alive: id() stays unique
            else:
                v = v[0]
            out = []
            for e in v.iter_errors(value):
                where = "/".join(str(p) for p in e.absolute_path) or "(root)"
                out.append("at %s: %s" % (where, _short(e.message)))
                if len(out) >= limit:
                    break
            return out

    # ---------------------------------------------------------------- one response

    def check(self, method, url, status, headers, body):
        """A list of mismatches (strings) of one exchange; empty when it keeps the contract.
        headers: any mapping with .items() (names in any case)."""
        headers = {k.lower(): v for k, v in headers.items()}
        path = url.split("?", 1)[0]
        if path != self.base_path and not path.startswith(self.base_path + "/"):
            return []  # not the API: nginx's own pages
        api_path = path[len(self.base_path):] or "/"
        template, item = self.match(api_path)
        name = "%s %s" % (method, url if len(url) < 160 else url[:160] + "...")
        if template is None:
            return self._global(name, "an unknown path", status, headers, body, {404: "not_found"})
        m = method.lower()
        head = m == "head"
        op = item.get(m) or (item.get("get") if head else None)
        if not isinstance(op, dict):
            return self._global(name + " (%s)" % template, "a method %s does not have" % template, status, headers,
                                body, {405: "method_not_allowed", 404: "not_found"})
        name += " (%s %s)" % (method, template)
        responses = op.get("responses", {})
        doc = responses.get(str(status)) or responses.get("%dXX" % (status // 100)) or responses.get("default")
        if doc is None:
            if status in NGINX_ERRORS:
                return self._global(name, "nginx's own errors", status, headers, body,
                                    {status: NGINX_ERRORS[status]})
            return ["%s -> %d: status not documented (documented: %s)"
                    % (name, status, ", ".join(sorted(str(k) for k in responses)))]
        return self._response(name, self.resolve(doc), status, headers, body, head)

    def _response(self, name, doc, status, headers, body, head):
        out = []
        ctype = (headers.get("content-type") or "").split(";", 1)[0].strip().lower()
        content = doc.get("content") or {}
        where = "%s -> %d %s" % (name, status, ctype or "(no content type)")
        for hname, hdoc in (doc.get("headers") or {}).items():
            hdoc = self.resolve(hdoc)
            value = headers.get(hname.lower())
            if value is None:
                if hdoc.get("required"):
                    out.append("%s: lacks the documented header %s" % (where, hname))
                continue
            schema = hdoc.get("schema")
            if schema is not None:
                v = _header_value(value, self.resolve(schema))
                out += ["%s: header %s %r %s" % (where, hname, value, e) for e in self._errors(schema, v, 1)]
        if not content:
            if body and not head:
                out.append("%s: a body where none is documented: %r" % (where, body[:120]))
            return out
        media = content.get(ctype) or _wildcard(content, ctype)
        if media is None:
            out.append("%s: content type not documented (documented: %s)" % (where, ", ".join(sorted(content))))
            return out
        if head or "schema" not in media:
            return out
        if not (ctype.endswith("/json") or ctype.endswith("+json")):
            return out
        try:
            value = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            return out + ["%s: body is not JSON (%s): %r" % (where, e, body[:120])]
        out += ["%s: body %s" % (where, e) for e in self._errors(media["schema"], value)]
        return out

    def _global(self, name, what, status, headers, body, allowed):
        """A response the conventions describe for every path: a problem with the given code."""
        if status in allowed or status in NGINX_ERRORS:
            code = allowed.get(status) or NGINX_ERRORS[status]
            where = "%s -> %d" % (name, status)
            ctype = (headers.get("content-type") or "").split(";", 1)[0].strip().lower()
            if ctype != "application/problem+json":
                return ["%s (%s): Content-Type %r, not application/problem+json" % (where, what, ctype)]
            try:
                value = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                return ["%s (%s): body is not JSON (%s)" % (where, what, e)]
            out = ["%s (%s): body %s" % (where, what, e) for e in self._errors(self._problem_schema, value)]
            if isinstance(value, dict) and value.get("code") != code:
                out.append("%s (%s): problem code %r, the conventions say %r" % (where, what, value.get("code"), code))
            return out
        return ["%s -> %d: %s answers only %s" % (name, status, what,
                                                   " or ".join("%d %s" % kv for kv in sorted(allowed.items())))]


def _short(msg, n=300):
    return msg if len(msg) <= n else msg[:n] + "..."


def _wildcard(content, ctype):
    major = ctype.split("/", 1)[0]
    return content.get(major + "/*") or content.get("*/*")


def _header_value(value, schema):
    """A header's text as the type its schema says (integers for Retry-After)."""
    if isinstance(schema, dict) and schema.get("type") == "integer" and re.fullmatch(r"-?[0-9]+", value.strip()):
        return int(value)
    return value


# ---------------------------------------------------------------- the run's contract and its findings

_contract = None
_load_error = None
_found = []
_found_lock = threading.Lock()


def load(base_path):
    """Read the yaml once, before the first request (so no test pays for it)."""
    global _contract, _load_error
    if not ENABLED or _contract is not None:
        return
    try:
        import yaml
        with open(SPEC_PATH, "rb") as f:
            spec = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        _contract = Contract(spec, base_path)
    except Exception as e:  # reported as every test's failure: the check must not vanish silently
        _load_error = "contract check unavailable (%s: %s): %s" % (type(e).__name__, e, SPEC_PATH)


_checked = {"n": 0, "seconds": 0.0}


def check(method, url, status, headers, body):
    """Check one exchange; mismatches are kept until take()."""
    if not ENABLED:
        return
    t0 = time.perf_counter()
    if _contract is None:
        problems = [_load_error or "contract check not loaded"]
    else:
        try:
            problems = _contract.check(method, url, status, headers, body)
        except Exception as e:  # a bug here is a finding, never a crash of the test
            problems = ["%s %s -> %d: contract check failed: %s: %s" % (method, url, status, type(e).__name__, e)]
    with _found_lock:
        _found.extend(problems)
        _checked["n"] += 1
        _checked["seconds"] += time.perf_counter() - t0


def summary():
    """One line for the end of the run: how many responses, at what cost."""
    if not ENABLED:
        return "contract: not checked (STVS_TEST_CONTRACT=0)"
    return "contract: %d responses checked against %s in %.1f s" % (
        _checked["n"], os.path.relpath(SPEC_PATH, ROOT), _checked["seconds"])


def take():
    """The mismatches found since the last take(), distinct, in order."""
    with _found_lock:
        out = list(dict.fromkeys(_found))
        del _found[:]
    return out
