"""Activities, contract v1.1 (issue 9): no lost update between concurrent edits, ETag and
If-Match (412 precondition_failed), the range every request time must fall in
([2000, 2100) as an instant, offsets within ±14:00, at most 6 digits of fractions: else 422
out_of_range), times that come back as the instant sent however often other fields are edited,
and the rules between recorded hours, shorter times, cancelling and the report (409s); hour
recording racing a withdrawal never answers 500, and a database failure is always logged."""

import datetime
import shlex
import subprocess
import threading
import time

import harness
from harness import eq, ok, json_ok, problem, psql
from harness import get_as as _get, post_as as _post, patch_as as _patch, put_as as _put, delete_as as _delete
from harness import call_as as _call
from test_activities import (A, D, H, CN, TIME_FIELDS, _org, _vol, _create, _body, _p, _activity, _signed,
                             _cancel, _set_times, _records, _db_records, _report_body, _burst, _iso, _parse, _now,
                             _list_resp, _only_error, _code, _tally)

OUT_OF_RANGE = "out_of_range"


def _etag(resp):
    tag = resp.header("ETag")
    ok(tag and tag.startswith('"') and tag.endswith('"') and len(tag) > 2,
       "ETag should be a strong entity tag: %r in %s" % (tag, resp))
    return tag


def _patch_if(admin, aid, body, if_match):
    return _call(admin, "PATCH", _p(aid), body, headers={"If-Match": if_match})


def _db_activity(aid, column):
    return psql("SELECT %s FROM activity.activities WHERE id = %d" % (column, aid))


# ================================================================ no lost update, ETag, If-Match

def test_15_trials_of_two_concurrent_patches_of_different_fields_keep_both_changes():
    org, admin = _org()
    a = _create(admin, org["id"], capacity=30)
    pairs = [("title", "description"), ("capacity", "address"), ("contact_name", "requirements"),
             ("members_only", "title"), ("service_hours", "themes")]
    lost = []
    for trial in range(15):
        f1, f2 = pairs[trial % len(pairs)]

        def value(field):
            return {"title": "标题%d" % trial, "description": "说明%d" % trial, "capacity": 40 + trial,
                    "address": "地址%d号" % trial, "contact_name": "联系人%d" % trial,
                    "requirements": "要求%d" % trial, "members_only": trial % 2 == 0,
                    "service_hours": 1 + trial / 10, "themes": [["health"], ["emergency"], ["other"]][trial % 3]}[field]
        res = _burst(lambda f: _patch(admin, _p(a["id"]), {f: value(f)}), [(f1,), (f2,)], workers=2)
        for r in res:
            json_ok(r, 200, "trial %d: concurrent PATCH" % trial)
        now = _activity(a["id"])
        for f in (f1, f2):
            if now[f] != value(f):
                lost.append((trial, f, value(f), now[f]))
    eq(lost, [], "changes lost by concurrent PATCHes of different fields (trial, field, sent, found)")


def test_get_and_patch_answer_an_etag_that_changes_with_every_update():
    org, admin = _org()
    a = _create(admin, org["id"])
    r = _get(None, _p(a["id"]))
    json_ok(r, 200, "GET")
    t1 = _etag(r)
    eq(_etag(_get(None, _p(a["id"]))), t1, "the same ETag while nothing changes")
    r = _patch(admin, _p(a["id"]), {"title": "第一次修改"})
    json_ok(r, 200, "PATCH")
    t2 = _etag(r)
    ok(t2 != t1, "PATCH answers a new ETag: %s then %s" % (t1, t2))
    eq(_etag(_get(None, _p(a["id"]))), t2, "GET answers the ETag the PATCH answered")
    # a sign-up changes the activity (signed_up), so its ETag too
    _signed(_vol(), a["id"])
    t3 = _etag(_get(None, _p(a["id"])))
    ok(t3 not in (t1, t2), "a sign-up moves the ETag on: %s" % t3)
    eq(_etag(_patch(admin, _p(a["id"]), {})), t3, "an empty PATCH changes nothing, not even the ETag")


def test_patch_with_a_stale_if_match_is_412_precondition_failed_and_changes_nothing():
    org, admin = _org()
    a = _create(admin, org["id"])
    stale = _etag(_get(None, _p(a["id"])))
    current = _etag(_patch(admin, _p(a["id"]), {"title": "别人先改了"}))
    before = _activity(a["id"])
    r = _patch_if(admin, a["id"], {"title": "我的修改", "capacity": 99}, stale)
    problem(r, 412, "precondition_failed", "If-Match with the ETag before another edit")
    eq(_activity(a["id"]), before, "nothing changed by the refused PATCH")
    eq(_etag(_get(None, _p(a["id"]))), current, "the ETag did not move")
    for bad in ('"no-such-version"', "W/" + current, current.strip('"'), '""'):
        problem(_patch_if(admin, a["id"], {"title": "我的修改"}, bad), 412, "precondition_failed", "If-Match %s" % bad)
    eq(_activity(a["id"]), before, "nothing changed by any refused PATCH")


def test_patch_with_the_current_if_match_is_200_with_a_new_etag():
    org, admin = _org()
    a = _create(admin, org["id"])
    t1 = _etag(_get(None, _p(a["id"])))
    r = _patch_if(admin, a["id"], {"title": "带条件的修改"}, t1)
    eq(json_ok(r, 200, "If-Match current")["title"], "带条件的修改", "title")
    t2 = _etag(r)
    ok(t2 != t1, "a new ETag after the edit")
    eq(_etag(_get(None, _p(a["id"]))), t2, "GET agrees")
    r = _patch_if(admin, a["id"], {"capacity": 31}, '"stale", %s' % t2)
    eq(json_ok(r, 200, "If-Match list holding the current tag")["capacity"], 31, "capacity")
    r = _patch_if(admin, a["id"], {"capacity": 32}, "*")
    eq(json_ok(r, 200, "If-Match *")["capacity"], 32, "capacity")
    problem(_patch_if(admin, a["id"], {"capacity": 33}, t2), 412, "precondition_failed", "the used tag is stale now")


def test_two_editors_with_the_same_if_match_one_wins_the_other_is_412():
    org, admin = _org()
    a = _create(admin, org["id"])
    tag = _etag(_get(None, _p(a["id"])))
    res = _burst(lambda f, v: _patch_if(admin, a["id"], {f: v}, tag), [("title", "甲的标题"), ("address", "乙的地址")],
                 workers=2)
    eq(sorted(_code(r) for r in res), [(200, None), (412, "precondition_failed")], "one wins, one is 412")


# ================================================================ the time range (v1.1)

def test_list_from_with_an_offset_past_14_hours_is_422_out_of_range_not_500():
    for param in ("from", "to"):
        for v in ("2026-01-01T00:00:00+16:00", "2026-01-01T00:00:00+14:01", "2026-01-01T00:00:00-15:59"):
            _only_error(_list_resp(**{param: v}), param, OUT_OF_RANGE, "%s=%s" % (param, v))
        json_ok(_list_resp(**{param: "2026-01-01T00:00:00+14:00"}), 200, "%s at +14:00" % param)
        json_ok(_list_resp(**{param: "2026-01-01T00:00:00-14:00"}), 200, "%s at -14:00" % param)


def test_times_with_200_digit_fractions_are_422_out_of_range_not_500():
    long_fraction = "2026-01-01T00:00:00." + "1234567890" * 20 + "+08:00"
    for param in ("from", "to"):
        _only_error(_list_resp(**{param: long_fraction}), param, OUT_OF_RANGE, "%s with 200 digits" % param)
        _only_error(_list_resp(**{param: "2026-01-01T00:00:00.1234567+08:00"}), param, OUT_OF_RANGE, "7 digits")
        json_ok(_list_resp(**{param: "2026-01-01T00:00:00.123456+08:00"}), 200, "6 digits")
    org, admin = _org()
    for field in TIME_FIELDS:
        good = _body(org["id"])
        body = dict(good, **{field: good[field].replace("+08:00", "." + "9" * 200 + "+08:00")})
        _only_error(_post(admin, A, body), field, OUT_OF_RANGE, "%s with 200 digits of fraction" % field)


def test_list_from_and_to_outside_2000_to_2100_are_422_out_of_range():
    # a date is the start (from) or the last microsecond (to) of that day in China
    cases = [("from", "1999-12-31"), ("to", "1999-12-31"), ("from", "2100-01-02"), ("to", "2100-01-01"),
             ("from", "1900-01-01T00:00:00+08:00"), ("to", "2100-01-01T00:00:00Z"),
             ("from", "1999-12-31T23:59:59.999999Z"), ("to", "9999-12-31T23:59:59-10:00"),
             ("from", "0001-01-01T00:00:00Z")]
    for param, v in cases:
        _only_error(_list_resp(**{param: v}), param, OUT_OF_RANGE, "%s=%s" % (param, v))
    # malformed stays invalid_format, as before
    for param, v in (("from", "2024-02-30"), ("to", "2030-05-30T09:00:00")):
        _only_error(_list_resp(**{param: v}), param, "invalid_format", "%s=%s" % (param, v))
    # the bounds themselves: 2000-01-01 in China starts 8 hours before 2000 in UTC
    json_ok(_list_resp(**{"from": "2000-01-01T00:00:00Z", "to": "2099-12-31T23:59:59.999999Z"}), 200, "bounds")
    json_ok(_list_resp(**{"from": "2000-01-02", "to": "2099-12-31"}), 200, "dates inside the range")
    json_ok(_list_resp(**{"from": "2100-01-01"}), 200, "2100-01-01 starts in 2099 in UTC")
    _only_error(_list_resp(**{"from": "2000-01-01"}), "from", OUT_OF_RANGE, "2000-01-01 in China is 1999 in UTC")


def test_create_and_patch_times_outside_the_range_are_422_out_of_range():
    org, admin = _org()
    a = _create(admin, org["id"])
    bad = ["1900-01-01T00:00:00+08:00", "1999-12-31T23:59:59.999999Z", "2100-01-01T00:00:00Z",
           "9999-12-31T20:00:00-10:00", "2026-06-01T00:00:00+14:30", "2026-06-01T00:00:00-14:01",
           "2026-06-01T00:00:00.0000001+08:00"]
    for field in TIME_FIELDS:
        for v in bad:
            _only_error(_post(admin, A, _body(org["id"], **{field: v})), field, OUT_OF_RANGE,
                        "POST %s=%s" % (field, v))
            _only_error(_patch(admin, _p(a["id"]), {field: v}), field, OUT_OF_RANGE, "PATCH %s=%s" % (field, v))
    eq(_activity(a["id"]), a, "nothing changed by the refused edits")
    # the limits themselves are accepted
    body = _body(org["id"], signup_starts_at="2000-01-01T00:00:00Z", signup_ends_at="2000-01-01T08:00:00.000001+08:00",
                 starts_at="2099-12-31T12:00:00+14:00", ends_at="2099-12-31T23:59:59.999999Z", service_hours=1)
    b = json_ok(_post(admin, A, body), 201, "times at the limits of the range")
    for k in TIME_FIELDS:
        eq(_parse(b[k]), _parse(body[k]), "%s instant at the limit" % k)


def test_times_round_trip_as_the_same_instant_through_edits_of_other_fields():
    org, admin = _org()
    start = _now() + 5 * D
    nepal = datetime.timezone(datetime.timedelta(hours=5, minutes=45))
    kiribati = datetime.timezone(datetime.timedelta(hours=14))
    sent = {"signup_starts_at": (start - 3 * D).astimezone(nepal).isoformat().replace("+05:45", ".123456+05:45"),
            "signup_ends_at": (start - D).astimezone(datetime.timezone(-datetime.timedelta(hours=9, minutes=30)))
            .isoformat().replace("-09:30", ".5-09:30"),
            "starts_at": start.astimezone(kiribati).isoformat().replace("+14:00", ".000001+14:00"),
            "ends_at": (start + 3 * H).astimezone(datetime.timezone.utc).isoformat().replace("+00:00", ".999999Z")}
    a = json_ok(_post(admin, A, _body(org["id"], service_hours=1, **sent)), 201, "create with fractions and offsets")
    for k in TIME_FIELDS:
        eq(_parse(a[k]), _parse(sent[k]), "%s as created: the same instant to the microsecond" % k)
    for i, patch in enumerate([{"title": "改一"}, {"capacity": 31}, {"address": "改三"}, {"service_hours": 2},
                               {"members_only": True}, {"title": "改六"}]):
        b = json_ok(_patch(admin, _p(a["id"]), patch), 200, "PATCH %d %r" % (i, patch))
        for k in TIME_FIELDS:
            eq(_parse(b[k]), _parse(sent[k]), "%s after PATCH %d" % (k, i))
    got = _activity(a["id"])
    for k in TIME_FIELDS:
        eq(_parse(got[k]), _parse(sent[k]), "%s in GET after the edits" % k)
        eq(psql("SELECT extract(epoch FROM %s) * 1000000 FROM activity.activities WHERE id = %d" % (k, a["id"]))
           .split(".")[0], str(int(round(_parse(sent[k]).timestamp() * 1000000))), "%s in the database" % k)
    # sending a time back as GET printed it keeps it too
    b = json_ok(_patch(admin, _p(a["id"]), {k: got[k] for k in TIME_FIELDS}), 200, "PATCH the times as printed")
    for k in TIME_FIELDS:
        eq(_parse(b[k]), _parse(sent[k]), "%s after sending it back" % k)


# ================================================================ hours, times, cancelling, the report

def test_patch_times_shorter_than_recorded_hours_is_409_and_down_to_them_is_200():
    org, admin = _org()
    a = _create(admin, org["id"], service_hours=1)
    v = _vol()
    _signed(v, a["id"])
    _set_times(a["id"], "ended")  # 4 hours long, ended three days ago
    a = _activity(a["id"])
    json_ok(_records(admin, a["id"], [{"volunteer_id": v["id"], "hours": 3}]), 200, "record 3 hours")
    s = _parse(a["starts_at"])
    problem(_patch(admin, _p(a["id"]), {"ends_at": _iso(s + 2 * H)}), 409, "conflict", "2 h < 3 h recorded")
    problem(_patch(admin, _p(a["id"]), {"starts_at": _iso(s + 2 * H)}), 409, "conflict", "starts later: 2 h left")
    problem(_patch(admin, _p(a["id"]), {"ends_at": _iso(s + 3 * H - datetime.timedelta(seconds=1))}), 409,
            "conflict", "one second short of 3 h")
    eq(_activity(a["id"])["ends_at"], a["ends_at"], "unchanged by the refused edits")
    b = json_ok(_patch(admin, _p(a["id"]), {"ends_at": _iso(s + 3 * H)}), 200, "exactly the 3 hours recorded")
    eq(_parse(b["ends_at"]), s + 3 * H, "ends_at")


def test_cancel_an_activity_with_recorded_hours_is_409():
    org, admin = _org()
    a = _create(admin, org["id"], "ongoing_open")
    v = _vol()
    _signed(v, a["id"])
    json_ok(_records(admin, a["id"], [{"volunteer_id": v["id"], "hours": 1}]), 200, "record hours")
    problem(_post(admin, _p(a["id"], "/cancel"), {"reason": "临时取消"}), 409, "conflict", "hours are recorded")
    eq(_activity(a["id"])["status"], "ongoing", "not cancelled")
    eq(_db_records(a["id"]), 1, "the hours stay")


def test_a_cancelled_activity_takes_no_hours_and_no_report_409():
    org, admin = _org()
    a = _create(admin, org["id"])
    v = _vol()
    _signed(v, a["id"])
    _cancel(admin, a["id"])
    _set_times(a["id"], "ended")
    problem(_records(admin, a["id"], [{"volunteer_id": v["id"], "hours": 1}]), 409, "conflict", "hours")
    problem(_put(admin, _p(a["id"], "/report"), _report_body()), 409, "conflict", "report")
    eq(_db_records(a["id"]), 0, "no hours")
    problem(_get(None, _p(a["id"], "/report")), 404, "not_found", "no report")


class _Locker:
    """A psql session that holds a lock until released, to widen a race deterministically."""

    def __init__(self, sql):
        self.p = subprocess.Popen(shlex.split(harness.PSQL), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        self.p.stdin.write("BEGIN;\n%s;\n" % sql)
        self.p.stdin.flush()

    def release(self):
        if self.p.poll() is None:
            self.p.communicate("COMMIT;\n\\q\n", timeout=30)


def _waiters(table):
    return int(psql("SELECT count(*) FROM pg_locks WHERE relation = '%s'::regclass AND NOT granted" % table))


def _wait_until(cond, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def test_recording_hours_racing_a_withdrawal_is_200_then_409_never_500():
    org, admin = _org()
    a = _create(admin, org["id"])
    v = _vol()
    _signed(v, a["id"])
    _set_times(a["id"], "ongoing")
    # Hold writes to service_records so that the recording stops right before its write, and let a
    # withdrawal (after the start is moved back into the future) run into that window.
    lock = _Locker("LOCK TABLE activity.service_records IN EXCLUSIVE MODE")
    out = {}
    try:
        ok(_wait_until(lambda: psql("SELECT count(*) FROM pg_locks WHERE relation = 'activity.service_records'"
                                    "::regclass AND mode = 'ExclusiveLock' AND granted") == "1", 10), "lock taken")
        rec = threading.Thread(target=lambda: out.update(
            rec=_records(admin, a["id"], [{"volunteer_id": v["id"], "hours": 1}])))
        rec.start()
        ok(_wait_until(lambda: _waiters("activity.service_records") >= 1, 10), "the recording waits for its write")

        def move_and_withdraw():
            _set_times(a["id"], "upcoming")
            out["withdraw"] = _delete(v, _p(a["id"], "/signups/me"))
        wd = threading.Thread(target=move_and_withdraw)
        wd.start()
        _wait_until(lambda: _waiters("activity.service_records") >= 2, 3)
    finally:
        lock.release()
    rec.join(30)
    wd.join(30)
    ok("rec" in out and "withdraw" in out, "both requests answered: %r" % out)
    eq(_tally([out["rec"], out["withdraw"]]).get((500, "internal"), 0), 0, "no 500: %r" % out)
    json_ok(out["rec"], 200, "the recording, checked and written in one transaction")
    problem(out["withdraw"], 409, "conflict", "withdrawing a sign-up with recorded hours")
    eq(_db_records(a["id"]), 1, "the hours are recorded")
    eq(int(psql("SELECT count(*) FROM activity.signups WHERE activity_id = %d" % a["id"])), 1, "still signed up")


def _activity_log_count(needle):
    paths = [p for p in harness.log_files() if p.endswith("/activity.log")]
    ok(paths, "the activity service's log is there")
    with open(paths[0], "rb") as f:
        return f.read().count(needle.encode("utf-8"))


def test_a_statement_timeout_is_503_and_logged_with_its_sqlstate_class():
    org, admin = _org()
    a = _create(admin, org["id"], "ended")
    json_ok(_put(admin, _p(a["id"], "/report"), _report_body()), 200, "report")
    needle = "SQLSTATE 57014"  # query_canceled (class 57): the statement timeout
    before = _activity_log_count(needle)
    lock = _Locker("LOCK TABLE activity.reports IN ACCESS EXCLUSIVE MODE")
    try:
        ok(_wait_until(lambda: psql("SELECT count(*) FROM pg_locks WHERE relation = 'activity.reports'::regclass"
                                    " AND mode = 'AccessExclusiveLock' AND granted") == "1", 10), "lock taken")
        r = _call(None, "GET", _p(a["id"], "/report"))
    finally:
        lock.release()
    problem(r, 503, "unavailable", "the statement timed out behind the lock")
    ok(_wait_until(lambda: _activity_log_count(needle) > before, 5),
       "the timeout is logged with its SQLSTATE and class in the activity service's log")


def test_an_activitys_region_is_the_regions_own_json_in_the_detail_the_list_and_my_activities():
    # the services write the region from a table of every region's JSON they keep (common/region.c),
    # no longer from a subquery per row: each answer must still carry ref.regions.display exactly
    import json
    org, admin = _org()
    vol = _vol()
    codes = ["410700", "420102", "110101"]
    made = {}
    for code in codes:
        a = _create(admin, org["id"], region_code=code)
        made[a["id"]] = code
        _signed(vol, a["id"])
    want = {}
    for line in psql("SELECT code || '|' || display::text FROM ref.regions WHERE code IN (%s)"
                     % ", ".join("'%s'" % c for c in codes)).splitlines():
        code, display = line.split("|", 1)
        want[code] = json.loads(display)
    eq(sorted(want), sorted(codes), "the regions' own JSON read back")
    for aid, code in made.items():
        eq(_activity(aid)["region"], want[code], "detail of %d: region" % aid)
    listed = json_ok(_get(None, A + "?org_id=%d&page_size=100" % org["id"]), 200, "list of the org")["items"]
    eq({it["id"]: it["region"] for it in listed}, {aid: want[c] for aid, c in made.items()}, "list: regions")
    mine = json_ok(_get(vol, "/volunteers/me/activities?page_size=100"), 200, "my activities")["items"]
    eq({it["activity"]["id"]: it["activity"]["region"] for it in mine}, {aid: want[c] for aid, c in made.items()},
       "my activities: regions")
