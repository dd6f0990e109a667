"""Spreadsheets out (API.md "Spreadsheets out (v1.1)", issue 12): GET /orgs/{id}/members.xlsx,
GET /activities/{id}/signups.xlsx and GET /volunteers/me/service-records.xlsx, opened and read
cell by cell here (harness.workbook_cells: zipfile + xml). The rosters use 附件2's headers in its
order, ID numbers masked, phones as the JSON roster shows them to the caller; outsiders get 404;
no cell of any of them is ever a formula, whatever the volunteers typed."""

import urllib.parse

from harness import (XLSX, eq, ok, json_ok, problem, field_errors, mask_phone, mask_id_number, register_volunteer,
                     create_org, approve_org, approved_org, member_of, padmin_actor, user_actor, workbook_cells,
                     read_workbook, unique_name_part)
from harness import call_as as _call, get_as as _get, post_as as _post  # noqa: E402
import test_activities as ta  # noqa: E402  (its activity bodies and clock moves)

# 附件2 《科技志愿者集体注册信息表》 (shared/seeds/004), in its order.
HEADERS_2 = ["序号", "真实姓名", "手机号", "性别", "身份证号", "政治面貌", "民族", "工作单位", "职称", "最高学历",
             "从业类别", "所在区域省", "所在区域市", "所在区域县", "服务类别", "服务领域或行业", "是否为基层“三长”"]
COLS = [chr(ord("A") + i) for i in range(20)]
FORMULA_LIKE = ("=", "+", "-", "@", "\t", "\r")


def _xlsx(actor, path, status=200):
    """GET path as actor: the 200 workbook's response (checked: type, attachment)."""
    r = _get(actor, path)
    eq(r.status, status, "GET %s: %s" % (path, r))
    ok(r.content_type.startswith(XLSX), "Content-Type: %r" % r.content_type)
    cd = r.header("Content-Disposition") or ""
    ok(cd.startswith('attachment; filename="') and "filename*=UTF-8''" in cd, "Content-Disposition: %r" % cd)
    return r


def _rows(data, sheet=None):
    """The workbook's rows of one sheet (the first by default) as lists of cell texts, row 1 first."""
    sheets, formulas = read_workbook(data)
    ok(not formulas, "no cell is a formula")
    cells = sheets[sheet] if sheet else next(iter(sheets.values()))
    nrows = max(int("".join(ch for ch in ref if ch.isdigit())) for ref in cells)
    ncols = max(COLS.index("".join(ch for ch in ref if ch.isalpha())) for ref in cells) + 1
    return [[cells.get("%s%d" % (COLS[c], n)) for c in range(ncols)] for n in range(1, nrows + 1)]


def _only_string_cells(data, what):
    """Every cell with a value is a string cell (t="s" or "inlineStr"), none a formula."""
    cells = workbook_cells(data)
    ok(cells, what + ": cells")
    for sheet, ref, t, value, formula in cells:
        ok(not formula, "%s %s!%s is a formula" % (what, sheet, ref))
        if value is not None:
            ok(t in ("s", "inlineStr"), "%s %s!%s is not a string cell (t=%r, %r)" % (what, sheet, ref, t, value))


def _filename_star(r):
    cd = r.header("Content-Disposition")
    return urllib.parse.unquote(cd.split("filename*=UTF-8''", 1)[1])


def _roster_row(rows, name):
    """The data row (from row 3) whose 真实姓名 is name."""
    found = [row for row in rows[2:] if row[1] == name]
    eq(len(found), 1, "one row for %s" % name)
    return found[0]


# ---------------------------------------------------------------- members.xlsx

def test_members_xlsx_has_annex2_headers_labels_masked_ids_and_full_phones_for_the_org_admin():
    org, admin = approved_org()
    a = member_of(admin, org["id"])
    b = register_volunteer(ethnicity="03", political_status="cpc_member", title="senior", education="master",
                           occupation="university", grassroots_role="school_head",
                           service_categories=["youth_education", "online"], service_fields=["health"])
    json_ok(_post(b, "/orgs/%d/members" % org["id"]), 201, "b applies")
    r = _xlsx(admin, "/orgs/%d/members.xlsx" % org["id"])
    ok('filename="org-%d-members.xlsx"' % org["id"] in r.header("Content-Disposition"), "ASCII filename")
    eq(_filename_star(r), org["name"] + "志愿者名单.xlsx", "the Chinese filename")
    rows = _rows(r.body)
    eq(rows[0][0], "科技志愿者集体注册信息表", "the title row of 附件2")
    eq(rows[1], HEADERS_2 + ["状态", "加入时间"], "附件2's headers in its order, then 状态 and 加入时间")
    eq(len(rows), 4, "title, headers, two members")
    eq([row[0] for row in rows[2:]], ["1", "2"], "序号")
    eq([row[1] for row in rows[2:]], [b["body"]["real_name"], a["body"]["real_name"]], "latest application first")
    ra = _roster_row(rows, a["body"]["real_name"])
    va = a["volunteer"]
    eq(ra[1:], [va["real_name"], a["phone"], {"male": "男", "female": "女"}[va["gender"]],
                mask_id_number(a["body"]["id_number"]), "群众", "汉族", a["body"]["employer"], "中级", "本科",
                "事业单位", "河南省", "新乡市", "红旗区", "科技培训、科普报告", "农技服务类", "否", "已加入", ra[18]],
       "an active member: labels, region names, masked ID, full phone")
    ok(ra[18] and len(ra[18]) == 16 and ra[18][4] == "-" and ra[18][10] == " ", "加入时间 YYYY-MM-DD HH:MM: %r" % ra[18])
    ok("*" in ra[4] and a["body"]["id_number"] not in r.body.decode("latin-1"), "the ID number is masked")
    rb = _roster_row(rows, b["body"]["real_name"])
    eq(rb[4:16], [mask_id_number(b["body"]["id_number"]), "中共党员", "回族", b["body"]["employer"], "正高",
                  "硕士研究生", "高校", "河南省", "新乡市", "红旗区", "青少年科技教育、网络科普", "健康咨询类"],
       "b's labels")
    eq((rb[16], rb[17], rb[18]), ("学校校长", "待审核", None), "b: 三长, pending, not joined")


def test_members_xlsx_filters_like_the_roster_and_checks_them_first():
    org, admin = approved_org()
    a = member_of(admin, org["id"])
    b = register_volunteer()
    json_ok(_post(b, "/orgs/%d/members" % org["id"]), 201, "b applies")
    rows = _rows(_xlsx(admin, "/orgs/%d/members.xlsx?status=pending" % org["id"]).body)
    eq([row[1] for row in rows[2:]], [b["body"]["real_name"]], "status=pending")
    rows = _rows(_xlsx(admin, "/orgs/%d/members.xlsx?status=active" % org["id"]).body)
    eq([row[1] for row in rows[2:]], [a["body"]["real_name"]], "status=active")
    q = urllib.parse.quote(a["body"]["real_name"][2:5])
    rows = _rows(_xlsx(admin, "/orgs/%d/members.xlsx?q=%s" % (org["id"], q)).body)
    eq([row[1] for row in rows[2:]], [a["body"]["real_name"]], "q")
    empty = _rows(_xlsx(admin, "/orgs/%d/members.xlsx?q=%s" % (org["id"], urllib.parse.quote("无此人"))).body)
    eq(len(empty), 2, "no match: the title and the headers only")
    field_errors(_get(admin, "/orgs/%d/members.xlsx?status=rejected" % org["id"]), ("status", "invalid_choice"))
    field_errors(_get(user_actor(), "/orgs/%d/members.xlsx?status=x" % org["id"]), ("status", "invalid_choice"))


def test_members_xlsx_phones_per_caller_and_404_for_outsiders():
    parent, parent_admin = approved_org()
    child = create_org(register_volunteer(), level="detachment", parent_id=parent["id"])
    child = approve_org(parent_admin, child["id"])
    m = member_of(parent_admin, child["id"])
    path = "/orgs/%d/members.xlsx" % child["id"]
    row = _roster_row(_rows(_xlsx(parent_admin, path).body), m["body"]["real_name"])
    eq(row[2], m["phone"], "an ancestor's admin sees the phone in full")
    pa = padmin_actor("410702")
    r = _xlsx(pa, path)
    row = _roster_row(_rows(r.body), m["body"]["real_name"])
    eq(row[2], mask_phone(m["phone"]), "a platform admin sees it masked")
    ok(m["phone"].encode() not in r.body, "the full phone is nowhere in the platform admin's file")
    for who, actor in (("another volunteer", register_volunteer()), ("the member itself", m),
                       ("an account that is no volunteer", user_actor()),
                       ("a platform admin elsewhere", padmin_actor("110000"))):
        problem(_get(actor, path), 404, "not_found", who)
    problem(_get(pa, "/orgs/999999999/members.xlsx"), 404, "not_found", "no such org")
    problem(_get(None, path), 401, "unauthorized", "no token")


# ---------------------------------------------------------------- signups.xlsx

def _activity_with_signups():
    """An org, its admin, an activity two volunteers signed up for, started now, with 2.5 hours
    recorded for the first: (org, admin, activity id, [v1, v2])."""
    org, admin = approved_org()
    aid = ta._create(admin, org["id"], "recruiting", service_hours=2.5)["id"]
    vols = [register_volunteer(), register_volunteer()]
    for v in vols:
        ta._signed(v, aid)
    ta._set_times(aid, "ongoing")
    json_ok(_post(admin, "/activities/%d/service-records" % aid, {"records": [{"volunteer_id": vols[0]["id"],
                                                                              "hours": 2.5}]}), 200, "record hours")
    return org, admin, aid, vols


def test_signups_xlsx_is_the_roster_with_hours_phones_per_caller_and_404_for_outsiders():
    org, admin, aid, vols = _activity_with_signups()
    path = "/activities/%d/signups.xlsx" % aid
    r = _xlsx(admin, path)
    ok('filename="activity-%d-signups.xlsx"' % aid in r.header("Content-Disposition"), "ASCII filename")
    ok(_filename_star(r).endswith("报名名单.xlsx"), "the Chinese filename: %r" % _filename_star(r))
    rows = _rows(r.body)
    eq(rows[1], HEADERS_2 + ["报名时间", "服务时长"], "附件2's headers, 报名时间, 服务时长")
    eq([row[1] for row in rows[2:]], [v["body"]["real_name"] for v in vols], "in sign-up order")
    first, second = rows[2], rows[3]
    eq((first[2], first[4], first[18]), (vols[0]["phone"], mask_id_number(vols[0]["body"]["id_number"]), "2.5"),
       "the organizer: full phone, masked ID, the recorded hours")
    eq(second[18], None, "no hours recorded: empty")
    ok(first[17] and len(first[17]) == 16, "报名时间: %r" % first[17])
    rows = _rows(_xlsx(padmin_actor("410702"), path).body)
    eq(rows[2][2], mask_phone(vols[0]["phone"]), "a platform admin: masked phone")
    for who, actor in (("a volunteer who signed up", vols[0]), ("another volunteer", register_volunteer()),
                       ("a platform admin elsewhere", padmin_actor("110000"))):
        problem(_get(actor, path), 404, "not_found", who)
    problem(_get(admin, "/activities/999999999/signups.xlsx"), 404, "not_found", "no such activity")
    problem(_get(None, path), 401, "unauthorized", "no token")


# ---------------------------------------------------------------- service-records.xlsx

def test_service_records_xlsx_lists_the_callers_records_and_a_total():
    org, admin, aid, vols = _activity_with_signups()
    second = ta._create(admin, org["id"], "recruiting", service_hours=1)["id"]
    ta._signed(vols[0], second)
    ta._set_times(second, "ended")
    json_ok(_post(admin, "/activities/%d/service-records" % second,
                  {"records": [{"volunteer_id": vols[0]["id"], "hours": 1.25}]}), 200, "record hours")
    twin = json_ok(_get(vols[0], "/volunteers/me/service-records"), 200, "the JSON twin")
    r = _xlsx(vols[0], "/volunteers/me/service-records.xlsx")
    ok('filename="service-records.xlsx"' in r.header("Content-Disposition"), "ASCII filename")
    eq(_filename_star(r), "我的服务记录.xlsx", "the Chinese filename")
    rows = _rows(r.body)
    eq(rows[0], ["活动", "组织", "日期", "服务时长"], "headers")
    eq(rows[1:-1], [[i["activity"]["title"], i["activity"]["org"]["name"], i["date"], "%g" % i["hours"]]
                    for i in twin["items"]], "a row per record, as the JSON twin")
    eq(len(rows), 2 + 2, "headers, two records, the total")
    eq(rows[-1], ["合计", None, None, "3.75"], "the total")
    rows = _rows(_xlsx(vols[1], "/volunteers/me/service-records.xlsx").body)
    eq(rows, [["活动", "组织", "日期", "服务时长"], ["合计", None, None, "0"]], "nothing recorded: 0")
    problem(_get(user_actor(), "/volunteers/me/service-records.xlsx"), 403, "volunteer_required")
    problem(_get(None, "/volunteers/me/service-records.xlsx"), 401, "unauthorized")


# ---------------------------------------------------------------- formula injection (OWASP)

def test_values_that_look_like_formulas_are_string_cells_in_every_export():
    org, admin = approved_org(name="@" + "科技志愿服务队" + unique_name_part(4))
    v = register_volunteer(employer="=1+1", skills="@SUM(A1)")
    others = [register_volunteer(employer=e) for e in ("+1+1", "-2+3", "@SUM(A1)", "=HYPERLINK(\"x\")")]
    for p in [v] + others:
        member_of(admin, org["id"], p)
    aid = ta._create(admin, org["id"], "recruiting", title="=1+2" + unique_name_part(3))["id"]
    for p in [v] + others:
        ta._signed(p, aid)
    ta._set_times(aid, "ongoing")
    json_ok(_post(admin, "/activities/%d/service-records" % aid, {"records": [{"volunteer_id": v["id"],
                                                                              "hours": 1}]}), 200, "record")
    files = {"members.xlsx": _xlsx(admin, "/orgs/%d/members.xlsx" % org["id"]).body,
             "signups.xlsx": _xlsx(admin, "/activities/%d/signups.xlsx" % aid).body,
             "service-records.xlsx": _xlsx(v, "/volunteers/me/service-records.xlsx").body}
    for what, data in files.items():
        _only_string_cells(data, what)
    texts = [value for _, _, _, value, _ in workbook_cells(files["members.xlsx"]) if isinstance(value, str)]
    for e in ("=1+1", "+1+1", "-2+3", "@SUM(A1)", "=HYPERLINK(\"x\")"):
        ok(e in texts, "the employer %r comes back as text, byte for byte" % e)
    records = [value for _, _, _, value, _ in workbook_cells(files["service-records.xlsx"])]
    ok(org["name"] in records and any(isinstance(x, str) and x.startswith("=1+2") for x in records),
       "the org name and the activity title starting with @ and = are text")
    ok(any(t.startswith(FORMULA_LIKE) for t in texts), "the test did write formula-like values")
