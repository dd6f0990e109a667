"""Activity service: publishing (POST /activities) and its validation, the status by the
server clock in the detail and the list filter, the public list and its filters, edits
and cancellation, sign-ups (capacity under concurrency, members-only, the window),
withdrawal, the sign-up roster and who sees it, service records and the volunteer's
totals, the volunteer's own activities, and the report after the event."""

import concurrent.futures
import datetime
import re
import threading
import time
import urllib.parse

from harness import (Client, OMIT, eq, ok, json_ok, problem, field_errors, login, psql, platform_admin, mask_phone,
                     mask_id_number, register_volunteer, unique_name_part, create_org, approve_org, approved_org)
from harness import padmin_actor as _padmin, call_as as _call, get_as as _get, post_as as _post  # noqa: E402
from harness import patch_as as _patch, put_as as _put, delete_as as _delete  # noqa: E402
from harness import (VOLUNTEER_KEYS, RFC3339_CN, member_of, user_actor as _user,  # noqa: E402
                     register_volunteer as _vol, only_error as _only_error, page_ids as _ids,
                     about_now as _about_now, my_volunteer as _me)

A = "/activities"
CN = datetime.timezone(datetime.timedelta(hours=8))
H = datetime.timedelta(hours=1)
D = datetime.timedelta(days=1)
ACTIVITY_KEYS = {"id", "org", "title", "description", "service_category", "themes", "region", "address", "starts_at",
                 "ends_at", "signup_starts_at", "signup_ends_at", "capacity", "signed_up", "status", "service_hours",
                 "contact_name", "contact_phone", "requirements", "members_only", "cancel_reason", "created_at",
                 "updated_at"}
TIME_FIELDS = ("starts_at", "ends_at", "signup_starts_at", "signup_ends_at")
SIGNUP_KEYS = {"activity_id", "volunteer_id", "status", "created_at"}
ROSTER_KEYS = {"volunteer", "status", "created_at", "hours"}
REPORT_KEYS = {"activity_id", "summary", "photo_urls", "participants", "updated_at"}
STATUSES = ("cancelled", "ended", "ongoing", "recruiting", "signup_closed", "upcoming")
THEMES = ("science_day", "sci_tech_week", "workers_day", "volunteer_day", "three_to_countryside",
          "rural_revitalization", "health", "women_youth", "enterprise_innovation", "emergency", "other")
REGIONS = {
    "410702": {"code": "410702", "province": "河南省", "city": "新乡市", "county": "红旗区"},
    "410700": {"code": "410700", "province": "河南省", "city": "新乡市", "county": None},
    "420102": {"code": "420102", "province": "湖北省", "city": "武汉市", "county": "江岸区"},
    "110101": {"code": "110101", "province": "北京市", "city": "北京市", "county": "东城区"},
}

# The four times of each preset, relative to now: (signup_starts_at, signup_ends_at, starts_at, ends_at).
# Every preset lasts 4 hours, so the default service_hours (2.5) fits.
PRESETS = {
    "upcoming": (D, 2 * D, 3 * D, 3 * D + 4 * H),
    "recruiting": (-H, D, 2 * D, 2 * D + 4 * H),
    "signup_closed": (-2 * D, -H, D, D + 4 * H),
    "ongoing": (-2 * D, -2 * H, -H, 3 * H),           # started, its sign-up window closed
    "ongoing_open": (-2 * D, 2 * H, -H, 3 * H),       # started, its sign-up window still open
    "ended": (-5 * D, -4 * D, -3 * D, -3 * D + 4 * H),
}


# ---------------------------------------------------------------- actors and calls
# An actor is a dict with client and token (None: anonymous, a fresh client, no token).

def _p(aid, suffix=""):
    return "%s/%d%s" % (A, aid, suffix)


# ---------------------------------------------------------------- orgs

def _org():
    """A fresh approved corps in 410702 and its admin (a fresh volunteer): (org, admin)."""
    return approved_org()


def _child_org(parent, parent_admin, level="detachment"):
    """A child of parent with its own fresh admin, approved by parent_admin: (org, admin)."""
    admin = _vol()
    org = create_org(admin, level=level, parent_id=parent["id"])
    return approve_org(parent_admin, org["id"]), admin


def _member(org, org_admin, vol=None):
    """A volunteer (fresh unless given) made an active member of org."""
    return member_of(org_admin, org["id"], vol)


# ---------------------------------------------------------------- times

def _now():
    return datetime.datetime.now(CN).replace(microsecond=0)


def _iso(dt):
    return dt.astimezone(CN).isoformat()


def _utc(dt):
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))


def _times(preset, base=None):
    base = base or _now()
    ss, se, s, e = PRESETS[preset]
    return {"signup_starts_at": _iso(base + ss), "signup_ends_at": _iso(base + se),
            "starts_at": _iso(base + s), "ends_at": _iso(base + e)}


def _times_at(starts):
    """Times around a given start (a datetime): sign-up two days to one day before, 3 hours long."""
    return {"signup_starts_at": _utc(starts - 2 * D), "signup_ends_at": _utc(starts - D),
            "starts_at": _utc(starts), "ends_at": _utc(starts + 3 * H)}


def _set_times(aid, preset=None, **times):
    """Move an activity through time (psql): a preset relative to now, or explicit RFC 3339 times."""
    t = _times(preset) if preset else {}
    t.update(times)
    psql("UPDATE activity.activities SET signup_starts_at = '%s', signup_ends_at = '%s', starts_at = '%s',"
         " ends_at = '%s' WHERE id = %d"
         % (t["signup_starts_at"], t["signup_ends_at"], t["starts_at"], t["ends_at"], aid))


# ---------------------------------------------------------------- activities

def _body(oid, preset="recruiting", **fields):
    """A valid POST /activities body for org oid (times from a preset); keyword arguments
    replace fields (org_id too), OMIT drops one."""
    body = {
        "org_id": oid,
        "title": "科普进社区" + unique_name_part(4),
        "description": "面向社区居民的科普讲座。\n请提前十分钟到场。",
        "service_category": "lecture",
        "themes": ["science_day", "health"],
        "region_code": "410702",
        "address": "新乡市红旗区人民路1号",
        "capacity": 30,
        "service_hours": 2.5,
        "contact_name": "李老师",
        "contact_phone": "0373-1234567",
        "requirements": "请携带身份证",
        "members_only": False,
    }
    body.update(_times(preset))
    body.update(fields)
    return {k: v for k, v in body.items() if v is not OMIT}


def _create(admin, org_id, preset="recruiting", **fields):
    body = _body(org_id, preset, **fields)
    return json_ok(_post(admin, A, body), 201, "create activity %s" % body["title"])


def _activity(aid):
    return json_ok(_get(None, _p(aid)), 200, "GET activity %d" % aid)


def _status(aid):
    return _activity(aid)["status"]


def _signup(vol, aid):
    return _post(vol, _p(aid, "/signups"))


def _signed(vol, aid):
    return json_ok(_signup(vol, aid), 201, "sign up for %d" % aid)


def _withdraw(vol, aid):
    return _delete(vol, _p(aid, "/signups/me"))


def _cancel(admin, aid, reason="天气原因，活动取消"):
    return json_ok(_post(admin, _p(aid, "/cancel"), {"reason": reason}), 200, "cancel %d" % aid)


def _db_count(aid):
    return int(psql("SELECT count(*) FROM activity.signups WHERE activity_id = %d" % aid))


def _db_signed_up(aid):
    return int(psql("SELECT signed_up FROM activity.activities WHERE id = %d" % aid))


def _list(**params):
    q = urllib.parse.urlencode(params)
    return json_ok(_get(None, A + ("?" + q if q else "")), 200, "GET /activities?%s" % q)


def _list_resp(**params):
    return _get(None, A + "?" + urllib.parse.urlencode(params))


def _all_ids(**params):
    """Every id the list answers for these filters (walks the pages)."""
    out, page = [], 1
    while True:
        p = _list(page=page, page_size=100, **params)
        out += _ids(p)
        if len(out) >= p["total"] or not p["items"]:
            eq(len(out), p["total"], "walked every page of %r" % params)
            return out
        page += 1


def _check_activity(a, body, org, msg, signed_up=0):
    """An activity response against the POST body it came from."""
    ok(isinstance(a, dict), "%s: activity should be an object: %r" % (msg, a))
    eq(set(a), ACTIVITY_KEYS, msg + ": activity keys")
    ok(isinstance(a["id"], int) and not isinstance(a["id"], bool) and a["id"] > 0, msg + ": id positive integer")
    eq(a["org"], {"id": org["id"], "name": org["name"]}, msg + ": org")
    for k in ("title", "description", "service_category", "address", "capacity", "contact_name", "contact_phone"):
        eq(a[k], body[k], "%s: %s" % (msg, k))
    eq(sorted(a["themes"]), sorted(body.get("themes", [])), msg + ": themes")
    eq(a["region"], REGIONS.get(body["region_code"], a["region"]), msg + ": region")
    eq(a["region"]["code"], body["region_code"], msg + ": region code")
    eq(set(a["region"]), {"code", "province", "city", "county"}, msg + ": region keys")
    for k in TIME_FIELDS:
        ok(isinstance(a[k], str) and RFC3339_CN.fullmatch(a[k]),
           "%s: %s should be RFC 3339 +08:00: %r" % (msg, k, a[k]))
        if body.get(k) is not None:
            eq(_parse(a[k]), _parse(body[k]), "%s: %s instant" % (msg, k))
    ok(isinstance(a["service_hours"], (int, float)) and not isinstance(a["service_hours"], bool),
       msg + ": service_hours should be a number")
    eq(a["service_hours"], body["service_hours"], msg + ": service_hours")
    eq(a["requirements"], body.get("requirements"), msg + ": requirements")
    eq(a["members_only"], body.get("members_only", False), msg + ": members_only")
    eq(a["signed_up"], signed_up, msg + ": signed_up")
    ok(a["status"] in STATUSES, "%s: status %r" % (msg, a["status"]))
    eq(a["cancel_reason"], None, msg + ": cancel_reason")
    _about_now(a["created_at"], msg + ": created_at")
    _about_now(a["updated_at"], msg + ": updated_at")


# ---------------------------------------------------------------- concurrency

def _pool(fn, args_list, workers=20):
    """fn(*args) for each args on a bounded thread pool; results in order, exceptions returned."""
    out = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as ex:
        futs = [ex.submit(fn, *a) for a in args_list]
        for f in futs:
            try:
                out.append(f.result(timeout=180))
            except BaseException as e:  # noqa: B902 - reported by the caller
                out.append(e)
    return out


def _burst(fn, args_list, workers=50):
    """Like _pool, but every task waits for one start signal so that they collide."""
    go = threading.Event()

    def run(*a):
        go.wait(30)
        return fn(*a)
    out = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as ex:
        futs = [ex.submit(run, *a) for a in args_list]
        time.sleep(0.2)
        go.set()
        for f in futs:
            try:
                out.append(f.result(timeout=180))
            except BaseException as e:  # noqa: B902
                out.append(e)
    return out


def _vols(n, workers=20):
    """n fresh volunteers, registered in parallel (each with its own client address)."""
    res = _pool(lambda: _vol(), [()] * n, workers)
    errs = [r for r in res if isinstance(r, BaseException)]
    ok(not errs, "registering %d volunteers: %d failed, first: %s" % (n, len(errs), errs[0] if errs else ""))
    return res


def _code(resp):
    """(status, problem code or None) of a response, for tallies."""
    if isinstance(resp, BaseException):
        return ("exception", str(resp)[:200])
    code = None
    if resp.content_type.startswith("application/problem+json"):
        try:
            code = resp.json().get("code")
        except AssertionError:
            code = "?"
    return (resp.status, code)


def _tally_keys(keys):
    t = {}
    for k in keys:
        t[k] = t.get(k, 0) + 1
    return t


def _tally(results):
    t = {}
    for r in results:
        k = _code(r)
        t[k] = t.get(k, 0) + 1
    return t


# ================================================================ publishing

def test_create_activity_returns_201_location_and_every_field_as_sent():
    org, admin = _org()
    body = _body(org["id"], themes=["science_day", "rural_revitalization"], members_only=True, capacity=42,
                 service_hours=3.25, description="第一行\n第二行\n\t缩进的第三行")
    r = _post(admin, A, body)
    a = json_ok(r, 201, "create activity")
    _check_activity(a, body, org, "created activity")
    eq(r.header("Location"), "/api/v1/activities/%d" % a["id"], "Location")
    eq(a["status"], "recruiting", "status of an activity in its sign-up window")
    eq(_activity(a["id"]), a, "GET answers what POST answered")


def test_create_times_given_in_utc_come_back_in_china_time_as_the_same_instant():
    org, admin = _org()
    starts = _now() + 5 * D
    body = _body(org["id"], starts_at=_utc(starts), ends_at=_utc(starts + 3 * H),
                 signup_starts_at=_utc(starts - 3 * D), signup_ends_at=_utc(starts - D))
    a = _create(admin, org["id"], **{k: body[k] for k in TIME_FIELDS})
    for k in TIME_FIELDS:
        ok(a[k].endswith("+08:00"), "%s should be shown with +08:00: %r" % (k, a[k]))
        eq(_parse(a[k]), _parse(body[k]), k + " instant")
    eq(a["starts_at"], _iso(starts), "starts_at in China time")


def test_create_defaults_themes_empty_requirements_null_members_only_false_signup_starts_now():
    org, admin = _org()
    body = _body(org["id"], themes=OMIT, requirements=OMIT, members_only=OMIT, signup_starts_at=OMIT)
    a = json_ok(_post(admin, A, body), 201, "create with the optional fields left out")
    eq(a["themes"], [], "themes default")
    eq(a["requirements"], None, "requirements default")
    eq(a["members_only"], False, "members_only default")
    _about_now(a["signup_starts_at"], "signup_starts_at default (now)")
    eq(a["status"], "recruiting", "sign-up opens at once by default")
    b = json_ok(_post(admin, A, _body(org["id"], signup_starts_at=None, requirements=None)), 201,
                "signup_starts_at and requirements null")
    _about_now(b["signup_starts_at"], "signup_starts_at null means now")
    eq(b["requirements"], None, "requirements null")


def test_create_accepts_the_inclusive_limits_of_every_field():
    org, admin = _org()
    s = _now() + 3 * D
    cases = [
        {"title": "题" * 100, "description": ("说明\n" * 2500)[:5000], "address": "址" * 200,
         "contact_name": "名" * 50, "capacity": 1, "themes": list(THEMES), "requirements": "要" * 1000},
        {"title": "x", "description": "y", "address": "z", "contact_name": "王", "capacity": 100000, "themes": []},
        # service_hours equal to the duration, signup_ends_at equal to ends_at
        {"starts_at": _iso(s), "ends_at": _iso(s + 3 * H), "signup_starts_at": _iso(s - D),
         "signup_ends_at": _iso(s + 3 * H), "service_hours": 3},
        {"contact_phone": "12345"}, {"contact_phone": "0" * 20}, {"contact_phone": "(0373) 123-4567"},
        {"contact_phone": "+86 138 0013 8000"},
        {"region_code": "410700"},  # a city: any existing region will do
        {"region_code": "110101"},
    ]
    for fields in cases:
        body = _body(org["id"], **fields)
        a = json_ok(_post(admin, A, body), 201, "limits %r" % {k: str(v)[:20] for k, v in fields.items()})
        _check_activity(a, body, org, "limits")


def test_create_with_an_empty_body_lists_every_required_field():
    _, admin = _org()
    required = ("org_id", "title", "description", "service_category", "region_code", "address", "starts_at",
                "ends_at", "signup_ends_at", "capacity", "service_hours", "contact_name", "contact_phone")
    body = field_errors(_post(admin, A, {}), *[(f, "required") for f in required])
    eq(sorted(e["field"] for e in body["errors"]), sorted(required), "exactly the required fields are named")
    for f in required:
        field_errors(_post(admin, A, _body(1, **{f: OMIT})), (f, "required"))


def test_create_rejects_bad_strings_with_field_codes():
    org, admin = _org()
    oid = org["id"]
    cases = [
        ("title", "", "too_short"), ("title", "   ", "blank"), ("title", "题" * 101, "too_long"),
        ("title", "第一行\n第二行", "control_character"),
        ("description", "", "too_short"), ("description", "说" * 5001, "too_long"),
        ("description", "响铃\x07", "control_character"),
        ("address", "", "too_short"), ("address", "址" * 201, "too_long"),
        ("contact_name", "", "too_short"), ("contact_name", "名" * 51, "too_long"),
        ("requirements", "要" * 1001, "too_long"),
        ("title", 5, "invalid_type"), ("description", None, "invalid_type"), ("members_only", "yes", "invalid_type"),
        ("members_only", 1, "invalid_type"), ("themes", "health", "invalid_type"), ("org_id", "1", "invalid_type"),
    ]
    for field, value, code in cases:
        _only_error(_post(admin, A, _body(oid, **{field: value})), field, code, "%s=%r" % (field, str(value)[:20]))


def test_create_rejects_bad_codes_and_themes():
    org, admin = _org()
    oid = org["id"]
    _only_error(_post(admin, A, _body(oid, service_category="cooking")), "service_category", "invalid_choice")
    _only_error(_post(admin, A, _body(oid, service_category="科普报告")), "service_category", "invalid_choice",
                "a label instead of a code")
    _only_error(_post(admin, A, _body(oid, themes=["health", "parade"])), "themes[1]", "invalid_choice")
    _only_error(_post(admin, A, _body(oid, themes=["health", "health"])), "themes[1]", "duplicate")
    _only_error(_post(admin, A, _body(oid, themes=["health", 3])), "themes[1]", "invalid_type")
    field_errors(_post(admin, A, _body(oid, themes=list(THEMES) + ["health"])), ("themes", "too_long"))


def test_create_rejects_malformed_and_unknown_region_codes():
    org, admin = _org()
    for bad in ("41070", "4107020", "41070x", "", "４１０７０２"):
        _only_error(_post(admin, A, _body(org["id"], region_code=bad)), "region_code", "invalid_format", repr(bad))
    _only_error(_post(admin, A, _body(org["id"], region_code="419999")), "region_code", "invalid_choice")
    _only_error(_post(admin, A, _body(org["id"], region_code=410702)), "region_code", "invalid_type")


def test_create_rejects_times_that_are_not_rfc3339_with_an_offset():
    org, admin = _org()
    good = _times("recruiting")
    bad_values = ["2030-05-30T09:00:00", "2030-05-30 09:00:00+08:00", "2030-05-30", "2030-02-30T09:00:00+08:00",
                  "2030-05-30T25:00:00+08:00", "tomorrow", "", "2030-05-30T09:00:00+0800", 1900000000]
    for field in TIME_FIELDS:
        for bad in bad_values:
            r = _post(admin, A, _body(org["id"], **dict(good, **{field: bad})))
            _only_error(r, field, "invalid_type" if isinstance(bad, int) else "invalid_format",
                        "%s=%r" % (field, bad))


def test_create_rejects_capacity_and_service_hours_out_of_range_or_of_the_wrong_type():
    org, admin = _org()
    oid = org["id"]
    for v in (0, -1, 100001):
        _only_error(_post(admin, A, _body(oid, capacity=v)), "capacity", "out_of_range", "capacity %r" % v)
    for v in ("10", 1.5, True, None):
        _only_error(_post(admin, A, _body(oid, capacity=v)), "capacity", "invalid_type", "capacity %r" % v)
    for v in (0, -1, -0.5, 4.01, 5):  # the preset lasts 4 hours
        _only_error(_post(admin, A, _body(oid, service_hours=v)), "service_hours", "out_of_range",
                    "service_hours %r" % v)
    for v in ("2", True, None):
        _only_error(_post(admin, A, _body(oid, service_hours=v)), "service_hours", "invalid_type",
                    "service_hours %r" % v)


def test_create_rejects_bad_contact_phones():
    org, admin = _org()
    for bad in ("1234", "0" * 21, "0373_1234567", "abc12345", "0373-1234567 转 8", "０３７３１２３４５", ""):
        _only_error(_post(admin, A, _body(org["id"], contact_phone=bad)), "contact_phone", "invalid_format", repr(bad))


def test_create_rule_ends_at_must_be_after_starts_at():
    org, admin = _org()
    s = _now() + 3 * D
    base = {"signup_starts_at": _iso(s - 2 * D), "signup_ends_at": _iso(s - D), "service_hours": 1}
    _only_error(_post(admin, A, _body(org["id"], starts_at=_iso(s), ends_at=_iso(s), **base)), "ends_at",
                "invalid_range", "ends_at == starts_at")
    field_errors(_post(admin, A, _body(org["id"], starts_at=_iso(s), ends_at=_iso(s - H), **base)),
                 ("ends_at", "invalid_range"))
    json_ok(_post(admin, A, _body(org["id"], starts_at=_iso(s), ends_at=_iso(s + H), **base)), 201, "one hour long")


def test_create_rule_signup_window_opens_before_it_closes_and_closes_by_the_end():
    org, admin = _org()
    s = _now() + 3 * D
    t = {"starts_at": _iso(s), "ends_at": _iso(s + 4 * H)}
    _only_error(_post(admin, A, _body(org["id"], signup_starts_at=_iso(s - D), signup_ends_at=_iso(s - D), **t)),
                "signup_ends_at", "invalid_range", "signup_starts_at == signup_ends_at")
    _only_error(_post(admin, A, _body(org["id"], signup_starts_at=_iso(s - D), signup_ends_at=_iso(s - 2 * D), **t)),
                "signup_ends_at", "invalid_range", "signup_ends_at before signup_starts_at")
    _only_error(_post(admin, A, _body(org["id"], signup_starts_at=_iso(s - D), signup_ends_at=_iso(s + 5 * H), **t)),
                "signup_ends_at", "invalid_range", "signup_ends_at after ends_at")
    # the default opening is now: a closing time already past is before it
    _only_error(_post(admin, A, _body(org["id"], signup_starts_at=OMIT, signup_ends_at=_iso(_now() - H), **t)),
                "signup_ends_at", "invalid_range", "signup_ends_at before the default opening (now)")
    a = json_ok(_post(admin, A, _body(org["id"], signup_starts_at=_iso(s - D), signup_ends_at=_iso(s + 4 * H), **t)),
                201, "signup_ends_at == ends_at")
    eq(_parse(a["signup_ends_at"]), _parse(a["ends_at"]), "signup_ends_at == ends_at")
    json_ok(_post(admin, A, _body(org["id"], signup_starts_at=_iso(s - D), signup_ends_at=_iso(s + 2 * H), **t)),
            201, "the window may stay open after the start")


def test_create_rule_service_hours_fit_within_the_duration():
    org, admin = _org()
    s = _now() + 3 * D
    t = {"starts_at": _iso(s), "ends_at": _iso(s + 90 * datetime.timedelta(minutes=1)),
         "signup_starts_at": _iso(s - D), "signup_ends_at": _iso(s - H)}
    _only_error(_post(admin, A, _body(org["id"], service_hours=1.51, **t)), "service_hours", "out_of_range")
    a = json_ok(_post(admin, A, _body(org["id"], service_hours=1.5, **t)), 201, "service_hours == 1.5 h duration")
    eq(a["service_hours"], 1.5, "service_hours")
    a = json_ok(_post(admin, A, _body(org["id"], service_hours=0.25, **t)), 201, "a quarter hour")
    eq(a["service_hours"], 0.25, "service_hours")


def test_create_fractional_seconds_count_in_the_time_rules_422_not_500():
    org, admin = _org()
    t = _now() + 3 * D
    # signup_ends_at half a second after ends_at
    body = _body(org["id"], starts_at=_iso(t), ends_at=_iso(t + H), signup_starts_at=_iso(t - D),
                 signup_ends_at=_iso(t + H).replace("+08:00", ".5+08:00"), service_hours=0.5)
    _only_error(_post(admin, A, body), "signup_ends_at", "invalid_range", "signup_ends_at 0.5 s after ends_at")
    # a duration half a second short of one hour cannot credit one hour
    body = _body(org["id"], starts_at=_iso(t).replace("+08:00", ".5+08:00"), ends_at=_iso(t + H),
                 signup_starts_at=_iso(t - D), signup_ends_at=_iso(t - H), service_hours=1)
    _only_error(_post(admin, A, body), "service_hours", "out_of_range", "1 h in 59 min 59.5 s")
    # fractions that keep the rules are fine
    body = _body(org["id"], starts_at=_iso(t).replace("+08:00", ".25+08:00"), ends_at=_iso(t + H),
                 signup_starts_at=_iso(t - D), signup_ends_at=_iso(t - H), service_hours=0.5)
    json_ok(_post(admin, A, body), 201, "fractional seconds within the rules")


def test_create_service_hours_too_fine_to_store_is_422_not_500():
    org, admin = _org()
    # 0.001 h is 0.00 once kept to hundredths: below the minimum, so 422 and nothing stored
    _only_error(_post(admin, A, _body(org["id"], service_hours=0.001)), "service_hours", "out_of_range", "0.001 h")


def test_create_service_hours_rounded_for_storage_still_fit_the_duration():
    org, admin = _org()
    t = _now() + 3 * D
    # 59 min 59 s: 0.9996 h fits, but rounded to hundredths (1.00 h) it would not
    body = _body(org["id"], starts_at=_iso(t), ends_at=_iso(t + datetime.timedelta(seconds=3599)),
                 signup_starts_at=_iso(t - D), signup_ends_at=_iso(t - H), service_hours=0.9996)
    r = _post(admin, A, body)
    ok(r.status in (201, 422), "service_hours 0.9996 in 3599 s should be 422 or stored within it, got %s" % r)
    if r.status == 201:
        ok(r.json()["service_hours"] * 3600 <= 3599, "stored service_hours exceeds the duration: %s" % r)
    else:
        field_errors(r, ("service_hours", "out_of_range"))


def test_create_service_hours_too_large_to_store_are_422_not_500():
    org, admin = _org()
    # a 15-year programme: 100000 h fit in its duration; too large to store is a 422, never a 500
    body = _body(org["id"], starts_at="2020-01-01T00:00:00+08:00", ends_at="2035-01-01T00:00:00+08:00",
                 signup_starts_at="2019-12-01T00:00:00+08:00", signup_ends_at="2019-12-31T00:00:00+08:00",
                 service_hours=100000)
    # numeric(7, 2) holds at most 99999.99: 100000 h cannot be kept as sent, so 422 (the cap is 10000 h)
    _only_error(_post(admin, A, body), "service_hours", "out_of_range", "100000 h")


def test_create_reports_every_bad_field_at_once():
    org, admin = _org()
    s = _now() + 3 * D
    body = _body(org["id"], title="", capacity=0, service_category="x", contact_phone="1", themes=["nope"],
                 starts_at=_iso(s), ends_at=_iso(s - H), signup_starts_at=_iso(s - D), signup_ends_at=_iso(s - 2 * D),
                 role="admin")
    field_errors(_post(admin, A, body), ("title", "too_short"), ("capacity", "out_of_range"),
                 ("service_category", "invalid_choice"), ("contact_phone", "invalid_format"),
                 ("themes[0]", "invalid_choice"), ("ends_at", "invalid_range"), ("signup_ends_at", "invalid_range"),
                 ("role", "unknown_field"))


def test_create_rejects_unknown_fields_such_as_signed_up_status_and_id():
    org, admin = _org()
    for field, value in (("signed_up", 5), ("status", "ended"), ("id", 1), ("cancel_reason", "x"),
                         ("org", {"id": org["id"]}), ("created_by", 1)):
        _only_error(_post(admin, A, _body(org["id"], **{field: value})), field, "unknown_field", field)


def test_create_for_an_unknown_org_is_422_org_id_invalid_choice():
    _, admin = _org()
    _only_error(_post(admin, A, _body(999999999999)), "org_id", "invalid_choice")
    _only_error(_post(admin, A, _body(0)), "org_id", "out_of_range")


def test_create_by_someone_not_an_admin_of_the_org_is_403_even_an_ancestor_admin():
    parent, parent_admin = _org()
    child, child_admin = _child_org(parent, parent_admin)
    other_org, other_admin = _org()
    member = _member(child, child_admin)
    for who, actor in (("another org's admin", other_admin), ("an ancestor org's admin", parent_admin),
                       ("a member", member), ("a stranger volunteer", _vol()),
                       ("a platform admin", _padmin("000000"))):
        problem(_post(actor, A, _body(child["id"])), 403, "forbidden", who)
    eq(int(psql("SELECT count(*) FROM activity.activities WHERE org_id = %d" % child["id"])), 0, "nothing created")
    json_ok(_post(child_admin, A, _body(child["id"])), 201, "the child org's own admin")


def test_create_for_a_pending_or_rejected_org_is_409_org_not_approved():
    admin = _vol()
    pending = create_org(admin)
    problem(_post(admin, A, _body(pending["id"])), 409, "org_not_approved", "pending org")
    rejected = create_org(admin)
    json_ok(_post(_padmin("000000"), "/orgs/%d/reject" % rejected["id"], {"reason": "材料不全"}), 200, "reject")
    problem(_post(admin, A, _body(rejected["id"])), 409, "org_not_approved", "rejected org")


def test_create_without_a_token_is_401_and_by_a_non_volunteer_is_403():
    org, _ = _org()
    problem(_post(None, A, _body(org["id"])), 401, "unauthorized")
    r = _post(_user(), A, _body(org["id"]))
    eq(r.status, 403, "a logged-in non-volunteer: %s" % r)
    ok(problem(r, 403, r.json().get("code"))["code"] in ("forbidden", "volunteer_required"), "403 code")


def test_create_with_broken_json_is_400_and_without_json_type_is_415():
    _, admin = _org()
    problem(_call(admin, "POST", A, raw=b'{"title": ', headers={"Content-Type": "application/json"}), 400,
            "invalid_json")
    problem(_call(admin, "POST", A, raw=b'[1, 2]', headers={"Content-Type": "application/json"}), 400,
            "invalid_json")
    problem(_call(admin, "POST", A, raw=b'title=x', headers={"Content-Type": "application/x-www-form-urlencoded"}),
            415, "unsupported_media_type")


# ================================================================ reading and status

def test_get_activity_is_public_and_an_unknown_one_is_404():
    org, admin = _org()
    a = _create(admin, org["id"])
    eq(_activity(a["id"]), a, "anonymous GET")
    eq(json_ok(_get(_vol(), _p(a["id"])), 200, "GET by a volunteer"), a, "GET by another volunteer")
    problem(_get(None, _p(999999999999)), 404, "not_found")


def test_every_status_shows_in_the_detail_and_the_status_filter_lists_exactly_those():
    org, admin = _org()
    want = {}
    for preset in ("upcoming", "recruiting", "signup_closed", "ongoing", "ongoing_open", "ended"):
        want[_create(admin, org["id"], preset, title="状态" + preset)["id"]] = preset.replace("_open", "")
    cancelled = _create(admin, org["id"], "recruiting", title="状态cancelled")
    _cancel(admin, cancelled["id"])
    want[cancelled["id"]] = "cancelled"
    detail = {aid: _status(aid) for aid in want}
    eq(detail, want, "status in the detail")
    for s in STATUSES:
        listed = _all_ids(org_id=org["id"], status=s)
        eq(sorted(listed), sorted(aid for aid, st in detail.items() if st == s), "?status=%s lists its activities" % s)
        for it in _list(org_id=org["id"], status=s)["items"]:
            eq(it["status"], s, "listed item status")
    eq(sorted(_all_ids(org_id=org["id"])), sorted(want), "no status filter lists every status")


def test_status_follows_the_server_clock_as_the_activity_moves_through_time():
    org, admin = _org()
    aid = _create(admin, org["id"], "upcoming")["id"]
    for preset in ("upcoming", "recruiting", "signup_closed", "ongoing", "ended"):
        _set_times(aid, preset)
        eq(_status(aid), preset, "detail status after moving to %s" % preset)
        eq(_all_ids(org_id=org["id"], status=preset), [aid], "list ?status=%s after the move" % preset)
    # exactly at the boundaries, by the database clock
    psql("UPDATE activity.activities SET signup_starts_at = now() - interval '2 days',"
         " signup_ends_at = now() - interval '1 second', starts_at = now() + interval '1 day',"
         " ends_at = now() + interval '2 days' WHERE id = %d" % aid)
    eq(_status(aid), "signup_closed", "just after signup_ends_at")
    psql("UPDATE activity.activities SET starts_at = now() - interval '1 second', ends_at = now() + interval '1 day'"
         " WHERE id = %d" % aid)
    eq(_status(aid), "ongoing", "just after starts_at")
    psql("UPDATE activity.activities SET starts_at = now() - interval '1 day', ends_at = now() - interval '1 second',"
         " signup_ends_at = now() - interval '1 day' WHERE id = %d" % aid)
    eq(_status(aid), "ended", "just after ends_at")


def test_status_first_match_wins_ongoing_over_an_open_window_cancelled_over_everything():
    org, admin = _org()
    a = _create(admin, org["id"], "ongoing_open")
    eq(a["status"], "ongoing", "started with the sign-up window still open")
    b = _create(admin, org["id"], "recruiting")
    c = _cancel(admin, b["id"])
    eq(c["status"], "cancelled", "cancelled")
    for preset in ("upcoming", "signup_closed", "ongoing", "ended"):
        _set_times(b["id"], preset)
        eq(_status(b["id"]), "cancelled", "cancelled wins over %s" % preset)
        eq(_all_ids(org_id=org["id"], status=preset), [a["id"]] if preset == "ongoing" else [],
           "a cancelled activity is never listed as %s" % preset)


# ================================================================ the list

def test_list_is_public_paged_and_shows_full_activities():
    org, admin = _org()
    made = [_create(admin, org["id"], title="列表%d" % i) for i in range(3)]
    p = _list(org_id=org["id"])
    eq(set(p), {"items", "total", "page", "page_size"}, "page keys")
    eq((p["total"], p["page"], p["page_size"]), (3, 1, 20), "total, default page and page_size")
    by_id = {a["id"]: a for a in made}
    for it in p["items"]:
        eq(it, by_id[it["id"]], "a list item is the activity as GET shows it")
    p = _list(org_id=org["id"], page_size=2, page=2)
    eq((len(p["items"]), p["total"], p["page"], p["page_size"]), (1, 3, 2, 2), "second page of two")
    p = _list(org_id=org["id"], page=5)
    eq((p["items"], p["total"]), ([], 3), "past the end: no items, the right total")
    p = _list(org_id=999999999999)
    eq((p["items"], p["total"]), ([], 0), "unknown org: empty")


def test_list_rejects_bad_parameters_with_422():
    cases = [
        ({"status": "open"}, "status", "invalid_choice"), ({"status": "RECRUITING"}, "status", "invalid_choice"),
        ({"region": "41070"}, "region", "invalid_format"), ({"region": "41070a"}, "region", "invalid_format"),
        ({"region": "419999"}, "region", "invalid_choice"),
        ({"service_category": "cooking"}, "service_category", "invalid_choice"),
        ({"theme": "parade"}, "theme", "invalid_choice"),
        ({"sort": "title"}, "sort", "invalid_choice"), ({"sort": "+starts_at"}, "sort", "invalid_choice"),
        ({"page_size": "101"}, "page_size", None), ({"page_size": "0"}, "page_size", None),
        ({"page": "0"}, "page", None), ({"page": "abc"}, "page", None),
        ({"org_id": "abc"}, "org_id", None),
    ]
    for params, field, code in cases:
        r = _list_resp(**params)
        body = problem(r, 422, "validation_failed", repr(params))
        got = [(e["field"], e["code"]) for e in body.get("errors", [])]
        ok(any(f == field and (code is None or c == code) for f, c in got),
           "%r: expected error on %s (%s), got %r" % (params, field, code, got))
    for bad in ("2024-02-30", "2024-3-1", "yesterday", "2024-03-10T00:00:00", "2024-03-10 00:00:00+08:00"):
        for param in ("from", "to"):
            r = _list_resp(**{param: bad})
            body = problem(r, 422, "validation_failed", "%s=%r" % (param, bad))
            ok(any(e["field"] == param for e in body["errors"]), "%s=%r names %s: %s" % (param, bad, param, r))


def test_list_region_filter_covers_the_region_and_everything_under_it():
    org, admin = _org()
    ids = {code: _create(admin, org["id"], region_code=code)["id"] for code in ("410702", "410700", "420102", "110101")}
    expect = {
        "410000": ["410702", "410700"], "410700": ["410702", "410700"], "410702": ["410702"],
        "420000": ["420102"], "420100": ["420102"], "110000": ["110101"], "410703": [],
    }
    for region, codes in expect.items():
        eq(sorted(_all_ids(org_id=org["id"], region=region)), sorted(ids[c] for c in codes), "region=%s" % region)


def test_list_org_service_category_and_theme_filters():
    org, admin = _org()
    other_org, other_admin = _org()
    a = _create(admin, org["id"], service_category="lecture", themes=["health"])["id"]
    b = _create(admin, org["id"], service_category="training", themes=["science_day", "health"])["id"]
    c = _create(admin, org["id"], service_category="agri_tech", themes=[])["id"]
    d = _create(other_admin, other_org["id"], service_category="training", themes=["health"])["id"]
    eq(sorted(_all_ids(org_id=org["id"])), sorted([a, b, c]), "org_id")
    eq(sorted(_all_ids(org_id=other_org["id"])), [d], "the other org")
    eq(sorted(_all_ids(org_id=org["id"], theme="health")), sorted([a, b]), "theme=health")
    eq(_all_ids(org_id=org["id"], theme="science_day"), [b], "theme=science_day")
    eq(_all_ids(org_id=org["id"], theme="emergency"), [], "theme=emergency")
    eq(_all_ids(org_id=org["id"], service_category="training"), [b], "service_category=training")
    eq(_all_ids(org_id=org["id"], service_category="agri_tech"), [c], "service_category=agri_tech")
    all_training = _all_ids(service_category="training", theme="health")
    ok(b in all_training and d in all_training and a not in all_training and c not in all_training,
       "service_category + theme across orgs")


def test_list_q_matches_titles_literally_percent_and_underscore_match_only_themselves():
    org, admin = _org()
    tag = unique_name_part(3)
    ids = {t: _create(admin, org["id"], title=t)["id"]
           for t in ("100%满意" + tag, "a_b" + tag, "axb" + tag, "c\\d" + tag, "普通活动" + tag)}

    def titles(q):
        return sorted(_activity(i)["title"] for i in _all_ids(org_id=org["id"], q=q))
    eq(titles("%"), ["100%满意" + tag], "q=%")
    eq(titles("_"), ["a_b" + tag], "q=_")
    eq(titles("a_b"), ["a_b" + tag], "q=a_b")
    eq(titles("x"), ["axb" + tag], "q=x")
    eq(titles("\\"), ["c\\d" + tag], "q=\\")
    eq(titles("满意"), ["100%满意" + tag], "q=满意")
    eq(titles(tag), sorted(ids), "q=the shared tag")
    eq(titles("%%"), [], "q=%%")
    eq(titles("科普讲座"), [], "q does not search descriptions")
    eq(sorted(_all_ids(org_id=org["id"], q="")), sorted(ids.values()), "empty q: no filter")


def test_list_from_and_to_dates_are_whole_days_in_china_inclusive():
    org, admin = _org()
    utc = datetime.timezone.utc
    starts = {
        "a1": datetime.datetime(2024, 3, 10, 15, 59, 59, tzinfo=utc),   # 2024-03-10 23:59:59 in China
        "a2": datetime.datetime(2024, 3, 10, 16, 0, 0, tzinfo=utc),     # 2024-03-11 00:00:00
        "a3": datetime.datetime(2024, 3, 11, 15, 59, 59, tzinfo=utc),   # 2024-03-11 23:59:59
        "a4": datetime.datetime(2024, 3, 11, 16, 0, 0, tzinfo=utc),     # 2024-03-12 00:00:00
    }
    ids = {k: _create(admin, org["id"], **_times_at(v))["id"] for k, v in starts.items()}

    def got(**params):
        found = _all_ids(org_id=org["id"], **params)
        return sorted(k for k, v in ids.items() if v in found)
    eq(got(**{"from": "2024-03-11", "to": "2024-03-11"}), ["a2", "a3"], "from=to=2024-03-11")
    eq(got(**{"from": "2024-03-11"}), ["a2", "a3", "a4"], "from=2024-03-11")
    eq(got(to="2024-03-11"), ["a1", "a2", "a3"], "to=2024-03-11")
    eq(got(**{"from": "2024-03-10", "to": "2024-03-10"}), ["a1"], "the day before")
    eq(got(**{"from": "2024-03-12", "to": "2024-03-11"}), [], "from after to")


def test_list_from_and_to_date_times_bound_starts_at_inclusively():
    org, admin = _org()
    utc = datetime.timezone.utc
    starts = {
        "a1": datetime.datetime(2024, 3, 10, 15, 59, 59, tzinfo=utc),
        "a2": datetime.datetime(2024, 3, 10, 16, 0, 0, tzinfo=utc),
        "a3": datetime.datetime(2024, 3, 11, 15, 59, 59, tzinfo=utc),
        "a4": datetime.datetime(2024, 3, 11, 16, 0, 0, tzinfo=utc),
    }
    ids = {k: _create(admin, org["id"], **_times_at(v))["id"] for k, v in starts.items()}

    def got(**params):
        found = _all_ids(org_id=org["id"], **params)
        return sorted(k for k, v in ids.items() if v in found)
    eq(got(**{"from": "2024-03-10T16:00:00Z", "to": "2024-03-11T15:59:59Z"}), ["a2", "a3"], "exact bounds in UTC")
    eq(got(**{"from": "2024-03-11T00:00:00+08:00", "to": "2024-03-11T23:59:59+08:00"}), ["a2", "a3"],
       "exact bounds in China time (+ encoded)")
    eq(got(**{"from": "2024-03-11T00:00:01+08:00"}), ["a3", "a4"], "from one second after a2")
    eq(got(to="2024-03-11T23:59:58+08:00"), ["a1", "a2"], "to one second before a3")
    eq(got(**{"from": "2024-03-10", "to": "2024-03-11T00:00:00+08:00"}), ["a1", "a2"], "a date and a date-time")


def test_list_sorts_by_starts_at_both_ways_newest_first_by_default():
    org, admin = _org()
    base = _now()
    offsets = [5 * D, -2 * D, 10 * D, 1 * D, -30 * D]
    made = []
    for off in offsets:
        t = base + off
        made.append((t, _create(admin, org["id"], **_times_at(t))["id"]))
    asc = [i for _, i in sorted(made)]
    eq(_ids(_list(org_id=org["id"])), asc[::-1], "default: -starts_at")
    eq(_ids(_list(org_id=org["id"], sort="-starts_at")), asc[::-1], "sort=-starts_at")
    eq(_ids(_list(org_id=org["id"], sort="starts_at")), asc, "sort=starts_at")


def test_list_page_size_one_walks_every_item_exactly_once_even_with_equal_start_times():
    org, admin = _org()
    t = _now() + 4 * D
    made = [_create(admin, org["id"], **_times_at(t))["id"] for _ in range(4)]
    made += [_create(admin, org["id"], **_times_at(t + i * H))["id"] for i in (1, 2)]
    for sort in ("starts_at", "-starts_at"):
        seen = []
        for page in range(1, 8):
            p = _list(org_id=org["id"], sort=sort, page=page, page_size=1)
            eq(p["total"], 6, "total on page %d" % page)
            seen += _ids(p)
            eq(len(p["items"]), 1 if page <= 6 else 0, "items on page %d (%s)" % (page, sort))
        eq(sorted(seen), sorted(made), "sort=%s, page_size=1 walks each activity exactly once" % sort)
        eq(len(set(seen)), 6, "no repeats (%s)" % sort)


def test_list_filters_combine():
    org, admin = _org()
    tag = unique_name_part(3)
    specs = [
        ("recruiting", "410702", "lecture", ["health"], "讲座" + tag),
        ("recruiting", "420102", "lecture", ["health"], "讲座" + tag),
        ("upcoming", "410702", "lecture", ["health", "science_day"], "讲座" + tag),
        ("recruiting", "410702", "training", ["health"], "培训" + tag),
        ("ended", "410700", "lecture", [], "讲座" + tag),
        ("ongoing", "410702", "lecture", ["science_day"], "展览" + tag),
    ]
    acts = [_create(admin, org["id"], preset, region_code=region, service_category=cat, themes=themes, title=title)
            for preset, region, cat, themes, title in specs]
    cn_day = lambda a: _parse(a["starts_at"]).astimezone(CN).date().isoformat()  # noqa: E731
    region_of = {"410000": ("410702", "410700"), "410700": ("410702", "410700"), "410702": ("410702",),
                 "420000": ("420102",)}
    today = _now().date()
    combos = [
        {"status": "recruiting", "region": "410000"},
        {"status": "recruiting", "region": "410000", "service_category": "lecture"},
        {"region": "410700", "theme": "health", "q": "讲座"},
        {"service_category": "lecture", "theme": "science_day"},
        {"status": "upcoming", "theme": "health", "q": tag},
        {"status": "ended", "region": "410700", "q": "讲座"},
        {"region": "420000", "q": "培训"},
        {"from": (today + datetime.timedelta(days=1)).isoformat(), "region": "410702", "theme": "health"},
        {"to": today.isoformat(), "service_category": "lecture"},
    ]
    for params in combos:
        def match(a):
            return ((("status" not in params) or a["status"] == params["status"])
                    and (("region" not in params) or a["region"]["code"] in region_of[params["region"]])
                    and (("service_category" not in params) or a["service_category"] == params["service_category"])
                    and (("theme" not in params) or params["theme"] in a["themes"])
                    and (("q" not in params) or params["q"] in a["title"])
                    and (("from" not in params) or cn_day(a) >= params["from"])
                    and (("to" not in params) or cn_day(a) <= params["to"]))
        want = sorted(a["id"] for a in acts if match(a))
        eq(sorted(_all_ids(org_id=org["id"], **params)), want, "combined filters %r" % params)


# ================================================================ editing

def test_patch_changes_only_the_sent_fields():
    org, admin = _org()
    a = _create(admin, org["id"])
    time.sleep(1.1)
    r = _patch(admin, _p(a["id"]), {"title": "改过的标题", "capacity": 50, "themes": ["emergency"],
                                    "region_code": "420102", "requirements": None, "members_only": True})
    b = json_ok(r, 200, "PATCH")
    eq(b["title"], "改过的标题", "title")
    eq(b["capacity"], 50, "capacity")
    eq(b["themes"], ["emergency"], "themes")
    eq(b["region"], REGIONS["420102"], "region")
    eq(b["requirements"], None, "requirements cleared")
    eq(b["members_only"], True, "members_only")
    for k in ACTIVITY_KEYS - {"title", "capacity", "themes", "region", "requirements", "members_only", "updated_at"}:
        eq(b[k], a[k], "unchanged " + k)
    ok(_parse(b["updated_at"]) > _parse(a["updated_at"]), "updated_at moves on")
    eq(_activity(a["id"]), b, "GET shows the edit")
    s = _now() + 10 * D
    t = {"signup_starts_at": _iso(_now() - H), "signup_ends_at": _iso(s - D), "starts_at": _iso(s),
         "ends_at": _iso(s + 6 * H)}
    c = json_ok(_patch(admin, _p(a["id"]), dict(t, service_hours=6)), 200, "move all times")
    for k in TIME_FIELDS:
        eq(_parse(c[k]), _parse(t[k]), k)
    eq(c["service_hours"], 6, "service_hours")
    eq(c["status"], "recruiting", "still recruiting")
    eq(json_ok(_patch(admin, _p(a["id"]), {}), 200, "empty PATCH")["title"], "改过的标题",
       "empty PATCH changes nothing")


def test_patch_org_id_is_immutable():
    org, admin = _org()
    other, _ = approved_org(admin)
    a = _create(admin, org["id"])
    _only_error(_patch(admin, _p(a["id"]), {"org_id": other["id"]}), "org_id", "immutable", "another org")
    _only_error(_patch(admin, _p(a["id"]), {"org_id": org["id"]}), "org_id", "immutable", "the same org")
    eq(_activity(a["id"])["org"]["id"], org["id"], "org unchanged")


def test_patch_the_merged_activity_must_satisfy_every_rule():
    org, admin = _org()
    a = _create(admin, org["id"])  # recruiting, 4 hours, 2.5 service hours
    s, e = _parse(a["starts_at"]), _parse(a["ends_at"])
    sue, sus = _parse(a["signup_ends_at"]), _parse(a["signup_starts_at"])
    cases = [
        ({"ends_at": _iso(s - H)}, ("ends_at", "invalid_range")),
        ({"ends_at": _iso(s)}, ("ends_at", "invalid_range")),
        ({"starts_at": _iso(e + H)}, ("ends_at", "invalid_range")),
        ({"signup_ends_at": _iso(e + H)}, ("signup_ends_at", "invalid_range")),
        ({"signup_starts_at": _iso(sue)}, ("signup_ends_at", "invalid_range")),
        ({"signup_ends_at": _iso(sus - H)}, ("signup_ends_at", "invalid_range")),
        ({"ends_at": _iso(s + 2 * H)}, ("service_hours", "out_of_range")),
        ({"service_hours": 4.5}, ("service_hours", "out_of_range")),
        ({"service_hours": 0}, ("service_hours", "out_of_range")),
        ({"capacity": 0}, ("capacity", "out_of_range")),
        ({"title": ""}, ("title", "too_short")),
        ({"region_code": "419999"}, ("region_code", "invalid_choice")),
        ({"starts_at": "2030-01-01T09:00:00"}, ("starts_at", "invalid_format")),
        ({"themes": None}, ("themes", "invalid_type")),
        ({"contact_phone": "x"}, ("contact_phone", "invalid_format")),
    ]
    for patch, err in cases:
        field_errors(_patch(admin, _p(a["id"]), patch), err)
    eq(_activity(a["id"]), a, "nothing changed by the refused edits")
    b = json_ok(_patch(admin, _p(a["id"]), {"ends_at": _iso(s + 2.5 * H)}), 200, "shortened to exactly 2.5 h")
    eq(_parse(b["ends_at"]), s + 2.5 * H, "ends_at")
    json_ok(_patch(admin, _p(a["id"]), {"signup_ends_at": b["ends_at"]}), 200, "signup_ends_at == ends_at")


def test_patch_rejects_unknown_fields_such_as_status_and_signed_up():
    org, admin = _org()
    a = _create(admin, org["id"])
    for field, value in (("status", "ended"), ("signed_up", 3), ("id", 9), ("cancel_reason", "x"), ("foo", 1)):
        _only_error(_patch(admin, _p(a["id"]), {field: value}), field, "unknown_field", field)
    eq(_activity(a["id"]), a, "unchanged")


def test_patch_capacity_below_signed_up_is_409_and_equal_to_it_is_ok():
    org, admin = _org()
    a = _create(admin, org["id"], capacity=3)
    v1, v2, v3 = _vols(3, 3)
    _signed(v1, a["id"])
    _signed(v2, a["id"])
    problem(_patch(admin, _p(a["id"]), {"capacity": 1}), 409, "conflict")
    eq(_activity(a["id"])["capacity"], 3, "capacity unchanged")
    b = json_ok(_patch(admin, _p(a["id"]), {"capacity": 2}), 200, "capacity == signed_up")
    eq((b["capacity"], b["signed_up"]), (2, 2), "capacity, signed_up")
    problem(_signup(v3, a["id"]), 409, "activity_full", "full after lowering the capacity")
    json_ok(_patch(admin, _p(a["id"]), {"capacity": 3}), 200, "raise again")
    _signed(v3, a["id"])


def test_patch_by_anyone_but_the_orgs_admins_is_403_and_an_unknown_activity_404():
    parent, parent_admin = _org()
    child, child_admin = _child_org(parent, parent_admin)
    a = _create(child_admin, child["id"])
    _, other_admin = _org()
    for who, actor in (("an ancestor org's admin", parent_admin), ("another org's admin", other_admin),
                       ("a member", _member(child, child_admin)), ("a volunteer", _vol()), ("a non-volunteer", _user()),
                       ("a platform admin", _padmin("000000"))):
        problem(_patch(actor, _p(a["id"]), {"title": "篡改"}), 403, "forbidden", who)
    problem(_patch(None, _p(a["id"]), {"title": "篡改"}), 401, "unauthorized")
    eq(_activity(a["id"])["title"], a["title"], "unchanged")
    problem(_patch(child_admin, _p(999999999999), {"title": "x"}), 404, "not_found")


def test_patch_a_cancelled_activity_is_409():
    org, admin = _org()
    a = _create(admin, org["id"])
    _cancel(admin, a["id"])
    problem(_patch(admin, _p(a["id"]), {"title": "复活"}), 409, "conflict")
    eq(_activity(a["id"])["status"], "cancelled", "still cancelled")


# ================================================================ cancelling

def test_cancel_sets_status_and_reason_and_cancelling_again_is_409():
    org, admin = _org()
    a = _create(admin, org["id"])
    reason = "因暴雨预警，活动取消。\n改期另行通知"
    b = json_ok(_post(admin, _p(a["id"], "/cancel"), {"reason": reason}), 200, "cancel")
    eq((b["status"], b["cancel_reason"]), ("cancelled", reason), "status and reason")
    for k in ACTIVITY_KEYS - {"status", "cancel_reason", "updated_at"}:
        eq(b[k], a[k], "unchanged " + k)
    eq(_activity(a["id"]), b, "GET shows it cancelled")
    problem(_post(admin, _p(a["id"], "/cancel"), {"reason": "再次取消"}), 409, "conflict")
    eq(_activity(a["id"])["cancel_reason"], reason, "the first reason stays")


def test_cancel_an_ended_activity_is_409_others_403_unknown_404_and_the_reason_is_checked():
    parent, parent_admin = _org()
    org, admin = _child_org(parent, parent_admin)
    ended = _create(admin, org["id"], "ended")
    problem(_post(admin, _p(ended["id"], "/cancel"), {"reason": "太晚了"}), 409, "conflict", "ended")
    a = _create(admin, org["id"])
    for who, actor in (("an ancestor org's admin", parent_admin), ("a volunteer", _vol()),
                       ("a platform admin", _padmin("000000"))):
        problem(_post(actor, _p(a["id"], "/cancel"), {"reason": "x"}), 403, "forbidden", who)
    problem(_post(None, _p(a["id"], "/cancel"), {"reason": "x"}), 401, "unauthorized")
    problem(_post(admin, _p(999999999999, "/cancel"), {"reason": "x"}), 404, "not_found")
    _only_error(_post(admin, _p(a["id"], "/cancel"), {}), "reason", "required")
    _only_error(_post(admin, _p(a["id"], "/cancel"), {"reason": ""}), "reason", "too_short")
    _only_error(_post(admin, _p(a["id"], "/cancel"), {"reason": "因" * 501}), "reason", "too_long")
    _only_error(_post(admin, _p(a["id"], "/cancel"), {"reason": "x", "status": "ended"}), "status", "unknown_field")
    eq(_status(a["id"]), "recruiting", "not cancelled by refused requests")
    json_ok(_post(admin, _p(a["id"], "/cancel"), {"reason": "因" * 500}), 200, "500 characters")
    ongoing = _create(admin, org["id"], "ongoing")
    eq(_cancel(admin, ongoing["id"])["status"], "cancelled", "an ongoing activity can still be cancelled")


def test_org_activity_count_counts_the_activities_not_cancelled():
    org, admin = _org()
    count = lambda: json_ok(_get(None, "/orgs/%d" % org["id"]), 200, "GET org")["activity_count"]  # noqa: E731
    eq(count(), 0, "a new org")
    made = [_create(admin, org["id"], p)["id"] for p in ("recruiting", "ended", "upcoming", "ongoing")]
    eq(count(), 4, "four activities, whatever their status")
    _cancel(admin, made[0])
    eq(count(), 3, "a cancelled one no longer counts")
    _cancel(admin, made[2])
    eq(count(), 2, "two cancelled")


# ================================================================ signing up

def test_signup_returns_201_confirmed_and_counts_the_place():
    org, admin = _org()
    a = _create(admin, org["id"], capacity=5)
    v = _vol()
    r = _signup(v, a["id"])
    s = json_ok(r, 201, "sign up")
    eq(set(s), SIGNUP_KEYS, "sign-up keys")
    eq((s["activity_id"], s["volunteer_id"], s["status"]), (a["id"], v["id"], "confirmed"), "sign-up")
    _about_now(s["created_at"], "created_at")
    eq(_activity(a["id"])["signed_up"], 1, "signed_up after one sign-up")
    _signed(_vol(), a["id"])
    eq(_activity(a["id"])["signed_up"], 2, "signed_up after two")
    eq(_db_count(a["id"]), 2, "rows in activity.signups")


def test_signup_when_full_is_409_activity_full():
    org, admin = _org()
    a = _create(admin, org["id"], capacity=1)
    v1, v2 = _vols(2, 2)
    _signed(v1, a["id"])
    problem(_signup(v2, a["id"]), 409, "activity_full")
    eq(_activity(a["id"])["signed_up"], 1, "still one")
    problem(_signup(v1, a["id"]), 409, "already_signed_up", "the one who has the place")


def test_a_full_activitys_later_signups_answer_in_the_contracts_order_and_a_place_added_is_taken():
    """After a refusal for full, the service first asks, read-only, whether the next sign-up is refused too
    (common/gate.h, SQL_SIGNUP_CHECK): the answers keep the contract's order, and a place added by an edit
    (no sign-up answered it) goes to the next volunteer."""
    org, admin = _org()
    a = _create(admin, org["id"], capacity=1)
    v1, v2, v3 = _vols(3, 3)
    _signed(v1, a["id"])
    problem(_signup(v2, a["id"]), 409, "activity_full")
    problem(_signup(_user(), a["id"]), 403, "volunteer_required", "a non-volunteer, before full")
    problem(_signup(v1, a["id"]), 409, "already_signed_up", "the one who has the place, before full")
    problem(_signup(v2, a["id"]), 409, "activity_full", "again")
    json_ok(_patch(admin, _p(a["id"]), {"capacity": 2}), 200, "one place more")
    _signed(v2, a["id"])
    problem(_signup(v3, a["id"]), 409, "activity_full", "full again")
    eq((_activity(a["id"])["signed_up"], _db_count(a["id"])), (2, 2), "signed_up, rows")


def test_signup_outside_the_window_cancelled_or_ended_is_409_signup_closed():
    org, admin = _org()
    v = _vol()
    for preset in ("upcoming", "signup_closed", "ongoing", "ended"):
        a = _create(admin, org["id"], preset)
        problem(_signup(v, a["id"]), 409, "signup_closed", preset)
        eq(_activity(a["id"])["signed_up"], 0, preset + ": nothing counted")
    a = _create(admin, org["id"])
    _cancel(admin, a["id"])
    problem(_signup(v, a["id"]), 409, "signup_closed", "cancelled")
    eq(_db_count(a["id"]), 0, "no sign-up row for the cancelled activity")
    # a window that moved shut after a first sign-up
    b = _create(admin, org["id"])
    _signed(_vol(), b["id"])
    _set_times(b["id"], "signup_closed")
    problem(_signup(v, b["id"]), 409, "signup_closed", "closed after the move")


def test_signup_while_ongoing_with_the_window_still_open_is_accepted():
    org, admin = _org()
    a = _create(admin, org["id"], "ongoing_open")
    eq(a["status"], "ongoing", "status")
    v = _vol()
    _signed(v, a["id"])
    eq(_activity(a["id"])["signed_up"], 1, "signed_up")


def test_signup_twice_is_409_already_signed_up():
    org, admin = _org()
    a = _create(admin, org["id"])
    v = _vol()
    _signed(v, a["id"])
    problem(_signup(v, a["id"]), 409, "already_signed_up")
    eq((_activity(a["id"])["signed_up"], _db_count(a["id"])), (1, 1), "counted once")


def test_signup_by_a_non_volunteer_is_403_volunteer_required_and_without_a_token_401():
    org, admin = _org()
    a = _create(admin, org["id"])
    problem(_signup(_user(), a["id"]), 403, "volunteer_required")
    problem(_signup(_user(), 999999999999), 403, "volunteer_required", "before the activity is looked up")
    problem(_signup(None, a["id"]), 401, "unauthorized")
    eq((_activity(a["id"])["signed_up"], _db_count(a["id"])), (0, 0), "nothing counted, no row")


def test_members_only_activity_takes_active_members_only():
    org, admin = _org()
    a = _create(admin, org["id"], members_only=True)
    stranger = _vol()
    problem(_signup(stranger, a["id"]), 403, "forbidden", "not a member")
    pending = _vol()
    json_ok(_post(pending, "/orgs/%d/members" % org["id"]), 201, "apply")
    problem(_signup(pending, a["id"]), 403, "forbidden", "a pending member")
    other_org, other_admin = _org()
    problem(_signup(_member(other_org, other_admin), a["id"]), 403, "forbidden", "a member of another org")
    member = _member(org, admin)
    _signed(member, a["id"])
    eq(_activity(a["id"])["signed_up"], 1, "only the member counted")
    open_one = _create(admin, org["id"], members_only=False)
    _signed(stranger, open_one["id"])


def test_signup_for_an_unknown_activity_is_404_and_the_body_must_be_empty():
    org, admin = _org()
    v = _vol()
    problem(_signup(v, 999999999999), 404, "not_found")
    a = _create(admin, org["id"])
    _only_error(_post(v, _p(a["id"], "/signups"), {"volunteer_id": 1}), "volunteer_id", "unknown_field")
    eq(_activity(a["id"])["signed_up"], 0, "nothing counted")
    json_ok(_post(v, _p(a["id"], "/signups"), {}), 201, "an empty object will do")


def test_200_concurrent_signups_for_10_places_confirm_exactly_10():
    org, admin = _org()
    a = _create(admin, org["id"], capacity=10)
    vols = _vols(200, 25)
    res = _burst(lambda v: _signup(v, a["id"]), [(v,) for v in vols], workers=50)
    tally = _tally(res)
    eq(tally.get((201, None), 0), 10, "201s (tally %r)" % tally)
    eq(tally.get((409, "activity_full"), 0), 190, "409 activity_full (tally %r)" % tally)
    after = _activity(a["id"])
    eq((after["signed_up"], after["capacity"]), (10, 10), "signed_up")
    eq(_db_count(a["id"]), 10, "rows in activity.signups")
    winners = sorted(r.json()["volunteer_id"] for r in res if not isinstance(r, BaseException) and r.status == 201)
    eq(winners, sorted(int(x) for x in psql("SELECT volunteer_id FROM activity.signups WHERE activity_id = %d"
                                            % a["id"]).split()), "the confirmed are the rows")


def test_signup_refused_by_a_commit_it_waited_for_answers_activity_full():
    """The sign-up statement reads its refusal's reasons in its own snapshot; a sign-up that waited on the
    activity's row for a commit that filled it sees no reason there and must ask again: 409 activity_full."""
    org, admin = _org()
    a = _create(admin, org["id"], capacity=1)
    vol = _vol()
    holder = threading.Thread(target=psql, args=("SET application_name = 'seat-holder'; BEGIN;"
                                                 " UPDATE activity.activities SET signed_up = 1 WHERE id = %d;"
                                                 " SELECT pg_sleep(1.5); COMMIT;" % a["id"],))
    holder.start()
    try:
        deadline = time.time() + 5
        while time.time() < deadline and psql("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity s USING (pid)"
                                              " WHERE s.application_name = 'seat-holder'"
                                              " AND l.locktype = 'transactionid'") != "1":
            time.sleep(0.02)
        t0 = time.time()
        res = _signup(vol, a["id"])
        ok(time.time() - t0 > 0.3, "the sign-up waited for the holder's commit")
        problem(res, 409, "activity_full")
    finally:
        holder.join(timeout=10)
    eq(_db_count(a["id"]), 0, "no sign-up row")
    psql("UPDATE activity.activities SET signed_up = 0 WHERE id = %d" % a["id"])


def test_20_concurrent_signups_of_one_volunteer_confirm_once():
    org, admin = _org()
    a = _create(admin, org["id"], capacity=50)
    v = _vol()
    actors = [{"client": Client(), "token": v["token"]} for _ in range(20)]
    res = _burst(lambda act: _signup(act, a["id"]), [(act,) for act in actors], workers=20)
    tally = _tally(res)
    eq(tally.get((201, None), 0), 1, "one 201 (tally %r)" % tally)
    eq(tally.get((409, "already_signed_up"), 0), 19, "19 already_signed_up (tally %r)" % tally)
    eq((_activity(a["id"])["signed_up"], _db_count(a["id"])), (1, 1), "signed_up, rows")


def _race(cap, vols, per_vol, seconds, readers=1):
    """Each volunteer in per_vol threads (each its own client) alternately signs up and
    withdraws for `seconds` on a fresh activity of capacity cap, while one more thread reads
    the activity. Returns (activity id, every answer's (status, code), the answers outside
    the contract as (method, response or text))."""
    org, admin = _org()
    a = _create(admin, org["id"], capacity=cap)
    stop = time.monotonic() + seconds
    allowed = {"POST": {(201, None), (409, "already_signed_up"), (409, "activity_full")},
               "DELETE": {(204, None), (404, "not_found")}}
    bad, seen, lock = [], [], threading.Lock()

    def churn(v, first_post):
        actor = {"client": Client(), "token": v["token"]}
        post = first_post
        n = 0
        while time.monotonic() < stop and n < 2000:
            try:
                r = _signup(actor, a["id"]) if post else _withdraw(actor, a["id"])
            except BaseException as e:  # noqa: B902 - a dropped connection is a finding too
                r = e
            k = _code(r)
            with lock:
                seen.append(k)
                if k not in allowed["POST" if post else "DELETE"]:
                    bad.append(("POST" if post else "DELETE", r))
            post = not post
            n += 1

    def watch():
        c = Client()
        while time.monotonic() < stop:
            try:
                s = json_ok(c.get(_p(a["id"])), 200, "GET during the race")["signed_up"]
                if not 0 <= s <= cap:
                    with lock:
                        bad.append(("GET", "signed_up %d outside [0, %d]" % (s, cap)))
            except BaseException as e:  # noqa: B902
                with lock:
                    bad.append(("GET", str(e)[:300]))
            time.sleep(0.02)
    args = [(v, i % 2 == 0) for v in vols for i in range(per_vol)]
    threads = [threading.Thread(target=churn, args=x) for x in args] + [threading.Thread(target=watch)
                                                                        for _ in range(readers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    ok(len(seen) > 50, "the race ran (%d requests)" % len(seen))
    return a["id"], seen, bad


def _describe(bad, seen):
    counts, examples = {}, {}
    for m, r in bad:
        key = (m, _code(r) if not isinstance(r, str) else r[:80])
        counts[key] = counts.get(key, 0) + 1
        examples.setdefault(key, r)
    return "%d of %d requests answered outside the contract: %r; examples: %s" % (
        len(bad), len(seen), counts, " | ".join(str(e) for e in examples.values()))


def test_withdraw_and_signup_races_never_drift_from_the_rows_or_exceed_capacity():
    cap = 2
    vols = _vols(4, 4)
    aid, seen, bad = _race(cap, vols, 2, 5)
    after = _activity(aid)
    rows = _db_count(aid)
    eq(after["signed_up"], rows, "signed_up equals the rows in activity.signups (answers %r)" % _tally_keys(seen))
    eq(_db_signed_up(aid), rows, "the signed_up column equals the rows")
    ok(0 <= rows <= cap, "rows %d within capacity %d" % (rows, cap))
    over = [b for b in bad if b[0] == "GET"]
    ok(not over, "reads during the race: %s" % _describe(over, seen))
    # each volunteer's own view agrees with the rows
    for v in vols:
        signed = int(psql("SELECT count(*) FROM activity.signups WHERE activity_id = %d AND volunteer_id = %d"
                          % (aid, v["id"])))
        r = _signup(v, aid)
        if signed:
            problem(r, 409, "already_signed_up", "a volunteer whose row exists")
        elif rows < cap:
            json_ok(r, 201, "a volunteer without a row and a free place signs up")
            rows += 1
        else:
            problem(r, 409, "activity_full", "no free place")
    eq((_activity(aid)["signed_up"], _db_count(aid)), (rows, rows), "after the last sign-ups")


def test_withdraw_and_signup_races_answer_only_contract_statuses():
    # POST: 201, 409 already_signed_up or activity_full; DELETE (before the start): 204 or 404
    aid, seen, bad = _race(2, _vols(4, 4), 2, 5)
    eq(_activity(aid)["signed_up"], _db_count(aid), "signed_up equals the rows")
    ok(not bad, _describe(bad, seen))


# ================================================================ withdrawing

def test_withdraw_before_the_start_frees_the_place_and_allows_signing_up_again():
    org, admin = _org()
    a = _create(admin, org["id"], capacity=1)
    v, w = _vols(2, 2)
    _signed(v, a["id"])
    problem(_signup(w, a["id"]), 409, "activity_full")
    r = _withdraw(v, a["id"])
    eq(r.status, 204, "withdraw: %s" % r)
    eq(r.body, b"", "204 has no body")
    eq((_activity(a["id"])["signed_up"], _db_count(a["id"])), (0, 0), "place freed")
    _signed(w, a["id"])
    problem(_signup(v, a["id"]), 409, "activity_full", "the freed place went to another")
    eq(_withdraw(w, a["id"]).status, 204, "the other withdraws")
    _signed(v, a["id"])
    eq(_activity(a["id"])["signed_up"], 1, "signed up again")


def test_withdraw_after_the_start_is_409_and_when_not_signed_up_404():
    org, admin = _org()
    a = _create(admin, org["id"], "ongoing_open")
    v = _vol()
    _signed(v, a["id"])
    problem(_withdraw(v, a["id"]), 409, "conflict", "ongoing")
    b = _create(admin, org["id"])
    _signed(v, b["id"])
    _set_times(b["id"], "ended")
    problem(_withdraw(v, b["id"]), 409, "conflict", "ended")
    eq((_activity(b["id"])["signed_up"], _db_count(b["id"])), (1, 1), "still signed up")
    c = _create(admin, org["id"])
    problem(_withdraw(v, c["id"]), 404, "not_found", "not signed up")
    problem(_withdraw(v, 999999999999), 404, "not_found", "unknown activity")
    problem(_withdraw(None, c["id"]), 401, "unauthorized")
    _signed(v, c["id"])
    eq(_withdraw(v, c["id"]).status, 204, "withdraw")
    problem(_withdraw(v, c["id"]), 404, "not_found", "withdrawn twice")


# ================================================================ the roster

def _roster(actor, aid, **params):
    q = urllib.parse.urlencode(params)
    return _get(actor, _p(aid, "/signups") + ("?" + q if q else ""))


def test_roster_for_own_and_ancestor_org_admins_shows_full_phones():
    parent, parent_admin = _org()
    org, admin = _child_org(parent, parent_admin)
    a = _create(admin, org["id"])
    v1, v2 = _vols(2, 2)
    s1 = _signed(v1, a["id"])
    s2 = _signed(v2, a["id"])
    for who, actor in (("own admin", admin), ("ancestor admin", parent_admin)):
        p = json_ok(_roster(actor, a["id"]), 200, who)
        eq(set(p), {"items", "total", "page", "page_size"}, who + ": page keys")
        eq(p["total"], 2, who + ": total")
        by_vid = {it["volunteer"]["id"]: it for it in p["items"]}
        eq(sorted(by_vid), sorted([v1["id"], v2["id"]]), who + ": volunteers")
        for v, s in ((v1, s1), (v2, s2)):
            it = by_vid[v["id"]]
            eq(set(it), ROSTER_KEYS, who + ": item keys")
            eq(set(it["volunteer"]), VOLUNTEER_KEYS, who + ": volunteer keys")
            eq(it["volunteer"]["phone"], v["phone"], who + ": full phone")
            eq(it["volunteer"]["id_number"], mask_id_number(v["body"]["id_number"]), who + ": masked id_number")
            eq(it["volunteer"]["real_name"], v["body"]["real_name"], who + ": real_name")
            eq((it["status"], it["created_at"], it["hours"]), ("confirmed", s["created_at"], None), who + ": sign-up")


def test_roster_for_platform_admins_in_scope_masks_phones_and_out_of_scope_is_404():
    org, admin = _org()  # in 410702
    a = _create(admin, org["id"])
    v = _vol()
    _signed(v, a["id"])
    for region in ("000000", "410000", "410702"):
        p = json_ok(_roster(_padmin(region), a["id"]), 200, "platform admin of %s" % region)
        eq([it["volunteer"]["id"] for it in p["items"]], [v["id"]], "roster")
        eq(p["items"][0]["volunteer"]["phone"], mask_phone(v["phone"]), "masked phone for platform admin %s" % region)
    for region in ("420000", "410703"):
        problem(_roster(_padmin(region), a["id"]), 404, "not_found", "platform admin of %s" % region)


def test_roster_is_404_to_members_signed_up_volunteers_other_admins_and_strangers():
    org, admin = _org()
    a = _create(admin, org["id"])
    member = _member(org, admin)
    signed = _vol()
    _signed(signed, a["id"])
    _signed(member, a["id"])
    _, other_admin = _org()
    for who, actor in (("a member", member), ("a signed-up volunteer", signed), ("another org's admin", other_admin),
                       ("a stranger volunteer", _vol()), ("a non-volunteer", _user())):
        problem(_roster(actor, a["id"]), 404, "not_found", who)
    problem(_roster(None, a["id"]), 401, "unauthorized")
    problem(_roster(admin, 999999999999), 404, "not_found", "unknown activity")


def test_roster_pages_in_sign_up_order():
    org, admin = _org()
    a = _create(admin, org["id"])
    vols = _vols(3, 3)
    for v in vols:
        _signed(v, a["id"])
    seen = []
    for page in (1, 2, 3):
        p = json_ok(_roster(admin, a["id"], page=page, page_size=1), 200, "roster page %d" % page)
        eq((p["total"], p["page"], p["page_size"], len(p["items"])), (3, page, 1, 1), "page %d" % page)
        seen += [it["volunteer"]["id"] for it in p["items"]]
    eq(seen, [v["id"] for v in vols], "sign-up order, each once")
    p = json_ok(_roster(admin, a["id"], page=4, page_size=1), 200, "past the end")
    eq((p["items"], p["total"]), ([], 3), "past the end")
    problem(_roster(admin, a["id"], page_size=101), 422, "validation_failed")


# ================================================================ service records

def _records(actor, aid, records):
    return _post(actor, _p(aid, "/service-records"), {"records": records})


def _db_records(aid):
    return int(psql("SELECT count(*) FROM activity.service_records WHERE activity_id = %d" % aid))


def _my_records(v):
    return json_ok(_get(v, "/volunteers/me/service-records"), 200, "GET /volunteers/me/service-records")


def test_records_before_the_start_or_when_cancelled_are_409():
    org, admin = _org()
    a = _create(admin, org["id"])
    v = _vol()
    _signed(v, a["id"])
    problem(_records(admin, a["id"], [{"volunteer_id": v["id"], "hours": 1}]), 409, "conflict", "not started")
    _cancel(admin, a["id"])
    _set_times(a["id"], "ongoing")
    problem(_records(admin, a["id"], [{"volunteer_id": v["id"], "hours": 1}]), 409, "conflict", "cancelled")
    _set_times(a["id"], "ended")
    problem(_records(admin, a["id"], [{"volunteer_id": v["id"], "hours": 1}]), 409, "conflict", "cancelled, ended")
    eq(_db_records(a["id"]), 0, "nothing recorded")


def test_records_name_each_bad_record():
    org, admin = _org()
    a = _create(admin, org["id"])
    v1, v2, outsider = _vols(3, 3)
    _signed(v1, a["id"])
    _signed(v2, a["id"])
    _set_times(a["id"], "ended")  # 4 hours long
    aid = a["id"]
    _only_error(_records(admin, aid, [{"volunteer_id": v1["id"], "hours": 1}, {"volunteer_id": outsider["id"],
                                                                                "hours": 1}]),
                "records[1].volunteer_id", "not_signed_up", "a volunteer not signed up")
    _only_error(_records(admin, aid, [{"volunteer_id": 999999999999, "hours": 1}]), "records[0].volunteer_id",
                "not_signed_up", "an unknown volunteer")
    for hours in (0, -1, -0.5, 4.01, 100):
        _only_error(_records(admin, aid, [{"volunteer_id": v1["id"], "hours": hours}]), "records[0].hours",
                    "out_of_range", "hours %r" % hours)
    _only_error(_records(admin, aid, [{"volunteer_id": v1["id"], "hours": 1}, {"volunteer_id": v2["id"], "hours": 1},
                                      {"volunteer_id": v1["id"], "hours": 2}]),
                "records[2].volunteer_id", "duplicate", "the same volunteer twice")
    _only_error(_records(admin, aid, [{"volunteer_id": v1["id"], "hours": 1, "note": "x"}]), "records[0].note",
                "unknown_field", "an unknown record key")
    _only_error(_records(admin, aid, [{"volunteer_id": v1["id"]}]), "records[0].hours", "required")
    _only_error(_records(admin, aid, [{"hours": 1}]), "records[0].volunteer_id", "required")
    _only_error(_records(admin, aid, [{"volunteer_id": str(v1["id"]), "hours": 1}]), "records[0].volunteer_id",
                "invalid_type")
    _only_error(_records(admin, aid, [{"volunteer_id": v1["id"], "hours": "1"}]), "records[0].hours", "invalid_type")
    field_errors(_post(admin, _p(aid, "/service-records"), {"records": [], "x": 1}), ("x", "unknown_field"))
    field_errors(_post(admin, _p(aid, "/service-records"), {}), ("records", "required"))
    body = field_errors(_records(admin, aid, [{"volunteer_id": outsider["id"], "hours": 0},
                                              {"volunteer_id": v2["id"], "hours": 9}]),
                        ("records[0].volunteer_id", "not_signed_up"), ("records[0].hours", "out_of_range"),
                        ("records[1].hours", "out_of_range"))
    ok(len(body["errors"]) == 3, "every bad record at once: %r" % body["errors"])
    eq(_db_records(aid), 0, "nothing recorded by refused requests")


def test_records_are_all_or_nothing():
    org, admin = _org()
    a = _create(admin, org["id"])
    v1, v2, outsider = _vols(3, 3)
    _signed(v1, a["id"])
    _signed(v2, a["id"])
    _set_times(a["id"], "ongoing")
    field_errors(_records(admin, a["id"], [{"volunteer_id": v1["id"], "hours": 2},
                                           {"volunteer_id": outsider["id"], "hours": 1}]),
                 ("records[1].volunteer_id", "not_signed_up"))
    field_errors(_records(admin, a["id"], [{"volunteer_id": v1["id"], "hours": 2},
                                           {"volunteer_id": v2["id"], "hours": 0}]),
                 ("records[1].hours", "out_of_range"))
    eq(_db_records(a["id"]), 0, "no record of the refused requests")
    eq(_me(v1)["service_hours"], 0, "no hours credited")
    p = json_ok(_roster(admin, a["id"]), 200, "roster")
    eq([it["hours"] for it in p["items"]], [None, None], "roster hours still null")
    eq(json_ok(_records(admin, a["id"], [{"volunteer_id": v1["id"], "hours": 2},
                                         {"volunteer_id": v2["id"], "hours": 1.5}]), 200, "record two"),
       {"recorded": 2}, "recorded")
    eq(_db_records(a["id"]), 2, "two records")


def test_records_replace_hours_and_volunteer_totals_stay_exact():
    org, admin = _org()
    a1 = _create(admin, org["id"], title="服务一")
    a2 = _create(admin, org["id"], title="服务二")
    v = _vol()
    eq(_me(v)["service_hours"], 0, "a new volunteer")
    _signed(v, a1["id"])
    _signed(v, a2["id"])
    _set_times(a1["id"], "ended")
    _set_times(a2["id"], "ongoing")
    eq(json_ok(_records(admin, a1["id"], [{"volunteer_id": v["id"], "hours": 2.5}]), 200, "a1"), {"recorded": 1}, "a1")
    eq(json_ok(_records(admin, a2["id"], [{"volunteer_id": v["id"], "hours": 1.25}]), 200, "a2"), {"recorded": 1}, "a2")
    eq(_me(v)["service_hours"], 3.75, "2.5 + 1.25")
    mine = _my_records(v)
    eq(set(mine), {"total_hours", "items"}, "service-records keys")
    eq(mine["total_hours"], 3.75, "total_hours")
    by_id = {it["activity"]["id"]: it for it in mine["items"]}
    eq(sorted(by_id), sorted([a1["id"], a2["id"]]), "one item per activity")
    for act, hours in ((_activity(a1["id"]), 2.5), (_activity(a2["id"]), 1.25)):
        it = by_id[act["id"]]
        eq(set(it), {"activity", "date", "hours"}, "item keys")
        eq(it["activity"], {"id": act["id"], "title": act["title"], "org": {"id": org["id"], "name": org["name"]}},
           "item activity")
        eq(it["date"], _parse(act["starts_at"]).astimezone(CN).date().isoformat(), "date of starts_at in China")
        eq(it["hours"], hours, "hours")
    eq(json_ok(_records(admin, a1["id"], [{"volunteer_id": v["id"], "hours": 1}]), 200, "replace"), {"recorded": 1},
       "replace")
    eq(_me(v)["service_hours"], 2.25, "1 + 1.25 after replacing 2.5 by 1")
    eq(_my_records(v)["total_hours"], 2.25, "total_hours after replacing")
    eq(_db_records(a1["id"]), 1, "replaced, not added")
    roster = json_ok(_roster(admin, a1["id"]), 200, "roster")["items"]
    eq([(it["volunteer"]["id"], it["hours"]) for it in roster], [(v["id"], 1)], "roster hours")
    eq(roster[0]["volunteer"]["service_hours"], 2.25, "the roster's volunteer shows the total")
    eq(json_ok(_records(admin, a2["id"], [{"volunteer_id": v["id"], "hours": 4}]), 200, "the whole duration"),
       {"recorded": 1}, "hours == duration")
    eq(_me(v)["service_hours"], 5, "1 + 4")


def test_records_by_an_ancestor_admin_are_accepted_and_by_anyone_else_403():
    parent, parent_admin = _org()
    org, admin = _child_org(parent, parent_admin)
    a = _create(admin, org["id"])
    member = _member(org, admin)
    _signed(member, a["id"])
    _set_times(a["id"], "ended")
    rec = [{"volunteer_id": member["id"], "hours": 2}]
    _, other_admin = _org()
    for who, actor in (("the volunteer itself", member), ("another org's admin", other_admin),
                       ("a stranger", _vol()), ("a non-volunteer", _user()), ("a platform admin", _padmin("000000"))):
        problem(_records(actor, a["id"], rec), 403, "forbidden", who)
    problem(_records(None, a["id"], rec), 401, "unauthorized")
    problem(_records(admin, 999999999999, rec), 404, "not_found")
    eq(_db_records(a["id"]), 0, "nothing recorded by refused requests")
    eq(json_ok(_records(parent_admin, a["id"], rec), 200, "ancestor admin"), {"recorded": 1}, "ancestor admin")
    eq(_me(member)["service_hours"], 2, "credited")


def test_records_hours_too_fine_to_store_are_422_not_500():
    org, admin = _org()
    a = _create(admin, org["id"])
    v = _vol()
    _signed(v, a["id"])
    _set_times(a["id"], "ended")
    _only_error(_records(admin, a["id"], [{"volunteer_id": v["id"], "hours": 0.001}]), "records[0].hours",
                "out_of_range", "0.001 h is 0.00 once kept to hundredths")
    eq(_db_records(a["id"]), 0, "nothing recorded")


def test_records_hours_rounded_for_storage_stay_within_the_duration():
    org, admin = _org()
    a = _create(admin, org["id"], service_hours=0.5)
    v = _vol()
    _signed(v, a["id"])
    # 59 min 59 s long, in the past: 0.9996 h fits, rounded to hundredths (1.00 h) it would not
    _set_times(a["id"], signup_starts_at="2024-03-01T00:00:00+08:00", signup_ends_at="2024-03-09T00:00:00+08:00",
               starts_at="2024-03-10T09:00:00+08:00", ends_at="2024-03-10T09:59:59+08:00")
    r = _records(admin, a["id"], [{"volunteer_id": v["id"], "hours": 0.9996}])
    ok(r.status in (200, 422), "hours 0.9996 in 3599 s should be 422 or stored within it, got %s" % r)
    if r.status == 200:
        hours = json_ok(_roster(admin, a["id"]), 200, "roster")["items"][0]["hours"]
        ok(hours * 3600 <= 3599, "recorded hours %r exceed the activity's duration (3599 s)" % hours)
        ok(_me(v)["service_hours"] * 3600 <= 3599, "credited hours exceed the activity's duration")
    else:
        field_errors(r, ("records[0].hours", "out_of_range"))


def test_records_hours_too_large_to_store_are_422_not_500():
    org, admin = _org()
    b = _create(admin, org["id"])
    v = _vol()
    _signed(v, b["id"])
    # 15 years long, started years ago: 100000 h fit in its duration
    _set_times(b["id"], signup_starts_at="2019-12-01T00:00:00+08:00", signup_ends_at="2019-12-31T00:00:00+08:00",
               starts_at="2020-01-01T00:00:00+08:00", ends_at="2035-01-01T00:00:00+08:00")
    _only_error(_records(admin, b["id"], [{"volunteer_id": v["id"], "hours": 100000}]), "records[0].hours",
                "out_of_range", "100000 h cannot be kept as sent")
    eq(_db_records(b["id"]), 0, "nothing recorded")


def test_my_service_records_date_is_the_china_day_of_the_start():
    org, admin = _org()
    a = _create(admin, org["id"])
    v = _vol()
    _signed(v, a["id"])
    # starts 2024-03-10 16:30 UTC = 2024-03-11 00:30 in China
    _set_times(a["id"], signup_starts_at="2024-03-01T00:00:00Z", signup_ends_at="2024-03-10T16:00:00Z",
               starts_at="2024-03-10T16:30:00Z", ends_at="2024-03-10T20:30:00Z")
    json_ok(_records(admin, a["id"], [{"volunteer_id": v["id"], "hours": 2}]), 200, "record")
    items = _my_records(v)["items"]
    eq([(it["activity"]["id"], it["date"]) for it in items], [(a["id"], "2024-03-11")], "the China date")


# ================================================================ the volunteer's own activities

def _mine(v, **params):
    q = urllib.parse.urlencode(params)
    return json_ok(_get(v, "/volunteers/me/activities" + ("?" + q if q else "")), 200, "my activities %s" % q)


def test_my_activities_filter_all_upcoming_and_ended():
    org, admin = _org()
    v = _vol()
    acts = {}
    for name in ("recruiting", "ongoing", "ended", "cancelled", "cancelled_past", "not_mine"):
        acts[name] = _create(admin, org["id"], title="我的" + name)["id"]
        if name != "not_mine":
            _signed(v, acts[name])
    _set_times(acts["ongoing"], "ongoing")
    _set_times(acts["ended"], "ended")
    _cancel(admin, acts["cancelled"])
    _cancel(admin, acts["cancelled_past"])
    _set_times(acts["cancelled_past"], "ended")

    def ids(**params):
        p = _mine(v, page_size=100, **params)
        eq(p["total"], len(p["items"]), "total %r" % params)
        return sorted(it["activity"]["id"] for it in p["items"])
    mine = [n for n in acts if n != "not_mine"]
    eq(ids(), sorted(acts[n] for n in mine), "default: all")
    eq(ids(filter="all"), sorted(acts[n] for n in mine), "filter=all")
    eq(ids(filter="upcoming"), sorted([acts["recruiting"], acts["ongoing"]]), "filter=upcoming")
    eq(ids(filter="ended"), sorted([acts["ended"], acts["cancelled_past"]]), "filter=ended")
    p = _mine(v, filter="all", page_size=2, page=3)
    eq((len(p["items"]), p["total"]), (1, 5), "paged")
    problem(_get(v, "/volunteers/me/activities?filter=past"), 422, "validation_failed")
    problem(_get(v, "/volunteers/me/activities?page_size=101"), 422, "validation_failed")
    problem(_get(None, "/volunteers/me/activities"), 401, "unauthorized")


def test_my_activities_items_carry_the_full_activity_and_recorded_hours_and_q_is_literal():
    org, admin = _org()
    v = _vol()
    tag = unique_name_part(3)
    a = _create(admin, org["id"], title="100%满意" + tag)
    b = _create(admin, org["id"], title="a_b" + tag)
    c = _create(admin, org["id"], title="axb" + tag)
    signups = {x["id"]: _signed(v, x["id"]) for x in (a, b, c)}
    _set_times(a["id"], "ended")
    json_ok(_records(admin, a["id"], [{"volunteer_id": v["id"], "hours": 3.5}]), 200, "record")
    p = _mine(v)
    eq(p["total"], 3, "total")
    for it in p["items"]:
        eq(set(it), {"activity", "status", "created_at", "hours"}, "item keys")
        eq(it["activity"], _activity(it["activity"]["id"]), "the full activity")
        eq(it["status"], "confirmed", "status")
        eq(it["created_at"], signups[it["activity"]["id"]]["created_at"], "created_at of the sign-up")
        eq(it["hours"], 3.5 if it["activity"]["id"] == a["id"] else None, "hours")

    def q_ids(q):
        return sorted(it["activity"]["id"] for it in _mine(v, q=q)["items"])
    eq(q_ids("%"), [a["id"]], "q=%")
    eq(q_ids("_"), [b["id"]], "q=_")
    eq(q_ids("x"), [c["id"]], "q=x")
    eq(q_ids(tag), sorted([a["id"], b["id"], c["id"]]), "q=tag")
    eq(q_ids("无此活动"), [], "q matching nothing")


# ================================================================ the report

def _report(actor, aid, body):
    return _put(actor, _p(aid, "/report"), body)


def _report_body(**fields):
    body = {"summary": "活动圆满结束。\n共服务群众两百余人次。",
            "photo_urls": ["https://img.example.com/a.jpg", "http://img.example.com/b.png"],
            "participants": 25}
    body.update(fields)
    return {k: v for k, v in body.items() if v is not OMIT}


def test_report_before_the_start_is_409_and_get_before_any_report_is_404():
    org, admin = _org()
    a = _create(admin, org["id"])
    problem(_report(admin, a["id"], _report_body()), 409, "conflict", "not started")
    problem(_get(None, _p(a["id"], "/report")), 404, "not_found", "no report yet")
    problem(_get(None, _p(999999999999, "/report")), 404, "not_found", "unknown activity")
    problem(_report(admin, 999999999999, _report_body()), 404, "not_found", "PUT on an unknown activity")


def test_report_put_get_and_replace():
    org, admin = _org()
    a = _create(admin, org["id"], "ongoing")
    body = _report_body()
    rep = json_ok(_report(admin, a["id"], body), 200, "PUT report")
    eq(set(rep), REPORT_KEYS, "report keys")
    eq((rep["activity_id"], rep["summary"], rep["photo_urls"], rep["participants"]),
       (a["id"], body["summary"], body["photo_urls"], body["participants"]), "report")
    _about_now(rep["updated_at"], "updated_at")
    eq(json_ok(_get(None, _p(a["id"], "/report")), 200, "public GET"), rep, "GET answers what PUT answered")
    time.sleep(1.1)
    body2 = _report_body(summary="更新后的总结", photo_urls=[], participants=0)
    rep2 = json_ok(_report(admin, a["id"], body2), 200, "PUT again")
    eq((rep2["summary"], rep2["photo_urls"], rep2["participants"]), ("更新后的总结", [], 0), "replaced")
    ok(_parse(rep2["updated_at"]) > _parse(rep["updated_at"]), "updated_at moves on")
    eq(json_ok(_get(None, _p(a["id"], "/report")), 200, "GET"), rep2, "GET shows the replacement")
    eq(int(psql("SELECT count(*) FROM activity.reports WHERE activity_id = %d" % a["id"])), 1, "one report row")
    ended = _create(admin, org["id"], "ended")
    json_ok(_report(admin, ended["id"], _report_body(photo_urls=["https://x.example/%d.jpg" % i for i in range(20)])),
            200, "20 photos on an ended activity")


def test_report_validation():
    org, admin = _org()
    aid = _create(admin, org["id"], "ended")["id"]
    cases = [
        ({"photo_urls": ["ftp://img.example.com/a.jpg"]}, "photo_urls[0]", "invalid_format"),
        ({"photo_urls": ["https://ok.example/a.jpg", "not a url"]}, "photo_urls[1]", "invalid_format"),
        ({"photo_urls": ["https://ok.example/a.jpg", "javascript:alert(1)"]}, "photo_urls[1]", "invalid_format"),
        ({"photo_urls": ["https://ok.example/a b.jpg"]}, "photo_urls[0]", "invalid_format"),
        ({"photo_urls": ["https://x.example/%d.jpg" % i for i in range(21)]}, "photo_urls", "too_long"),
        ({"photo_urls": [5]}, "photo_urls[0]", "invalid_type"),
        ({"participants": -1}, "participants", "out_of_range"),
        ({"participants": "3"}, "participants", "invalid_type"),
        ({"participants": 2.5}, "participants", "invalid_type"),
        ({"summary": ""}, "summary", "too_short"),
        ({"summary": "总" * 5001}, "summary", "too_long"),
        ({"summary": OMIT}, "summary", "required"),
        ({"participants": OMIT}, "participants", "required"),
        ({"activity_id": aid}, "activity_id", "unknown_field"),
    ]
    for fields, field, code in cases:
        _only_error(_report(admin, aid, _report_body(**fields)), field, code, "%r" % {k: str(v)[:30] for k, v in
                                                                                    fields.items()})
    problem(_get(None, _p(aid, "/report")), 404, "not_found", "no report after refused PUTs")
    json_ok(_report(admin, aid, _report_body(summary="总" * 5000)), 200, "5000 characters")


def test_report_by_an_ancestor_admin_is_accepted_and_by_anyone_else_403():
    parent, parent_admin = _org()
    org, admin = _child_org(parent, parent_admin)
    aid = _create(admin, org["id"], "ended")["id"]
    _, other_admin = _org()
    for who, actor in (("another org's admin", other_admin), ("a member", _member(org, admin)),
                       ("a stranger", _vol()), ("a platform admin", _padmin("000000"))):
        problem(_report(actor, aid, _report_body()), 403, "forbidden", who)
    problem(_report(None, aid, _report_body()), 401, "unauthorized")
    problem(_get(None, _p(aid, "/report")), 404, "not_found", "nothing written by refused PUTs")
    json_ok(_report(parent_admin, aid, _report_body()), 200, "ancestor admin")
    json_ok(_report(admin, aid, _report_body(participants=3)), 200, "own admin")
    eq(json_ok(_get(None, _p(aid, "/report")), 200, "GET")["participants"], 3, "participants")

