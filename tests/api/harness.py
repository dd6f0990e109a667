"""Black-box test harness for the STVS API: HTTP client, fixtures, assertions,
JWT forging helpers and a tiny test runner. Standard library only, but for
contract.py (python3-yaml, python3-jsonschema), which checks every response against
docs/openapi.yaml: a response that breaks it fails the test that received it.

Environment (set by tests/run.sh):
  STVS_TEST_BASE             http://127.0.0.1:18080/api/v1
  STVS_TEST_OUTBOX           dev SMS outbox (JSON lines)
  STVS_TEST_PSQL             psql command prefix (superuser, test db)
  STVS_TEST_PG_STOP/_START   shell commands that stop/start the test PostgreSQL
  STVS_TEST_JWT_PRIVATE_KEY  ES256 private key PEM the auth service signs with
  STVS_TEST_JWT_ISS / _AUD   expected iss / aud claims
  STVS_TEST_LOG_DIR          directory of the service logs (auth.log, volunteer.log, nginx-access.log, ...)
  STVS_TEST_OPENAPI          the contract (default docs/openapi.yaml); STVS_TEST_CONTRACT=0: no check
"""

import base64
import datetime
import http.client
import json as _json
import os
import re
import atexit
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import io
import xml.etree.ElementTree as _ET
import zipfile

import contract

BASE = os.environ.get("STVS_TEST_BASE", "http://127.0.0.1:18080/api/v1").rstrip("/")
_base = urllib.parse.urlsplit(BASE)
HOST = _base.hostname or "127.0.0.1"
PORT = _base.port or 80
BASE_PATH = _base.path.rstrip("/")  # "/api/v1"
contract.load(BASE_PATH)  # every response is checked against docs/openapi.yaml (contract.py)

OUTBOX = os.environ.get("STVS_TEST_OUTBOX", "var/sms-outbox.jsonl")
PSQL = os.environ.get("STVS_TEST_PSQL", "psql -X -q -At -v ON_ERROR_STOP=1")
PG_STOP = os.environ.get("STVS_TEST_PG_STOP", "")
PG_START = os.environ.get("STVS_TEST_PG_START", "")
JWT_KEY = os.environ.get("STVS_TEST_JWT_PRIVATE_KEY", "")
JWT_ISS = os.environ.get("STVS_TEST_JWT_ISS", "stvs")
JWT_AUD = os.environ.get("STVS_TEST_JWT_AUD", "stvs-api")
LOG_DIR = os.environ.get("STVS_TEST_LOG_DIR", "")

TIMEOUT = 10  # seconds, every HTTP call


# ---------------------------------------------------------------- addresses, phones

_addr_lock = threading.Lock()
_addr_next = secrets.randbelow(254 * 254)  # random start: reruns on a kept db stay apart


def next_addr():
    """A fresh loopback source address in 127.0.1.1 .. 127.0.254.254."""
    global _addr_next
    with _addr_lock:
        n = _addr_next % (254 * 254)
        _addr_next += 1
    return "127.0.%d.%d" % (n // 254 + 1, n % 254 + 1)


def new_phone():
    """A random mainland mobile number: 1, [3-9], 9 digits."""
    return "1" + secrets.choice("3456789") + "".join(secrets.choice("0123456789") for _ in range(9))


# ---------------------------------------------------------------- HTTP client

class Response:
    def __init__(self, method, path, status, reason, headers, body):
        self.method, self.path = method, path
        self.status, self.reason = status, reason
        self.headers = headers  # http.client.HTTPMessage: .get() is case-insensitive
        self.body = body
        self._json = None

    def header(self, name, default=None):
        return self.headers.get(name, default)

    @property
    def content_type(self):
        return self.headers.get("Content-Type", "") or ""

    def json(self):
        """The body as JSON; duplicate keys in a response are a failure too."""
        if self._json is None:
            def no_dups(pairs):
                keys = [k for k, _ in pairs]
                dups = {k for k in keys if keys.count(k) > 1}
                if dups:
                    raise AssertionError("response JSON has duplicate keys %s: %s" % (sorted(dups), self))
                return dict(pairs)
            try:
                self._json = _json.loads(self.body.decode("utf-8"), object_pairs_hook=no_dups)
            except (UnicodeDecodeError, ValueError) as e:
                raise AssertionError("response body is not JSON (%s): %s" % (e, self))
        return self._json

    def __repr__(self):
        body = self.body[:400].decode("utf-8", "replace")
        return "<%s %s -> %s %s [%s] %s>" % (self.method, self.path, self.status, self.reason,
                                             self.content_type, body)

    __str__ = __repr__


class Client:
    """One client = one loopback source address (so per-address limits never leak)."""

    def __init__(self, addr=None):
        self.addr = addr or next_addr()

    def url(self, path, absolute=False):
        return path if absolute else BASE_PATH + path

    def request(self, method, path, json=None, raw=None, headers=None, token=None,
                absolute=False, timeout=TIMEOUT):
        """Send one request on a fresh connection. json= serializes a value with
        Content-Type application/json; raw= sends bytes as-is (set Content-Type
        yourself in headers). absolute=True uses path without the /api/v1 prefix."""
        hdrs = {}
        body = None
        if json is not None:
            body = _json.dumps(json, ensure_ascii=False).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        if raw is not None:
            body = raw if isinstance(raw, bytes) else raw.encode("utf-8")
        if token is not None:
            hdrs["Authorization"] = "Bearer " + token
        hdrs.update(headers or {})
        if body is None and method in ("POST", "PUT", "PATCH"):
            body = b""
        url = self.url(path, absolute)
        conn = http.client.HTTPConnection(HOST, PORT, timeout=timeout, source_address=(self.addr, 0))
        send_error = None
        try:
            conn.putrequest(method, url, skip_accept_encoding=True)
            for k, v in hdrs.items():
                if v is not None:
                    conn.putheader(k, v)
            if body is not None and not any(k.lower() == "content-length" for k in hdrs):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders()
            if body:
                # The server may answer (413) and stop reading before we are done.
                try:
                    for i in range(0, len(body), 65536):
                        conn.send(body[i:i + 65536])
                except (BrokenPipeError, ConnectionResetError) as e:
                    send_error = e
            try:
                r = conn.getresponse()
                data = r.read()
            except (ConnectionResetError, http.client.RemoteDisconnected) as e:
                raise AssertionError("%s %s: no response (%s; send error: %r)" % (method, url, e, send_error))
            contract.check(method, url, r.status, r.headers, data)
            return Response(method, url, r.status, r.reason, r.headers, data)
        finally:
            conn.close()

    # shorthands
    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.request("POST", path, json=json, **kw)

    def put(self, path, json=None, **kw):
        return self.request("PUT", path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.request("PATCH", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


# ---------------------------------------------------------------- assertions

def fail(msg):
    raise AssertionError(msg)


def ok(cond, msg):
    if not cond:
        raise AssertionError(msg)


def eq(actual, expected, msg=""):
    if actual != expected:
        raise AssertionError("%s%sexpected %r, got %r" % (msg, ": " if msg else "", expected, actual))


def status(resp, code, msg=""):
    """Assert the HTTP status; the message shows the whole response."""
    if resp.status != code:
        raise AssertionError("%s%sexpected HTTP %d, got %s" % (msg, ": " if msg else "", code, resp))
    return resp


def json_ok(resp, code=200, msg=""):
    """Assert status and an application/json body; return the parsed body."""
    status(resp, code, msg)
    ok(resp.content_type.lower().startswith("application/json"),
       "%s: Content-Type should be application/json: %s" % (msg or "response", resp))
    ok(resp.header("X-Request-Id"), "response lacks X-Request-Id: %s" % resp)
    return resp.json()


def problem(resp, code_status, code, msg=""):
    """Assert an RFC 9457 problem: status, content type, shape, code, X-Request-Id."""
    pre = msg + ": " if msg else ""
    if resp.status != code_status:
        fail("%sexpected %d %s, got %s" % (pre, code_status, code, resp))
    ok(resp.content_type.lower().startswith("application/problem+json"),
       "%sContent-Type should be application/problem+json: %s" % (pre, resp))
    body = resp.json()
    ok(isinstance(body, dict), "%sproblem body is not an object: %s" % (pre, resp))
    for k in ("type", "title", "status", "code"):
        ok(k in body, "%sproblem body lacks %r: %s" % (pre, k, resp))
    eq(body["type"], "about:blank", pre + "problem type")
    ok(isinstance(body["title"], str) and body["title"], "%sproblem title should be a non-empty string: %s" % (pre, resp))
    eq(body["status"], code_status, pre + "problem status field")
    eq(body["code"], code, pre + "problem code")
    if "detail" in body:
        ok(isinstance(body["detail"], str), "%sproblem detail should be a string: %s" % (pre, resp))
    if "errors" in body:
        ok(isinstance(body["errors"], list), "%serrors should be a list: %s" % (pre, resp))
        for e in body["errors"]:
            ok(isinstance(e, dict) and isinstance(e.get("field"), str) and isinstance(e.get("code"), str)
               and isinstance(e.get("message"), str),
               "%seach error needs string field/code/message: %s" % (pre, e))
    ok(resp.header("X-Request-Id"), "%sproblem response lacks X-Request-Id: %s" % (pre, resp))
    return body


def field_errors(resp, *pairs):
    """Assert a 422 validation_failed listing every (field, code) pair given."""
    body = problem(resp, 422, "validation_failed")
    got = [(e.get("field"), e.get("code")) for e in body.get("errors", [])]
    for pair in pairs:
        ok(pair in got, "expected error %r in errors %r: %s" % (pair, got, resp))
    return body


def retry_after(resp, lo=1, hi=None):
    """Assert Retry-After is an integer in [lo, hi]; return it."""
    v = resp.header("Retry-After")
    ok(v is not None, "429 without Retry-After: %s" % resp)
    ok(re.fullmatch(r"[0-9]+", v.strip()), "Retry-After should be integer seconds, got %r" % v)
    n = int(v)
    ok(n >= lo and (hi is None or n <= hi), "Retry-After %d outside [%s, %s]" % (n, lo, hi))
    return n


# ---------------------------------------------------------------- database, PostgreSQL control

def sql_str(s):
    return "'" + str(s).replace("'", "''") + "'"


def psql(sql):
    """Run SQL as superuser against the test db; return stdout (stripped)."""
    r = subprocess.run(shlex.split(PSQL) + ["-c", sql], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        fail("psql failed (%d) for %r: %s" % (r.returncode, sql, r.stderr.strip()))
    return r.stdout.strip()


def shell(cmd, timeout=90):
    ok(cmd, "shell command not configured (check STVS_TEST_PG_STOP/STVS_TEST_PG_START)")
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        fail("command failed (%d): %s: %s %s" % (r.returncode, cmd, r.stdout.strip(), r.stderr.strip()))
    return r.stdout


def backdate_sends(phone, seconds=61):
    """Time machine for the resend cooldown: age this phone's sends."""
    psql("UPDATE auth.sms_sends SET sent_at = sent_at - interval '%d seconds' WHERE phone = %s"
         % (seconds, sql_str(phone)))


# ---------------------------------------------------------------- SMS outbox

def outbox_entries(phone):
    try:
        with open(OUTBOX, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    out = []
    for line in data.splitlines():
        try:
            e = _json.loads(line)
        except ValueError:
            continue  # a half-written last line
        if isinstance(e, dict) and e.get("phone") == phone:
            out.append(e)
    return out


def outbox_count(phone):
    return len(outbox_entries(phone))


def outbox_entry(phone, min_count=1, wait=2.0):
    """The latest outbox message for phone, once at least min_count exist (poll up to wait s)."""
    deadline = time.monotonic() + wait
    while True:
        es = outbox_entries(phone)
        if len(es) >= min_count:
            return es[-1]
        if time.monotonic() >= deadline:
            fail("no SMS #%d for %s in outbox %s (found %d)" % (min_count, phone, OUTBOX, len(es)))
        time.sleep(0.05)


def outbox_code(phone, min_count=1):
    return outbox_entry(phone, min_count)["code"]


# ---------------------------------------------------------------- auth flows

def send_code(client, phone, backdate=True):
    """Request a login code and return it. Ages earlier sends of this phone first
    (backdate) so that repeated logins in one test don't hit the 60 s cooldown."""
    n = outbox_count(phone)
    if n and backdate:
        backdate_sends(phone)
    r = client.post("/auth/sms-codes", {"phone": phone, "purpose": "login"})
    status(r, 202, "send code for %s" % phone)
    return outbox_code(phone, n + 1)


def login(client, phone=None):
    """Code login; returns the token response with .phone added. Creates the account on first use."""
    phone = phone or new_phone()
    code = send_code(client, phone)
    r = client.post("/auth/sessions", {"phone": phone, "code": code})
    body = json_ok(r, 200, "code login for %s" % phone)
    body["phone"] = phone
    return body


def refresh(client, refresh_token):
    return client.post("/auth/tokens/refresh", {"refresh_token": refresh_token})


def me(client, token):
    return client.get("/auth/me", token=token)


def grant_platform_admin(user_id, region_code):
    """Make an account a platform admin of region_code (000000: the whole country), as
    `make admin` does: straight into the database, never over HTTP."""
    psql("INSERT INTO auth.platform_admins (user_id, region_code) VALUES (%d, %s)"
         % (int(user_id), sql_str(region_code)))


def platform_admin(*region_codes, client=None):
    """A fresh account made platform admin of each region; returns the login body
    (access_token, phone, user, ...) with .client added."""
    client = client or Client()
    s = login(client)
    for code in region_codes:
        grant_platform_admin(s["user"]["id"], code)
    s["client"] = client
    return s


# ---------------------------------------------------------------- masking

def mask_phone(phone):
    """How a phone shows to those who may not see it in full: 138****5678."""
    return phone[:3] + "****" + phone[-4:]


def mask_id_number(id_number):
    """How an ID number always shows: first 4, ten '*', last 4 (check char upper case)."""
    return id_number[:4].upper() + "*" * 10 + id_number[-4:].upper()


# ---------------------------------------------------------------- resident ID numbers (GB 11643)

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"


def id_check_char(first17):
    """The GB 11643 check character of 17 digits."""
    return ID_CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


def china_today(margin=5.0):
    """Today's date in China (UTC + 8 h), as the server decides ages. Within margin
    seconds of midnight there it waits for the new day, so that test and server agree."""
    now = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)
    midnight = datetime.datetime.combine(now.date() + datetime.timedelta(days=1), datetime.time(),
                                         tzinfo=now.tzinfo)
    left = (midnight - now).total_seconds()
    if left < margin:
        time.sleep(left + 0.5)
        return midnight.date()
    return now.date()


def random_birth_date(first_year=1950, last_year=2000):
    """A uniformly random real date in [first_year-01-01, last_year-12-31]."""
    lo = datetime.date(first_year, 1, 1)
    hi = datetime.date(last_year, 12, 31)
    return lo + datetime.timedelta(days=secrets.randbelow((hi - lo).days + 1))


def make_id_number(region="410702", birth=None, male=None, check=None):
    """A valid 18-character resident ID: region prefix + YYYYMMDD (a date or an
    8-character string, real or not) + 3 random sequence digits (odd 3rd digit if male,
    even if female, random if None) + the right check char (or check= to force one)."""
    if birth is None:
        birth = random_birth_date()
    ymd = birth if isinstance(birth, str) else birth.strftime("%Y%m%d")
    seq = "%02d" % secrets.randbelow(100)
    last = secrets.randbelow(10) if male is None else secrets.choice((1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8))
    first17 = region + ymd + seq + str(last)
    return first17 + (check if check is not None else id_check_char(first17))


# ---------------------------------------------------------------- volunteers

_CJK_NAME_CHARS = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰文斌宇浩然"
                   "晨曦思远嘉怡子涵梓萱欣妍雨桐博文梦琪一诺佳琪俊杰天宇鑫磊瑞海燕春梅秋菊")


def unique_name_part(n=6):
    """n random Chinese characters: a name fragment no other test will produce."""
    return "".join(secrets.choice(_CJK_NAME_CHARS) for _ in range(n))


OMIT = object()  # volunteer_body(field=OMIT) leaves the field out


def volunteer_body(**fields):
    """A valid POST /volunteers body with a fresh ID number and a unique Chinese name,
    in county 410702 unless region_code says otherwise; keyword arguments replace
    fields, and a value of OMIT drops one."""
    region = fields.get("region_code")
    if not (isinstance(region, str) and re.fullmatch(r"[0-9]{6}", region)):
        region = "410702"
    body = {
        "real_name": "测试" + unique_name_part(),
        "id_number": make_id_number(region),
        "political_status": "masses",
        "ethnicity": "01",
        "employer": "新乡市科学技术协会",
        "title": "intermediate",
        "education": "bachelor",
        "occupation": "public_institution",
        "region_code": "410702",
        "service_categories": ["training", "lecture"],
        "service_fields": ["agri_tech"],
        "grassroots_role": "none",
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not OMIT}


def register_volunteer(client=None, session=None, **fields):
    """Log a fresh account in (or use session, a login() body) and register it as a
    volunteer. Returns a dict: client, token, phone, user_id, session (the login body),
    body (what was sent), volunteer (the 201 body), id. A 409 on a random ID number
    that clashes with an earlier one (rare) is retried with a fresh one, twice."""
    client = client or Client()
    session = session or login(client)
    for attempt in range(3):
        body = volunteer_body(**fields)
        r = client.post("/volunteers", body, token=session["access_token"])
        if r.status != 409 or "id_number" in fields or attempt == 2:
            break
    v = json_ok(r, 201, "register volunteer %s" % body.get("real_name"))
    return {"client": client, "token": session["access_token"], "phone": session["phone"],
            "user_id": session["user"]["id"], "session": session, "body": body, "volunteer": v, "id": v["id"]}


# ---------------------------------------------------------------- organizations

def org_name(prefix="科技志愿服务队"):
    """A unique org name: prefix + a Chinese fragment + random hex (well under 100 characters)."""
    return prefix + unique_name_part(4) + secrets.token_hex(4)


def org_body(**fields):
    """A valid POST /orgs body: a top-level corps (总队) in county 410702 with a unique name
    and a leader; keyword arguments replace fields, and a value of OMIT drops one."""
    body = {
        "name": org_name(),
        "level": "corps",
        "registered_with_civil_affairs": True,
        "supervisor_type": "local_cast",
        "supervisor_name": "新乡市科学技术协会",
        "founded_on": "2020-05-30",
        "service_categories": ["training", "lecture"],
        "region_code": "410702",
        "leader": {"name": "队长" + unique_name_part(2), "title": "总队长",
                   "employer": "新乡市农业科学院" + secrets.token_hex(3), "phone": new_phone()},
        "description": "面向基层的科技志愿服务队伍。",
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not OMIT}


def create_org(admin, **fields):
    """POST /orgs as admin (a register_volunteer() dict: client, token); returns the 201 org.
    The caller becomes the org's first admin; the org is pending."""
    body = org_body(**fields)
    r = admin["client"].post("/orgs", body, token=admin["token"])
    return json_ok(r, 201, "create org %s" % body["name"])


def approve_org(approver, org_id):
    """POST /orgs/{id}/approve as approver (dict: client, token); returns the 200 org."""
    r = approver["client"].post("/orgs/%d/approve" % org_id, token=approver["token"])
    return json_ok(r, 200, "approve org %d" % org_id)


_country_admin = {"actor": None, "at": 0.0}


def country_admin():
    """A platform admin of 000000 (the whole country), shared by the tests that only need
    someone to approve orgs; renewed well before its access token expires.
    Dict: client, token, phone, user_id."""
    if _country_admin["actor"] is None or time.monotonic() - _country_admin["at"] > 600:
        s = platform_admin("000000")
        _country_admin["actor"] = {"client": s["client"], "token": s["access_token"], "phone": s["phone"],
                                   "user_id": s["user"]["id"]}
        _country_admin["at"] = time.monotonic()
    return _country_admin["actor"]


def approved_org(admin=None, **fields):
    """A fresh org created by admin (default: a fresh volunteer) and approved by a country-wide
    platform admin. Returns (org as approved, admin)."""
    admin = admin or register_volunteer()
    org = create_org(admin, **fields)
    return approve_org(country_admin(), org["id"]), admin


# ---------------------------------------------------------------- service logs

def log_files():
    """Every regular file under STVS_TEST_LOG_DIR (recursively)."""
    ok(LOG_DIR and os.path.isdir(LOG_DIR), "STVS_TEST_LOG_DIR not set or not a directory: %r" % LOG_DIR)
    out = []
    for root, _, files in os.walk(LOG_DIR):
        for name in files:
            path = os.path.join(root, name)
            if os.path.isfile(path):
                out.append(path)
    return sorted(out)


def logs_containing(needle):
    """The log files (paths) whose bytes contain needle (str, as UTF-8, or bytes)."""
    if isinstance(needle, str):
        needle = needle.encode("utf-8")
    hits = []
    for path in log_files():
        try:
            with open(path, "rb") as f:
                if needle in f.read():
                    hits.append(path)
        except OSError:
            continue
    return hits


# ---------------------------------------------------------------- JWT helpers

def b64u(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(s):
    s = s.encode("ascii") if isinstance(s, str) else s
    return base64.urlsafe_b64decode(s + b"=" * (-len(s) % 4))


def jwt_parts(token):
    """(header dict, claims dict, signature bytes) without verifying anything."""
    parts = token.split(".")
    eq(len(parts), 3, "JWT should have three parts")
    return _json.loads(b64u_decode(parts[0])), _json.loads(b64u_decode(parts[1])), b64u_decode(parts[2])


def jwt_json(obj):
    return _json.dumps(obj, separators=(",", ":")).encode("utf-8")


_tmp = tempfile.mkdtemp(prefix="stvs-api-test-")
atexit.register(shutil.rmtree, _tmp, True)


def tmp_path(name):
    return os.path.join(_tmp, name)


def openssl(args, data=None):
    r = subprocess.run(["openssl"] + args, input=data, capture_output=True, timeout=30)
    if r.returncode != 0:
        fail("openssl %s failed: %s" % (" ".join(args), r.stderr.decode("utf-8", "replace").strip()))
    return r.stdout


def new_ec_key():
    """A fresh P-256 private key PEM file (not the service's)."""
    path = tmp_path("other-%s.pem" % secrets.token_hex(4))
    openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", path])
    return path


def public_pem(key_path):
    return openssl(["ec", "-in", key_path, "-pubout"])


def public_xy(key_path):
    """Raw (x, y) of a P-256 key: the last 64 bytes of the SubjectPublicKeyInfo DER."""
    der = openssl(["ec", "-in", key_path, "-pubout", "-outform", "DER"])
    eq(der[-65], 0x04, "uncompressed point expected")
    return der[-64:-32], der[-32:]


def _der_len(data, i):
    n = data[i]
    if n < 0x80:
        return n, i + 1
    k = n & 0x7F
    return int.from_bytes(data[i + 1:i + 1 + k], "big"), i + 1 + k


def der_to_raw(der, size=32):
    """ECDSA-Sig-Value DER (SEQUENCE { INTEGER r, INTEGER s }) -> r || s, each size bytes."""
    eq(der[0], 0x30, "DER signature should start with SEQUENCE")
    _, i = _der_len(der, 1)
    out = b""
    for _ in range(2):
        eq(der[i], 0x02, "DER signature: INTEGER expected")
        n, i = _der_len(der, i + 1)
        v = der[i:i + n].lstrip(b"\x00")
        i += n
        ok(len(v) <= size, "DER integer too long")
        out += v.rjust(size, b"\x00")
    return out


def raw_to_der(raw):
    def integer(b):
        b = b.lstrip(b"\x00") or b"\x00"
        if b[0] & 0x80:
            b = b"\x00" + b
        return b"\x02" + bytes([len(b)]) + b
    body = integer(raw[:len(raw) // 2]) + integer(raw[len(raw) // 2:])
    return b"\x30" + bytes([len(body)]) + body


def es256_sign(key_path, signing_input):
    return der_to_raw(openssl(["dgst", "-sha256", "-sign", key_path], signing_input))


def es256_verify(x, y, signing_input, raw_sig):
    """Verify an ES256 signature with a JWK's x, y (builds a SubjectPublicKeyInfo PEM)."""
    spki = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200") + b"\x04" + x + y
    pem = tmp_path("jwk-%s.pem" % secrets.token_hex(4))
    with open(pem, "w") as f:
        f.write("-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n" % base64.b64encode(spki).decode())
    sig = tmp_path("sig-%s.der" % secrets.token_hex(4))
    with open(sig, "wb") as f:
        f.write(raw_to_der(raw_sig))
    r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pem, "-signature", sig],
                       input=signing_input, capture_output=True, timeout=30)
    return r.returncode == 0


def forge(header, claims, key_path=None, sign=None):
    """Build a JWT. sign(signing_input) -> signature bytes; default ES256 with key_path
    (default: the service's own key)."""
    signing_input = (b64u(jwt_json(header)) + "." + b64u(jwt_json(claims))).encode("ascii")
    if sign is None:
        ok(JWT_KEY and os.path.exists(JWT_KEY), "STVS_TEST_JWT_PRIVATE_KEY not set or missing: %r" % JWT_KEY)
        kp = key_path or JWT_KEY
        sign = lambda data: es256_sign(kp, data)  # noqa: E731
    return signing_input.decode("ascii") + "." + b64u(sign(signing_input))


def good_claims(real_token):
    """Correct access-token claims for the user/session of real_token, freshly issued."""
    _, c, _ = jwt_parts(real_token)
    now = int(time.time())
    return {"iss": JWT_ISS, "aud": JWT_AUD, "sub": c["sub"], "iat": now, "exp": now + 900,
            "token_use": "access", "sid": c["sid"], "jti": secrets.token_hex(16)}



# ---------------------------------------------------------------- actors
# An actor is {"client", "token", "phone", "user_id"} (None: anonymous); the
# org and activity tests call the API as one actor or another.

def padmin_actor(*regions):
    """A platform admin of the given regions, as an actor."""
    s = platform_admin(*regions)
    return {"client": s["client"], "token": s["access_token"], "phone": s["phone"], "user_id": s["user"]["id"]}


def call_as(actor, method, path, body=None, raw=None, headers=None):
    if actor is None:
        return Client().request(method, path, json=body, raw=raw, headers=headers)
    return actor["client"].request(method, path, json=body, raw=raw, headers=headers, token=actor["token"])


def get_as(actor, path):
    return call_as(actor, "GET", path)


def post_as(actor, path, body=None):
    return call_as(actor, "POST", path, body)


def patch_as(actor, path, body):
    return call_as(actor, "PATCH", path, body)


def put_as(actor, path, body):
    return call_as(actor, "PUT", path, body)


def delete_as(actor, path):
    return call_as(actor, "DELETE", path)

# ---------------------------------------------------------------- what several test files share

VOLUNTEER_KEYS = {"id", "real_name", "phone", "id_number", "gender", "political_status", "ethnicity", "employer",
                  "title", "education", "occupation", "region", "service_categories", "service_fields",
                  "grassroots_role", "skills", "availability", "service_hours", "created_at", "updated_at",
                  "source", "claim_status"}  # v1.1: 在线关联
RFC3339_CN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?\+08:00")


def quote(s):
    """s percent-encoded for a query value or a path segment (nothing kept but unreserved)."""
    return urllib.parse.quote(s, safe="")


def page_ids(page):
    """The ids of a list page's items, in order."""
    return [it["id"] for it in page["items"]]


def error_pairs(resp):
    """The (field, code) pairs of a 422 validation_failed, in order."""
    return [(e["field"], e["code"]) for e in problem(resp, 422, "validation_failed").get("errors", [])]


def only_error(resp, field, code, msg=""):
    """A 422 whose errors are exactly one (field, code); returns the problem body."""
    body = problem(resp, 422, "validation_failed", msg)
    got = [(e["field"], e["code"]) for e in body.get("errors", [])]
    eq(got, [(field, code)], (msg + ": " if msg else "") + "the only error")
    return body


def about_now(ts, msg):
    """ts is RFC 3339 in China time (+08:00) and within a few minutes of now."""
    ok(isinstance(ts, str) and RFC3339_CN.fullmatch(ts), "%s should be RFC 3339 with +08:00: %r" % (msg, ts))
    age = (datetime.datetime.now(datetime.timezone.utc) - datetime.datetime.fromisoformat(ts)).total_seconds()
    ok(-120 < age < 600, "%s %s is not about now" % (msg, ts))


def user_actor():
    """A logged-in account that is not a volunteer, as an actor."""
    c = Client()
    s = login(c)
    return {"client": c, "token": s["access_token"], "phone": s["phone"], "user_id": s["user"]["id"]}


def member_of(manager, org_id, vol=None):
    """A volunteer (fresh unless given) that applied to org_id and was approved by manager."""
    vol = vol or register_volunteer()
    json_ok(post_as(vol, "/orgs/%d/members" % org_id), 201, "apply to org %d" % org_id)
    json_ok(post_as(manager, "/orgs/%d/members/%d/approve" % (org_id, vol["id"])), 200, "approve member")
    return vol


def my_volunteer(actor):
    """GET /volunteers/me as actor: the 200 body."""
    return json_ok(get_as(actor, "/volunteers/me"), 200, "GET /volunteers/me")


# ---------------------------------------------------------------- workbooks (xlsx) the services write

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_XLSX_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def workbook_cells(data):
    """Every cell of an xlsx workbook, in sheet order: (sheet name, ref, t attribute or None,
    value: str for string cells, float for numbers, None when empty, has a <f> formula)."""
    z = zipfile.ZipFile(io.BytesIO(data))
    names = [s.get("name") for s in _ET.fromstring(z.read("xl/workbook.xml")).find("m:sheets", _XLSX_NS)]
    shared = []
    if "xl/sharedStrings.xml" in z.namelist():
        for si in _ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", _XLSX_NS):
            shared.append("".join(t.text or "" for t in si.iter("{%s}t" % _XLSX_NS["m"])))
    out = []
    for i, name in enumerate(names, 1):
        for c in _ET.fromstring(z.read("xl/worksheets/sheet%d.xml" % i)).iter("{%s}c" % _XLSX_NS["m"]):
            v, t = c.find("m:v", _XLSX_NS), c.get("t")
            if t == "s":
                value = shared[int(v.text)]
            elif t == "inlineStr":
                value = "".join(x.text or "" for x in c.iter("{%s}t" % _XLSX_NS["m"]))
            elif v is not None:
                value = float(v.text)
            else:
                value = None
            out.append((name, c.get("r"), t, value, c.find("m:f", _XLSX_NS) is not None))
    return out


def read_workbook(data):
    """A small xlsx reader: {sheet name: {"A1": value}} (strings as str, numbers as float; empty
    cells left out), and whether any cell holds a formula."""
    z = zipfile.ZipFile(io.BytesIO(data))
    sheets = {s.get("name"): {} for s in _ET.fromstring(z.read("xl/workbook.xml")).find("m:sheets", _XLSX_NS)}
    formulas = False
    for name, ref, _t, value, f in workbook_cells(data):
        formulas = formulas or f
        if value is not None:
            sheets[name][ref] = value
    return sheets, formulas


# ---------------------------------------------------------------- concurrency

def parallel(fn, args_list):
    """Run fn(*args) in threads; return results in order (exceptions returned, not raised)."""
    results = [None] * len(args_list)

    def run(i, args):
        try:
            results[i] = fn(*args)
        except BaseException as e:  # noqa: B902 - reported by the caller
            results[i] = e
    ts = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(args_list)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    return results


# ---------------------------------------------------------------- runner

def wait_for_service(path="/auth/health", wait=15.0):
    """Give a freshly started stack a moment; never fails (tests will)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            if Client().get(path, timeout=2).status == 200:
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def collect(modules, filters=()):
    """Top-level test_* functions of each module, in file order, filtered by substrings."""
    tests = []
    for mod in modules:
        fns = [(name, f) for name, f in vars(mod).items()
               if name.startswith("test_") and callable(f) and getattr(f, "__module__", None) == mod.__name__]
        fns.sort(key=lambda nf: nf[1].__code__.co_firstlineno)
        for name, f in fns:
            full = "%s.%s" % (mod.__name__, name)
            if not filters or any(s in full for s in filters):
                tests.append((name, f))
    return tests


def _short_tb(exc):
    frames = [fr for fr in traceback.extract_tb(exc.__traceback__)
              if os.path.basename(fr.filename).startswith("test_")]
    frames = frames[-3:] or traceback.extract_tb(exc.__traceback__)[-2:]
    return ["    at %s:%d in %s: %s" % (os.path.basename(fr.filename), fr.lineno, fr.name, (fr.line or "").strip())
            for fr in frames]


def _print_contract(found, most=5):
    for line in found[:most]:
        print("    contract: " + line)
    if len(found) > most:
        print("    contract: ... and %d more" % (len(found) - most))


def run_tests(tests):
    """Runs each test; a test also fails when a response it received breaks
    docs/openapi.yaml (contract.py), whatever it asserted itself."""
    passed = failed = 0
    contract.take()  # what came before the first test is no test's
    for name, fn in tests:
        t0 = time.monotonic()
        try:
            fn()
        except BaseException as e:  # noqa: B902 - one failing test must not stop the suite
            if isinstance(e, KeyboardInterrupt):
                raise
            failed += 1
            reason = str(e) if isinstance(e, AssertionError) else "%s: %s" % (type(e).__name__, e)
            reason = " ".join(reason.split())
            if len(reason) > 1500:
                reason = reason[:1500] + "..."
            print("FAIL %s: %s" % (name, reason))
            for line in _short_tb(e):
                print(line)
            _print_contract(contract.take())
        else:
            broken = contract.take()
            if broken:
                failed += 1
                print("FAIL %s: %d response(s) break docs/openapi.yaml" % (name, len(broken)))
                _print_contract(broken)
            else:
                passed += 1
                print("PASS %s" % name)
        dt = time.monotonic() - t0
        if dt > 20:
            print("    (slow: %.1f s)" % dt)
        sys.stdout.flush()
    return passed, failed
