"""Statistics for 科协 staff (API.md "Statistics for 科协 staff", docs/stats.md): exact numbers on a
small world built here in 宁夏 (640000: no other test writes there), children adding up to their
parent, quarter and month boundaries in Asia/Shanghai, cancelled activities counted only as
cancelled, status counts by the clock, targets and who may set them, scope (404 outside, 403 for
anyone but platform admins), the public figures, and the read-only role."""

import datetime
import re
import shlex
import subprocess
import time

from harness import (Client, eq, ok, json_ok, problem, field_errors, psql, PSQL, register_volunteer, create_org,
                     approve_org, country_admin, unique_name_part)
from harness import padmin_actor as _padmin, get_as as _get, post_as as _post, put_as as _put  # noqa: E402
from harness import delete_as as _delete, call_as as _call  # noqa: E402
from harness import XLSX, read_workbook as _xlsx  # noqa: E402  (the xlsx reader the export tests share)

S = "/stats"
CN = datetime.timezone(datetime.timedelta(hours=8))
H = datetime.timedelta(hours=1)
D = datetime.timedelta(days=1)
STATUSES = ("upcoming", "recruiting", "signup_closed", "ongoing", "ended", "cancelled")
LEVELS = ("corps", "detachment", "brigade", "team", "squad")
# The four times relative to now (signup_starts_at, signup_ends_at, starts_at, ends_at), 4 hours long.
PRESETS = {
    "upcoming": (D, 2 * D, 3 * D, 3 * D + 4 * H),
    "recruiting": (-H, D, 2 * D, 2 * D + 4 * H),
    "signup_closed": (-2 * D, -H, D, D + 4 * H),
    "ongoing": (-2 * D, -2 * H, -H, 3 * H),
    "ended": (-5 * D, -4 * D, -3 * D, -3 * D + 4 * H),
}


def _iso(dt):
    return dt.astimezone(CN).isoformat()


def _parse(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))


def _month(dt):
    return dt.astimezone(CN).strftime("%Y-%m")


def _quarter(dt):
    d = dt.astimezone(CN)
    return d.year, (d.month - 1) // 3 + 1


def _vol(region):
    for attempt in range(3):
        try:
            return register_volunteer(region_code=region)
        except AssertionError as e:  # the rare random ID-number clash
            if "409" not in str(e) or attempt == 2:
                raise
    return None


def _times(preset):
    now = datetime.datetime.now(CN).replace(microsecond=0)
    ss, se, s, e = PRESETS[preset]
    return {"signup_starts_at": _iso(now + ss), "signup_ends_at": _iso(now + se),
            "starts_at": _iso(now + s), "ends_at": _iso(now + e)}


def _activity(admin, org_id, region, times, **fields):
    body = {"org_id": org_id, "title": "科普统计" + unique_name_part(4), "description": "统计测试活动。",
            "service_category": "lecture", "themes": ["science_day"], "region_code": region,
            "address": "银川市兴庆区解放东街1号", "capacity": 30, "service_hours": 2.5, "contact_name": "马老师",
            "contact_phone": "0951-1234567"}
    body.update(times)
    body.update(fields)
    return json_ok(_post(admin, "/activities", body), 201, "create activity in %s" % region)


def _set_times(aid, signup_starts_at, signup_ends_at, starts_at, ends_at):
    """Times the API refuses for an activity with sign-ups (held in the past), set by SQL."""
    psql("UPDATE activity.activities SET signup_starts_at = '%s', signup_ends_at = '%s', starts_at = '%s',"
         " ends_at = '%s' WHERE id = %d" % (signup_starts_at, signup_ends_at, starts_at, ends_at, aid))


# ---------------------------------------------------------------- the world (built once, lazily)

_W = {}


def _world():
    """Volunteers: 3 in 兴庆区 640104, 2 in 西夏区 640105, none in 金凤区 640106, 1 in 大武口区 640202.
    Orgs: A team 640104 approved, B brigade 640105 pending, C corps 640104 rejected (counts nowhere),
    D team 640106 approved (no activity). Activities of A: X1 in 640104 at 2026-03-31T23:30+08:00 (Q1,
    March) with 2 sign-ups and 2.5 + 1.5 recorded hours; X2 in 640105 at 2026-04-01T00:30+08:00 (Q2,
    April, no sign-up); X3 in 640104 cancelled (1 sign-up); X4..X8 in 640104, one per live status
    (X4 recruiting with 1 sign-up)."""
    if _W:
        return _W
    admins = dict(city_admin=_padmin("640100"), province_admin=_padmin("640000"),
                  other_city_admin=_padmin("640200"), county_admin=_padmin("640104"))
    base = _snapshot(admins["province_admin"])
    v = {k: [_vol(k) for _ in range(n)] for k, n in (("640104", 3), ("640105", 2), ("640202", 1))}
    a_admin, b_admin, c_admin, d_admin = v["640104"][0], v["640105"][0], v["640104"][1], v["640104"][2]
    org_a = approve_org(country_admin(), create_org(a_admin, level="team", region_code="640104")["id"])
    org_b = create_org(b_admin, level="brigade", region_code="640105")
    org_c = create_org(c_admin, level="corps", region_code="640104")
    json_ok(_post(country_admin(), "/orgs/%d/reject" % org_c["id"], {"reason": "材料不全"}), 200, "reject C")
    org_d = approve_org(country_admin(), create_org(d_admin, level="team", region_code="640106")["id"])

    x1 = _activity(a_admin, org_a["id"], "640104", _times("recruiting"))
    for vol in (v["640104"][1], v["640104"][2]):
        json_ok(_post(vol, "/activities/%d/signups" % x1["id"]), 201, "sign up for X1")
    _set_times(x1["id"], "2026-03-20T09:00:00+08:00", "2026-03-30T18:00:00+08:00", "2026-03-31T23:30:00+08:00",
               "2026-04-01T02:30:00+08:00")
    json_ok(_post(a_admin, "/activities/%d/service-records" % x1["id"],
                  {"records": [{"volunteer_id": v["640104"][1]["id"], "hours": 2.5},
                               {"volunteer_id": v["640104"][2]["id"], "hours": 1.5}]}), 200, "record X1 hours")
    x2 = _activity(a_admin, org_a["id"], "640105",
                   {"signup_starts_at": "2026-03-25T09:00:00+08:00", "signup_ends_at": "2026-03-31T20:00:00+08:00",
                    "starts_at": "2026-04-01T00:30:00+08:00", "ends_at": "2026-04-01T03:30:00+08:00"})
    x3 = _activity(a_admin, org_a["id"], "640104", _times("recruiting"))
    json_ok(_post(v["640105"][1], "/activities/%d/signups" % x3["id"]), 201, "sign up for X3")
    json_ok(_post(a_admin, "/activities/%d/cancel" % x3["id"], {"reason": "天气原因"}), 200, "cancel X3")
    live = {p: _activity(a_admin, org_a["id"], "640104", _times(p)) for p in PRESETS}
    json_ok(_post(v["640202"][0], "/activities/%d/signups" % live["recruiting"]["id"]), 201, "sign up for X4")

    _W.update(v=v, orgs={"A": org_a, "B": org_b, "C": org_c, "D": org_d}, a_admin=a_admin,
              x1=x1, x2=x2, x3=x3, live=live, base=base, **admins)
    return _W


THIS_MONTH = datetime.datetime.now(CN).strftime("%Y-%m")


def _snapshot(actor):
    """What the stats endpoints answer before the world is built: the tests check the world's
    deltas, so they hold on a stack that earlier runs wrote to as well."""
    snap = {"overview": {}, "regions": {}, "monthly": {}}
    for code in ("640100", "640104", "640105", "640000"):
        snap["overview"][code] = _overview(actor, code)
    for parent in ("640100", "640000"):
        items = json_ok(_get(actor, S + "/regions?parent=" + parent), 200)["items"]
        snap["regions"][parent] = {i["region"]["code"]: i for i in items}
    for month in ("2026-01", "2026-03", "2026-04", THIS_MONTH):
        snap["monthly"][month] = json_ok(_get(actor, S + "/monthly-report?region=640100&month=" + month), 200)
    snap["trend"] = json_ok(_get(actor, S + "/trend?region=640100&from=2026-01&to=2026-04"), 200)
    return snap


def _minus(after, before):
    """after - before, number by number, through dicts of the same shape."""
    if isinstance(after, dict):
        return {k: _minus(x, before.get(k) if isinstance(before, dict) else None) for k, x in after.items()}
    if isinstance(after, (int, float)) and not isinstance(after, bool) and isinstance(before, (int, float)):
        return round(after - before, 2)
    return after


def _rows_minus(after_rows, before_rows):
    before = {r["region"]["code"]: r for r in before_rows}
    return {r["region"]["code"]: _minus(r, before.get(r["region"]["code"], {})) for r in after_rows}


def _live_starts():
    return [_parse(a["starts_at"]) for a in _world()["live"].values()]


def _overview(actor, region=None):
    path = S + "/overview" + ("?region=" + region if region else "")
    return json_ok(_get(actor, path), 200, "GET " + path)


# ---------------------------------------------------------------- overview

def test_overview_of_a_city_counts_the_world_exactly():
    w = _world()
    body = _overview(w["province_admin"], "640100")
    eq(body["region"], {"code": "640100", "province": "宁夏回族自治区", "city": "银川市", "county": None}, "region")
    ok(isinstance(body["as_of"], str) and body["as_of"].endswith("+08:00"), "as_of in China time: %r" % body["as_of"])
    d = _minus(body, w["base"]["overview"]["640100"])
    eq(d["volunteers"], {"total": 5, "new_this_month": 5}, "volunteers (640202 is another city)")
    eq(d["orgs"], {"total": 3, "approved": 2, "pending": 1,
                   "by_level": {"corps": 0, "detachment": 0, "brigade": 1, "team": 2, "squad": 0}},
       "orgs: the rejected corps counts nowhere")
    now_q = _quarter(datetime.datetime.now(CN))
    this_quarter = sum(1 for s in _live_starts() if _quarter(s) == now_q)
    eq(d["activities"], {"total": 7, "this_quarter": this_quarter,
                         "by_status": {"upcoming": 1, "recruiting": 1, "signup_closed": 1, "ongoing": 1,
                                       "ended": 3, "cancelled": 1}},
       "activities: cancelled only in by_status.cancelled")
    eq(d["signups"], 3, "sign-ups of activities not cancelled (X1: 2, X4: 1)")
    eq(d["service_hours"], 4.0, "recorded hours")


def test_overview_statuses_are_those_the_activities_show():
    w = _world()
    shown = {s: 0 for s in STATUSES}
    for a in [w["x1"], w["x2"], w["x3"]] + list(w["live"].values()):
        shown[json_ok(_get(None, "/activities/%d" % a["id"]), 200)["status"]] += 1
    got = _minus(_overview(w["city_admin"], "640100"), w["base"]["overview"]["640100"])
    eq(got["activities"]["by_status"], shown, "by_status")


def test_overview_of_a_county_and_default_region_is_the_admins_own():
    w = _world()
    body = _overview(w["city_admin"])
    eq(body["region"]["code"], "640100", "default region: the caller's own")
    county = _overview(w["county_admin"])
    eq(county["region"]["code"], "640104", "county admin's default")
    county = _minus(county, w["base"]["overview"]["640104"])
    eq(county["volunteers"]["total"], 3, "640104 volunteers")
    eq(county["orgs"]["total"], 1, "640104 orgs: A (C rejected)")
    eq(county["activities"]["total"], 6, "640104: X1 and the five live ones")
    eq(county["signups"], 3, "640104 sign-ups")
    eq(county["service_hours"], 4.0, "640104 hours")
    west = _minus(_overview(w["city_admin"], "640105"), w["base"]["overview"]["640105"])
    eq((west["volunteers"]["total"], west["orgs"]["pending"], west["activities"]["total"], west["signups"]),
       (2, 1, 1, 0), "640105: 2 volunteers, B pending, X2")


def test_overview_counts_a_write_committed_before_the_request():
    w = _world()
    before = _overview(w["city_admin"], "640100")
    vol = _vol("640106")
    aid = w["live"]["recruiting"]["id"]
    json_ok(_post(vol, "/activities/%d/signups" % aid), 201, "sign up")
    after = _overview(w["city_admin"], "640100")
    eq(after["volunteers"]["total"], before["volunteers"]["total"] + 1, "the new volunteer counts at once")
    eq(after["signups"], before["signups"] + 1, "the sign-up counts at once")
    psql("SELECT stats.fold_participants()")  # what the service's fold thread does every 2 s
    eq(_overview(w["city_admin"], "640100")["signups"], before["signups"] + 1, "the same once folded")
    eq(_delete(vol, "/activities/%d/signups/me" % aid).status, 204, "withdraw")
    eq(_overview(w["city_admin"], "640100")["signups"], before["signups"], "the withdrawal counts at once")
    psql("UPDATE volunteer.volunteers SET region_code = '640502' WHERE id = %d" % vol["id"])
    eq(_overview(w["city_admin"], "640100")["volunteers"]["total"], before["volunteers"]["total"],
       "a volunteer that moves away leaves the city's count")


def test_national_overview_has_null_region_and_counts_at_least_the_world():
    body = _overview(country_admin(), "000000")
    eq(body["region"], None, "000000: region null")
    ok(body["volunteers"]["total"] >= 6 and body["activities"]["total"] >= 7, "national counts include the world")
    eq(sum(body["activities"]["by_status"].values()) - body["activities"]["by_status"]["cancelled"],
       body["activities"]["total"], "statuses other than cancelled add up to the total")


# ---------------------------------------------------------------- regions

def test_regions_lists_every_child_and_they_add_up_to_the_parent():
    w = _world()
    body = json_ok(_get(w["province_admin"], S + "/regions?parent=640100"), 200)
    children = json_ok(_get(None, "/meta/regions?parent=640100"), 200)
    children = children["items"] if isinstance(children, dict) else children
    eq([i["region"]["code"] for i in body["items"]], [c["code"] for c in children], "every child, in code order")
    by = _rows_minus(body["items"], w["base"]["regions"]["640100"].values())
    eq((by["640104"]["volunteers"], by["640105"]["volunteers"], by["640106"]["volunteers"]), (3, 2, 0), "volunteers")
    eq((by["640104"]["orgs"], by["640105"]["orgs"], by["640106"]["orgs"]), (1, 1, 1), "orgs")
    eq(by["640104"]["service_hours"], 4.0, "hours")
    eq([(i["target"], i["target_met"]) for i in body["items"] if i["region"]["code"] == "640106"], [(1000, False)],
       "the notices' county target")
    eq([i["volunteers"] for i in body["items"] if i["region"]["code"] == "640121"], [0], "zeros included")
    parent = _overview(w["province_admin"], "640100")
    eq(sum(i["volunteers"] for i in body["items"]), parent["volunteers"]["total"], "children add up to the parent")
    eq(sum(i["orgs"] for i in body["items"]), parent["orgs"]["total"], "orgs add up")
    eq(sum(i["activities_this_quarter"] for i in body["items"]), parent["activities"]["this_quarter"], "quarter")
    province = json_ok(_get(w["province_admin"], S + "/regions?parent=640000"), 200)
    by = _rows_minus(province["items"], w["base"]["regions"]["640000"].values())
    eq((by["640100"]["volunteers"], by["640200"]["volunteers"]), (5, 1), "cities: volunteers")
    eq([i["target"] for i in province["items"] if i["region"]["code"] == "640100"], [10000], "the city target")
    eq(sum(i["volunteers"] for i in province["items"]), _overview(w["province_admin"], "640000")["volunteers"]["total"],
       "cities add up to the province")


def test_regions_of_the_country_are_the_provinces_without_target():
    body = json_ok(_get(country_admin(), S + "/regions?parent=000000"), 200)
    codes = [i["region"]["code"] for i in body["items"]]
    ok("640000" in codes and "410000" in codes and len(codes) >= 31, "provinces: %r" % codes[:5])
    ok(all(i["target"] is None and i["target_met"] is None for i in body["items"]), "provinces have no target")
    eq(sum(i["volunteers"] for i in body["items"]), _overview(country_admin(), "000000")["volunteers"]["total"],
       "provinces add up to the country")


# ---------------------------------------------------------------- monthly report and trend

def test_monthly_report_puts_2026_03_31_23_30_in_march_and_00_30_in_april():
    w = _world()
    march = json_ok(_get(w["province_admin"], S + "/monthly-report?region=640100&month=2026-03"), 200)
    eq((march["region"]["code"], march["month"]), ("640100", "2026-03"), "region and month")
    by = _rows_minus(march["rows"], w["base"]["monthly"]["2026-03"]["rows"])
    eq((by["640104"]["activities_held"], by["640104"]["participants"], by["640104"]["service_hours"]), (1, 2, 4.0),
       "X1 held in March in 640104, with its 2 participants and 4 hours")
    eq(by["640105"]["activities_held"], 0, "X2 (00:30 on 1 April in China) is not March")
    april = json_ok(_get(w["province_admin"], S + "/monthly-report?region=640100&month=2026-04"), 200)
    by = _rows_minus(april["rows"], w["base"]["monthly"]["2026-04"]["rows"])
    eq((by["640104"]["activities_held"], by["640105"]["activities_held"]), (0, 1), "April: X2 only")
    eq(_minus(april["total"], w["base"]["monthly"]["2026-04"]["total"])["activities_held"], 1, "April total")
    for key in ("orgs_new", "orgs_total", "volunteers_new", "volunteers_total", "activities_held", "participants",
                "service_hours"):
        eq(sum(row[key] for row in march["rows"]), march["total"][key], "rows add up to the total: " + key)


def test_monthly_report_of_this_month_counts_new_volunteers_and_orgs():
    w = _world()
    month = THIS_MONTH
    body = json_ok(_get(w["city_admin"], S + "/monthly-report?region=640100&month=" + month), 200)
    d = _minus(body["total"], w["base"]["monthly"][month]["total"])
    eq((d["volunteers_new"], d["orgs_new"]), (5, 3), "registered this month")
    eq((d["volunteers_total"], d["orgs_total"]), (5, 3), "totals at the month's end")
    earlier = json_ok(_get(w["city_admin"], S + "/monthly-report?region=640100&month=2026-01"), 200)
    d = _minus(earlier["total"], w["base"]["monthly"]["2026-01"]["total"])
    eq((d["volunteers_total"], d["orgs_total"]), (0, 0), "none before they registered")
    default = json_ok(_get(w["city_admin"], S + "/monthly-report?region=640100"), 200)
    eq(default["month"], month, "default: this month")


def test_trend_has_one_item_per_month_with_zeros():
    w = _world()
    body = json_ok(_get(w["city_admin"], S + "/trend?region=640100&from=2026-01&to=2026-04"), 200)
    eq([i["month"] for i in body["items"]], ["2026-01", "2026-02", "2026-03", "2026-04"], "months")
    d = [_minus(i, b) for i, b in zip(body["items"], w["base"]["trend"]["items"])]
    eq([(i["activities_held"], i["service_hours"]) for i in d], [(0, 0), (0, 0), (1, 4.0), (1, 0)],
       "activities held and hours by month of starts_at")
    field_errors(_get(w["city_admin"], S + "/trend?region=640100&from=2026-01&to=2029-01"), ("to", "out_of_range"))
    field_errors(_get(w["city_admin"], S + "/trend?region=640100&from=2026-05&to=2026-04"), ("from", "out_of_range"))
    field_errors(_get(w["city_admin"], S + "/trend?region=640100&from=2026-13&to=2026-04"), ("from", "invalid_format"))
    default = json_ok(_get(w["city_admin"], S + "/trend?region=640100"), 200)
    eq(len(default["items"]), 12, "default: the last 12 months")


def test_monthly_report_as_xlsx_has_both_sheets_a_row_per_child_and_the_total():
    w = _world()
    path = S + "/monthly-report?region=640100&month=2026-03"
    r = _call(w["province_admin"], "GET", path, headers={"Accept": XLSX})
    eq(r.status, 200, "xlsx answer: %s" % r)
    ok(r.content_type.startswith(XLSX), "Content-Type: %r" % r.content_type)
    ok('filename="monthly-report-640100-2026-03.xlsx"' in (r.header("Content-Disposition") or ""),
       "Content-Disposition: %r" % r.header("Content-Disposition"))
    body = json_ok(_get(w["province_admin"], path), 200, "the JSON twin")
    sheets, formulas = _xlsx(r.body)
    eq(list(sheets), ["队伍组建及注册情况", "活动开展情况"], "sheets")
    ok(not formulas, "no cell is a formula")
    team, act = sheets["队伍组建及注册情况"], sheets["活动开展情况"]
    eq([team[c + "3"] for c in "ABCDEF"], ["地区", "区划代码", "新增队伍数", "队伍总数", "新增注册志愿者数", "注册志愿者总数"],
       "team headers")
    eq([act[c + "3"] for c in "ABCDE"], ["地区", "区划代码", "开展活动数", "参与志愿者人次", "服务时长（小时）"],
       "activity headers")
    ok("2026年03月" in team["A1"] and "2026年03月" in act["A1"], "titles name the month: %r" % team["A1"])
    for i, row in enumerate(body["rows"] + [dict(body["total"], region=None)]):
        n = str(4 + i)
        name = "合计" if row["region"] is None else (row["region"]["county"] or row["region"]["city"])
        eq((team["A" + n], act["A" + n]), (name, name), "row %s names its region" % n)
        eq([team[c + n] for c in "CDEF"], [row["orgs_new"], row["orgs_total"], row["volunteers_new"],
                                           row["volunteers_total"]], "team figures of " + name)
        eq([act[c + n] for c in "CDE"], [row["activities_held"], row["participants"], row["service_hours"]],
           "activity figures of " + name)
    eq(len([k for k in act if re.fullmatch(r"A[0-9]+", k)]), 2 + len(body["rows"]) + 1, "title, headers, rows, total")
    by = {team["B" + str(4 + i)]: 4 + i for i in range(len(body["rows"]))}
    ok(act["C%d" % by["640104"]] >= 1 and act["E%d" % by["640104"]] >= 4.0, "X1 is in 640104's March")


# ---------------------------------------------------------------- quarterly

def test_quarterly_counts_activities_per_approved_org_and_below_keeps_the_idle():
    w = _world()
    a, d = w["orgs"]["A"]["id"], w["orgs"]["D"]["id"]
    ours = set(o["id"] for o in w["orgs"].values())

    def mine(query):
        body = json_ok(_get(w["city_admin"], S + "/quarterly?region=640100&page_size=100&" + query), 200)
        ok(body["total"] <= 100, "a page holds every org of 640100 (%d)" % body["total"])
        eq(len(body["items"]), body["total"], "total")
        return [i for i in body["items"] if i["org"]["id"] in ours]

    q1 = mine("year=2026&quarter=1")
    eq([(i["org"]["id"], i["activities"]) for i in q1], [(a, 1), (d, 0)],
       "approved orgs only (B pending, C rejected), by region: X1 in Q1")
    eq((q1[0]["org"]["level"], q1[1]["region"]["code"]), ("team", "640106"), "org level and region")
    eq([(i["org"]["id"], i["activities"]) for i in mine("year=2026&quarter=2")], [(a, 1), (d, 0)], "X2 in Q2")
    eq([i["org"]["id"] for i in mine("year=2026&quarter=1&below=1")], [d], "below=1: only the org with no activity")
    page = json_ok(_get(w["city_admin"], S + "/quarterly?region=640100&year=2026&quarter=1&page=2&page_size=1"), 200)
    eq((page["page"], page["page_size"], len(page["items"])), (2, 1, 1), "paging")
    field_errors(_get(w["city_admin"], S + "/quarterly?region=640100&quarter=5&below=2&year=1999"),
                 ("quarter", "out_of_range"), ("below", "out_of_range"), ("year", "out_of_range"))


# ---------------------------------------------------------------- scope

def test_outside_scope_is_404_not_admin_403_unknown_region_422():
    w = _world()
    problem(_get(w["other_city_admin"], S + "/overview?region=640100"), 404, "not_found")
    problem(_get(w["county_admin"], S + "/overview?region=640100"), 404, "not_found", "a county admin and its city")
    problem(_get(w["city_admin"], S + "/regions?parent=000000"), 404, "not_found")
    for path in ("/overview", "/regions", "/quarterly", "/monthly-report", "/trend", "/targets/640104"):
        problem(_get(w["a_admin"], S + path), 403, "forbidden", "an org admin is no platform admin: " + path)
        problem(Client().get(S + path), 401, "unauthorized", "anonymous: " + path)
    field_errors(_get(w["city_admin"], S + "/overview?region=640199"), ("region", "invalid_choice"))
    field_errors(_get(w["city_admin"], S + "/overview?region=64010"), ("region", "invalid_format"))


# ---------------------------------------------------------------- targets

def test_targets_default_to_the_notices_and_a_higher_admin_sets_them():
    w = _world()
    county, city = "640205", "640200"  # 惠农区: no other test sets its target
    psql("DELETE FROM stats.targets WHERE region_code IN ('640205', '640200')")  # from an earlier run
    eq(json_ok(_get(w["other_city_admin"], S + "/targets/" + county), 200),
       {"region": {"code": county, "province": "宁夏回族自治区", "city": "石嘴山市", "county": "惠农区"},
        "volunteers": 1000, "default": True}, "county default")
    eq(json_ok(_get(w["province_admin"], S + "/targets/" + city), 200)["volunteers"], 10000, "city default")
    province = json_ok(_get(country_admin(), S + "/targets/640000"), 200)
    eq((province["volunteers"], province["default"]), (None, True), "provinces: none")

    n = [i["volunteers"] for i in json_ok(_get(w["other_city_admin"], S + "/regions?parent=640200"), 200)["items"]
         if i["region"]["code"] == county][0] + 1
    got = json_ok(_put(w["other_city_admin"], S + "/targets/" + county, {"volunteers": n}), 200, "city sets county")
    eq((got["region"]["code"], got["volunteers"], got["default"]), (county, n, False), "PUT answer")
    eq(json_ok(_get(w["other_city_admin"], S + "/targets/" + county), 200)["volunteers"], n, "GET after PUT")
    items = json_ok(_get(w["other_city_admin"], S + "/regions?parent=640200"), 200)["items"]
    by = {i["region"]["code"]: i for i in items}
    eq((by[county]["target"], by[county]["target_met"]), (n, False), "one volunteer short")
    eq((by["640202"]["target"], by["640202"]["target_met"]), (1000, False), "others keep the default")
    _vol(county)
    items = json_ok(_get(w["other_city_admin"], S + "/regions?parent=640200"), 200)["items"]
    eq([i["target_met"] for i in items if i["region"]["code"] == county], [True], "met with one more volunteer")

    json_ok(_put(w["province_admin"], S + "/targets/" + city, {"volunteers": 20000}), 200, "province sets city")
    problem(_put(w["other_city_admin"], S + "/targets/" + city, {"volunteers": 5}), 403, "forbidden",
            "a city admin may not set its own city's target")
    problem(_put(w["city_admin"], S + "/targets/" + county, {"volunteers": 5}), 404, "not_found", "outside scope")
    problem(_get(w["city_admin"], S + "/targets/" + county), 404, "not_found", "GET outside scope")
    problem(_get(w["city_admin"], S + "/targets/640199"), 404, "not_found", "no such region")
    problem(_put(w["a_admin"], S + "/targets/" + county, {"volunteers": 5}), 403, "forbidden", "not a platform admin")
    field_errors(_put(w["other_city_admin"], S + "/targets/" + county, {"volunteers": 0}), ("volunteers", "out_of_range"))
    field_errors(_put(w["other_city_admin"], S + "/targets/" + county, {"volunteers": 5, "default": True}),
                 ("default", "unknown_field"))
    eq(json_ok(_get(w["other_city_admin"], S + "/targets/" + county), 200)["volunteers"], n, "refused PUTs change nothing")


# ---------------------------------------------------------------- public, roles, consistency

def test_public_figures_are_anonymous_and_cacheable_for_60_seconds():
    _world()
    r = Client().get(S + "/public")
    body = json_ok(r, 200, "public")
    eq(set(body), {"volunteers", "orgs", "activities", "service_hours", "as_of"}, "keys")
    ok(body["volunteers"] >= 6 and body["activities"] >= 7 and body["service_hours"] >= 4.0, "national figures")
    cc = r.header("Cache-Control") or ""
    ok("public" in cc and "max-age=60" in cc, "Cache-Control: %r" % cc)


def test_stats_role_may_only_read_and_fold():
    for sql in ("INSERT INTO stats.counts (region_code, month) VALUES ('640104', '2026-01-01')",
                "UPDATE stats.targets SET volunteers = 1",
                "UPDATE activity.activities SET title = title WHERE false"):
        try:
            psql("SET ROLE stvs_stats; " + sql)
        except AssertionError as e:
            ok("permission denied" in str(e), "refused for lack of privilege: %s" % e)
        else:
            ok(False, "stvs_stats could run: " + sql)
    # its two writes go through SECURITY DEFINER functions: targets (tested above) and folding stripes
    ok(int(psql("SET ROLE stvs_stats; SELECT stats.fold_participants()")) >= 0, "the stats role folds sign-ups")
    ok(int(psql("SET ROLE stvs_stats; SELECT stats.fold(1000000)")) >= 0, "the stats role folds stripes")
    eq(psql("SELECT count(*) FROM stats.counts WHERE stripe <> 0"), "0", "every stripe folded into stripe 0")
    eq(psql("SELECT count(*) FROM stats.participant_log"), "0", "every sign-up in the log folded")


def _rebuild_diff():
    """How many (region, month) summary rows, all stripes summed, differ from what stats.rebuild() computes
    from the base tables (the log's sign-ups folded first, in the same rolled-back transaction, holding the
    folders' lock so that the service's fold thread cannot take the log from under it)."""
    cols = ("volunteers, orgs_pending, orgs_approved, corps, detachment, brigade, team, squad, activities, cancelled,"
            " participants, service_hours, recruiting_from, closed_from, ended, active_orgs")
    sums = ", ".join("sum(%s) AS %s" % (c.strip(), c.strip()) for c in cols.split(","))
    nonzero = " OR ".join("sum(%s) <> 0" % c.strip() for c in cols.split(","))
    snap = "SELECT region_code, month, %s FROM stats.counts GROUP BY 1, 2 HAVING %s" % (sums, nonzero)
    out = psql("BEGIN; SELECT pg_advisory_xact_lock(12, -1); SELECT stats.fold_participants(1000000000);"
               " CREATE TEMP TABLE kept ON COMMIT DROP AS %s;"
               " SELECT stats.rebuild();"
               " SELECT 'diff=' || count(*) FROM ((TABLE kept EXCEPT %s) UNION ALL (%s EXCEPT TABLE kept)) d;"
               " ROLLBACK;" % (snap, snap, snap))
    line = [x for x in out.splitlines() if x.startswith("diff=")]
    return line[0] if len(line) == 1 else out


def test_summaries_equal_a_rebuild_from_the_base_tables():
    """Every trigger-kept summary row (every region, month, all stripes) equals what stats.rebuild()
    computes from the base tables after everything the suite has written so far."""
    _world()
    eq(_rebuild_diff(), "diff=0", "summary rows that differ from a rebuild")
    ok(int(psql("SELECT count(*) FROM stats.counts WHERE region_code = '640100'")) > 0, "the rollback kept them")


def test_signed_up_changed_with_other_columns_still_counts_once():
    """A sign-up goes through the log (migration 017); a statement that moves signed_up together with the
    start (into another month), or on a cancelled activity, goes through the full recount instead: the
    summaries equal a rebuild after each, so neither path counted twice or not at all."""
    w = _world()  # 640302 (吴忠市利通区): a county no other test writes
    aid = _activity(w["a_admin"], w["orgs"]["A"]["id"], "640302", _times("recruiting"))["id"]
    json_ok(_post(_vol("640302"), "/activities/%d/signups" % aid), 201, "sign up")
    eq(_rebuild_diff(), "diff=0", "summaries after a sign-up")
    psql("UPDATE activity.activities SET signed_up = signed_up + 2, starts_at = starts_at + interval '40 days',"
         " ends_at = ends_at + interval '40 days' WHERE id = %d" % aid)
    eq(_rebuild_diff(), "diff=0", "summaries after signed_up moved with the start")
    psql("UPDATE activity.activities SET cancelled_at = now() WHERE id = %d" % aid)
    psql("UPDATE activity.activities SET signed_up = signed_up - 1 WHERE id = %d" % aid)
    eq(_rebuild_diff(), "diff=0", "summaries after the cancelled activity's signed_up moved")


LOG_0302 = "SELECT count(*) FROM stats.participant_log WHERE region_code = '640302'"


def test_fold_moves_at_most_its_batch_of_the_log():
    out = psql("BEGIN; SELECT pg_advisory_xact_lock(12, -1);"  # the service's fold thread waits meanwhile
               " INSERT INTO stats.participant_log SELECT '640302', stats.month_of(now()), 1 FROM generate_series(1, 3);"
               " SELECT 'before=' || count(*) FROM stats.participant_log;"
               " SELECT 'moved=' || stats.fold_participants(1);"
               " SELECT 'after=' || count(*) FROM stats.participant_log; ROLLBACK;")
    got = dict(x.split("=") for x in out.splitlines() if "=" in x)
    eq(got.get("moved"), "1", "a batch of one moves one row")
    eq(int(got["before"]) - int(got["after"]), 1, "and deletes it from the log")


def test_one_folder_at_a_time_and_the_service_folds_the_log_within_seconds():
    w = _world()
    aid = _activity(w["a_admin"], w["orgs"]["A"]["id"], "640302", _times("recruiting"))["id"]
    admin = _padmin("640300")
    before = _overview(admin, "640300")["signups"]
    # another folder holds the folders' lock (a session of its own, ended below)
    holder = subprocess.Popen(shlex.split(PSQL) + ["-c", "SET application_name = 'fold-holder'; BEGIN;"
                                                   " SELECT pg_advisory_xact_lock(12, -1); SELECT pg_sleep(30);"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 5
        while time.time() < deadline and psql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                                              " AND classid = 12 AND objid = 4294967295 AND granted") != "1":
            time.sleep(0.05)
        for _ in range(2):
            json_ok(_post(_vol("640302"), "/activities/%d/signups" % aid), 201, "sign up")
        left = int(psql(LOG_0302))
        ok(left >= 2, "the sign-ups wait in the log")
        eq(psql("SET ROLE stvs_stats; SELECT stats.fold_participants()"), "0", "another folder holds the lock: none")
        eq(int(psql(LOG_0302)), left, "the log untouched")
        eq(_overview(admin, "640300")["signups"], before + 2, "exact from the log")
    finally:
        psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'fold-holder'")
        holder.wait(timeout=10)
    deadline = time.time() + 10  # the fold thread runs every 2 s
    while time.time() < deadline and psql(LOG_0302) != "0":
        time.sleep(0.2)
    eq(psql(LOG_0302), "0", "the service's fold thread moved the log within seconds")
    eq(_overview(admin, "640300")["signups"], before + 2, "exact once folded")


def _service_cmd(name):
    """(pid, argv, env) of a running service, from /proc (argv with its valgrind wrapper, if any)."""
    import os
    with open(os.path.join(os.environ["STVS_TEST_RUN_DIR"], name + ".pid")) as f:
        pid = int(f.read().strip())
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        argv = [a.decode() for a in f.read().split(b"\0") if a]
    with open("/proc/%d/environ" % pid, "rb") as f:
        env = dict(kv.decode().split("=", 1) for kv in f.read().split(b"\0") if b"=" in kv)
    return pid, argv, env


def _restart_service(name, pid, argv, env):
    """Stops service `name` (SIGTERM: it finishes and exits, its leak report written) and starts argv
    with env in its place; waits until it answers its health check."""
    import os
    import signal
    import subprocess
    import time
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    log = open(os.path.join(os.environ["STVS_TEST_LOG_DIR"], name + ".log"), "ab")
    p = subprocess.Popen(argv, env=env, stdout=log, stderr=log, start_new_session=True)
    with open(os.path.join(os.environ["STVS_TEST_RUN_DIR"], name + ".pid"), "w") as f:
        f.write(str(p.pid))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if Client().get(S + "/health").status == 200:
                return
        except AssertionError:
            pass
        time.sleep(0.2)
    ok(False, "%s did not come back" % name)


def test_stats_db_is_read_only_and_targets_are_written_on_the_primary():
    """STVS_STATS_DB (a standby-first multi-host conninfo here, logging in as a role whose every
    transaction is read-only, as on a standby) takes the reads; PUT /stats/targets still succeeds,
    through STVS_DB, and GET reads it back."""
    import os
    ok(os.environ.get("STVS_TEST_RUN_DIR") and os.environ.get("STVS_TEST_LOG_DIR"), "run and log dirs are not set")
    psql("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'stvs_stats_standby') THEN"
         " CREATE ROLE stvs_stats_standby LOGIN IN ROLE stvs_stats; END IF; END $$;"
         " ALTER ROLE stvs_stats_standby SET default_transaction_read_only = on")
    county = "640521"  # 中宁县: no other test sets its target
    psql("DELETE FROM stats.targets WHERE region_code = '%s'" % county)
    pid, argv, env = _service_cmd("stats")
    primary = env["STVS_DB"]
    host, port = re.search(r"host=(\S+)", primary).group(1), re.search(r"port=(\S+)", primary).group(1)
    standby = ("host=%s,%s port=%s,%s dbname=stvs user=stvs_stats_standby target_session_attrs=prefer-standby"
               % (host, host, port, port))
    _restart_service("stats", pid, argv, dict(env, STVS_STATS_DB=standby))
    try:
        admin = country_admin()
        before = json_ok(_get(admin, S + "/targets/" + county), 200, "GET through the standby conninfo")
        eq((before["volunteers"], before["default"]), (1000, True), "the default")
        got = json_ok(_put(admin, S + "/targets/" + county, {"volunteers": 4321}), 200, "PUT writes on the primary")
        eq((got["volunteers"], got["default"]), (4321, False))
        eq(json_ok(_get(admin, S + "/targets/" + county), 200)["volunteers"], 4321, "read back")
        json_ok(_get(admin, S + "/overview?region=640500"), 200, "another read")
        sessions = set(psql("SELECT string_agg(DISTINCT usename || ':' || application_name, ' ') FROM pg_stat_activity"
                            " WHERE application_name IN ('stats', 'stats-write')").split())
        ok("stvs_stats_standby:stats" in sessions, "the reads went through STVS_STATS_DB: %s" % sessions)
        ok("stvs_stats:stats-write" in sessions, "the write went through STVS_DB: %s" % sessions)
        ok("stvs_stats_standby:stats-write" not in sessions, "no write through STVS_STATS_DB: %s" % sessions)
        ok("default_transaction_read_only=on" in psql("SELECT array_to_string(rolconfig, ' ') FROM pg_roles"
                                                      " WHERE rolname = 'stvs_stats_standby'"),
           "every transaction of the reads' role is read-only, as on a standby")
    finally:
        psql("DELETE FROM stats.targets WHERE region_code = '%s'" % county)
        pid2, _, _ = _service_cmd("stats")
        _restart_service("stats", pid2, argv, env)
