"""Organization service: registration (POST /orgs) and its validation, the team tree and its
levels, who sees a pending org, the public list and children, approval by ancestor admins and
platform admins in scope, edits, admins, membership, rosters, volunteer visibility through
orgs, and the BOLA matrix (org A's admin on org B, a child on its parent, a sibling on a
sibling)."""

import datetime
import re
import secrets
import shlex
import subprocess
import threading
import time
import urllib.parse

from harness import (Client, OMIT, PSQL, parallel, eq, ok, json_ok, problem, field_errors, login, me, psql, sql_str,
                     platform_admin, grant_platform_admin, mask_id_number, mask_phone, china_today,
                     register_volunteer, unique_name_part, new_phone, org_name, org_body, create_org, approve_org, approved_org, country_admin)
from harness import padmin_actor as _padmin, call_as as _call, get_as as _get, post_as as _post  # noqa: E402
from harness import patch_as as _patch, put_as as _put, delete_as as _delete  # noqa: E402
from harness import (VOLUNTEER_KEYS, RFC3339_CN, member_of, user_actor as _user, register_volunteer as _vol,  # noqa: E402
                     quote as _q, error_pairs as _errors, only_error as _only_error, page_ids as _ids,
                     about_now as _about_now)

O = "/orgs"
ORG_KEYS = {"id", "name", "level", "parent", "status", "reject_reason", "registered_with_civil_affairs",
            "supervisor_type", "supervisor_name", "founded_on", "service_categories", "region", "leader",
            "description", "member_count", "activity_count", "created_at", "former_names"}
MEMBERSHIP_KEYS = {"org", "volunteer_id", "status", "applied_at", "joined_at"}
REGIONS = {
    "410000": {"code": "410000", "province": "河南省", "city": None, "county": None},
    "410700": {"code": "410700", "province": "河南省", "city": "新乡市", "county": None},
    "410702": {"code": "410702", "province": "河南省", "city": "新乡市", "county": "红旗区"},
    "420102": {"code": "420102", "province": "湖北省", "city": "武汉市", "county": "江岸区"},
}
LEVELS = ("corps", "detachment", "brigade", "team", "squad")
CATEGORIES = ("training", "consulting", "lecture", "agri_tech", "youth_education", "exhibit_guide", "online", "other")
SUPERVISOR_TYPES = ("local_cast", "society", "university_cast", "enterprise_cast", "park_cast", "rural_tech_assoc",
                    "science_base", "other")
REQUIRED = ("name", "level", "registered_with_civil_affairs", "supervisor_type", "supervisor_name", "founded_on",
            "service_categories", "region_code")


# ---------------------------------------------------------------- actors and calls
# An actor is a dict with client and token (None: anonymous, a fresh client, no token).

def _p(oid, suffix=""):
    return "%s/%d%s" % (O, oid, suffix)


def _org(actor, oid, msg="GET /orgs/{id}"):
    return json_ok(_get(actor, _p(oid)), 200, msg)


def _roles(actor):
    return json_ok(me(actor["client"], actor["token"]), 200, "/auth/me")["roles"]


def _org_count(name):
    return int(psql("SELECT count(*) FROM org.orgs WHERE name = %s" % sql_str(name)))


def _admin_count(oid):
    return int(psql("SELECT count(*) FROM org.admins WHERE org_id = %d" % oid))


def _tree(*levels, region="410702", approve_last=True):
    """A chain of orgs, each the child of the one before, each with its own admin (a fresh
    volunteer). Every org is approved (the first by a country-wide platform admin, the others
    by their parent's admin) except the last when approve_last is False.
    Returns a list of nodes {"org", "id", "admin"}."""
    nodes = []
    for i, level in enumerate(levels):
        admin = _vol()
        parent = nodes[-1] if nodes else None
        org = create_org(admin, level=level, region_code=region, parent_id=parent["id"] if parent else None)
        if i < len(levels) - 1 or approve_last:
            org = approve_org(parent["admin"] if parent else country_admin(), org["id"])
        nodes.append({"org": org, "id": org["id"], "admin": admin})
    return nodes


def _child(parent, level, approve=True, **fields):
    """A child org of parent (a _tree node) with its own fresh admin; approved by the parent's admin."""
    admin = _vol()
    org = create_org(admin, level=level, parent_id=parent["id"], **fields)
    if approve:
        org = approve_org(parent["admin"], org["id"])
    return {"org": org, "id": org["id"], "admin": admin}


def _apply(vol, oid):
    return _post(vol, _p(oid, "/members"))


def _applied(vol, oid):
    return json_ok(_apply(vol, oid), 201, "apply to org %d" % oid)


def _decide_member(manager, oid, vid, decision):
    return _post(manager, _p(oid, "/members/%d/%s" % (vid, decision)))


def _member(manager, oid, vol=None):
    return member_of(manager, oid, vol)


def _add_admin(manager, oid, vol):
    return _post(manager, _p(oid, "/admins"), {"phone": vol["phone"]})


def _member_admin(manager, oid, vol=None):
    """A volunteer (fresh unless given) made an active member of oid (an approved org) and then one of
    its admins by manager, as v1.1 requires."""
    vol = _member(manager, oid, vol)
    json_ok(_add_admin(manager, oid, vol), 201, "add admin")
    return vol


def _admin_item(vol):
    return {"user_id": vol["user_id"], "phone": vol["phone"], "real_name": vol["body"]["real_name"],
            "status": "active"}


def _member_count(oid):
    return _org(country_admin(), oid, "member_count")["member_count"]


def _check_org(o, body, msg):
    """An org response against the POST body it came from."""
    ok(isinstance(o, dict), "%s: org should be an object: %r" % (msg, o))
    eq(set(o), ORG_KEYS, msg + ": org keys")
    ok(isinstance(o["id"], int) and not isinstance(o["id"], bool) and o["id"] > 0,
       "%s: id should be a positive integer: %r" % (msg, o["id"]))
    for k in ("name", "level", "registered_with_civil_affairs", "supervisor_type", "supervisor_name", "founded_on"):
        eq(o[k], body[k], "%s: %s" % (msg, k))
    eq(sorted(o["service_categories"]), sorted(body["service_categories"]), msg + ": service_categories")
    ok(isinstance(o["region"], dict), "%s: region should be an object" % msg)
    eq(set(o["region"]), {"code", "province", "city", "county"}, msg + ": region keys")
    eq(o["region"]["code"], body["region_code"], msg + ": region.code")
    if body["region_code"] in REGIONS:
        eq(o["region"], REGIONS[body["region_code"]], msg + ": region")
    leader = body.get("leader")
    eq(o["leader"], None if leader is None else {"name": leader["name"], "title": leader.get("title")},
       msg + ": leader (name and title only)")
    eq(o["description"], body.get("description"), msg + ": description")
    for k in ("member_count", "activity_count"):
        ok(isinstance(o[k], int) and not isinstance(o[k], bool), "%s: %s should be an integer" % (msg, k))
    eq(o["activity_count"], 0, msg + ": activity_count")
    _about_now(o["created_at"], msg + ": created_at")


def _check_membership(m, oid, oname, vid, status, msg):
    eq(set(m), MEMBERSHIP_KEYS, msg + ": membership keys")
    eq(m["org"], {"id": oid, "name": oname}, msg + ": org")
    eq(m["volunteer_id"], vid, msg + ": volunteer_id")
    eq(m["status"], status, msg + ": status")
    _about_now(m["applied_at"], msg + ": applied_at")
    if status == "active":
        _about_now(m["joined_at"], msg + ": joined_at")
    else:
        eq(m["joined_at"], None, msg + ": joined_at")


# ================================================================ POST /orgs: success

def test_create_org_is_201_pending_with_location_and_the_full_org():
    v = _vol()
    body = org_body()
    r = _post(v, O, body)
    o = json_ok(r, 201, "POST /orgs")
    _check_org(o, body, "201 body")
    eq((o["status"], o["reject_reason"], o["parent"], o["member_count"]), ("pending", None, None, 0),
       "status, reject_reason, parent, member_count of a new org")
    eq(r.header("Location"), "/api/v1/orgs/%d" % o["id"], "Location header")
    eq(_org(v, o["id"]), o, "GET /orgs/{id} by its admin equals the 201 body")


def test_org_json_never_shows_the_leaders_phone_or_employer():
    v = _vol()
    body = org_body()
    r = _post(v, O, body)
    o = json_ok(r, 201)
    approve_org(country_admin(), o["id"])
    child = create_org(v, parent_id=o["id"], level="team", leader=body["leader"])
    approve_org(country_admin(), child["id"])
    for resp in (r, _get(v, _p(o["id"])), _get(None, _p(o["id"])), _get(None, O + "?q=" + _q(body["name"])),
                 _get(None, _p(o["id"], "/children")), _get(v, _p(child["id"]))):
        text = resp.body.decode("utf-8")
        ok(body["leader"]["phone"] not in text, "leader phone leaked: %s" % resp)
        ok(body["leader"]["employer"] not in text, "leader employer leaked: %s" % resp)
    eq(_org(None, o["id"])["leader"], {"name": body["leader"]["name"], "title": body["leader"]["title"]}, "leader")


def test_create_org_makes_the_caller_its_first_admin_in_auth_me_roles_and_the_admins_list():
    v = _vol()
    o = create_org(v)
    ok({"role": "org_admin", "org_id": o["id"]} in _roles(v), "creator should have the org_admin role")
    eq(json_ok(_get(v, _p(o["id"], "/admins")), 200, "admins list"),
       {"items": [_admin_item(v)]}, "the creator is the only admin")


def test_create_org_chinese_text_round_trips_as_raw_utf8():
    v = _vol()
    body = org_body(description="科普进乡村：“农技110”服务 ☘")
    r = _post(v, O, body)
    o = json_ok(r, 201)
    eq(o["description"], body["description"], "description")
    ok(body["name"].encode("utf-8") in r.body, "name should be raw UTF-8, not \\u escapes: %s" % r)


def test_every_org_level_and_supervisor_type_code_is_accepted_for_a_top_level_org():
    v = _vol()
    for level in LEVELS:
        eq(create_org(v, level=level)["level"], level, "level " + level)
    for st in SUPERVISOR_TYPES:
        eq(create_org(v, supervisor_type=st)["supervisor_type"], st, "supervisor_type " + st)


def test_create_org_accepts_all_eight_service_categories_and_false_civil_affairs():
    v = _vol()
    o = create_org(v, service_categories=list(CATEGORIES), registered_with_civil_affairs=False)
    eq(sorted(o["service_categories"]), sorted(CATEGORIES), "all categories")
    eq(o["registered_with_civil_affairs"], False, "registered_with_civil_affairs")


def test_create_org_region_may_be_a_province_city_or_county():
    v = _vol()
    for code in ("410000", "410700", "410702", "420102"):
        eq(create_org(v, region_code=code)["region"], REGIONS[code], "region " + code)


def test_create_org_accepts_null_or_missing_leader_description_and_parent_id():
    v = _vol()
    o = create_org(v, leader=None, description=None, parent_id=None)
    eq((o["leader"], o["description"], o["parent"]), (None, None, None), "nulls")
    o = create_org(v, leader=OMIT, description=OMIT)
    eq((o["leader"], o["description"], o["parent"]), (None, None, None), "left out")
    o = create_org(v, leader={"name": "李四"})
    eq(o["leader"], {"name": "李四", "title": None}, "leader with only a name")
    o = create_org(v, leader={"name": "王五", "title": None, "employer": None, "phone": None})
    eq(o["leader"], {"name": "王五", "title": None}, "leader with null optional fields")


def test_create_org_accepts_name_of_2_and_100_chars_and_description_of_2000_with_newlines():
    v = _vol()
    for name in (unique_name_part(2), unique_name_part(92) + secrets.token_hex(4)):
        eq(create_org(v, name=name)["name"], name, "name of %d chars" % len(name))
    desc = ("第一行\n第二行\t" + "科" * 2000)[:2000]
    eq(create_org(v, description=desc)["description"], desc, "description of 2000 chars")


def test_create_org_founded_today_in_china_or_on_29_feb_of_a_leap_year_is_accepted():
    v = _vol()
    today = china_today().isoformat()
    eq(create_org(v, founded_on=today)["founded_on"], today, "founded today")
    eq(create_org(v, founded_on="2024-02-29")["founded_on"], "2024-02-29", "29 Feb 2024")


# ================================================================ POST /orgs: refusals

def test_create_org_without_token_is_401():
    problem(_post(None, O, org_body()), 401, "unauthorized", "no token")


def test_create_org_by_a_non_volunteer_is_403_volunteer_required_and_nothing_is_created():
    u = _user()
    body = org_body()
    problem(_post(u, O, body), 403, "volunteer_required", "plain account")
    a = _padmin("000000")
    problem(_post(a, O, body), 403, "volunteer_required", "platform admin who is not a volunteer")
    eq(_org_count(body["name"]), 0, "no org created")


def test_create_org_invalid_json_or_non_object_is_400_invalid_json():
    v = _vol()
    for raw in (b"{", b"[]", b"\"org\"", b""):
        problem(_call(v, "POST", O, raw=raw, headers={"Content-Type": "application/json"}), 400, "invalid_json",
                "body %r" % raw)


def test_create_org_empty_object_reports_every_required_field():
    v = _vol()
    errs = _errors(_post(v, O, {}))
    for f in REQUIRED:
        ok((f, "required") in errs, "%s should be required: %r" % (f, errs))
    for f in ("parent_id", "leader", "description"):
        ok(f not in {e[0] for e in errs}, "%s is optional: %r" % (f, errs))


def test_create_org_missing_one_required_field_is_422_required_and_nothing_is_created():
    v = _vol()
    for f in REQUIRED:
        body = org_body(**{f: OMIT})
        _only_error(_post(v, O, body), f, "required", "without " + f)
        if f != "name":
            eq(_org_count(body["name"]), 0, "nothing created without " + f)


def test_create_org_server_managed_fields_are_422_unknown_field_and_nothing_is_created():
    v = _vol()
    for f, val in (("status", "approved"), ("id", 1), ("member_count", 5), ("activity_count", 3),
                   ("reject_reason", None), ("created_by", v["user_id"]), ("created_at", "2020-01-01T00:00:00+08:00"),
                   ("region", REGIONS["410702"]), ("parent", None)):
        body = org_body(**{f: val})
        _only_error(_post(v, O, body), f, "unknown_field", "field " + f)
        eq(_org_count(body["name"]), 0, "nothing created with " + f)


def test_create_org_reports_every_bad_field_at_once():
    v = _vol()
    r = _post(v, O, org_body(name="x", level="army", supervisor_type="nobody", founded_on="2020/01/01",
                             service_categories=["bogus"], region_code="abc", registered_with_civil_affairs="yes",
                             leader={"phone": "12345"}, description=7, extra=1))
    field_errors(r, ("name", "too_short"), ("level", "invalid_choice"), ("supervisor_type", "invalid_choice"),
                 ("founded_on", "invalid_format"), ("service_categories[0]", "invalid_choice"),
                 ("region_code", "invalid_format"), ("registered_with_civil_affairs", "invalid_type"),
                 ("leader.name", "required"), ("leader.phone", "invalid_format"), ("description", "invalid_type"),
                 ("extra", "unknown_field"))


def test_create_org_name_bounds_and_types():
    v = _vol()
    _only_error(_post(v, O, org_body(name="队")), "name", "too_short", "1 char")
    _only_error(_post(v, O, org_body(name="")), "name", "too_short", "empty")
    _only_error(_post(v, O, org_body(name="队" * 101)), "name", "too_long", "101 chars")
    _only_error(_post(v, O, org_body(name=12345)), "name", "invalid_type", "number")
    _only_error(_post(v, O, org_body(name=None)), "name", "invalid_type", "null")
    _only_error(_post(v, O, org_body(name="科技\x01志愿队" + secrets.token_hex(3))), "name", "control_character",
                "control char")


def test_create_org_duplicate_name_is_409_already_exists():
    v1, v2 = _vol(), _vol()
    o = create_org(v1)
    problem(_post(v2, O, org_body(name=o["name"])), 409, "already_exists", "same name, other volunteer")
    problem(_post(v1, O, org_body(name=o["name"])), 409, "already_exists", "same name, same volunteer")
    approve_org(country_admin(), o["id"])
    problem(_post(v2, O, org_body(name=o["name"])), 409, "already_exists", "same name as an approved org")
    eq(_org_count(o["name"]), 1, "one org of that name")


def test_concurrent_creates_of_one_name_give_one_201_and_409s():
    vols = [_vol() for _ in range(5)]
    name = org_name("并发队")
    res = parallel(lambda v: _post(v, O, org_body(name=name)), [(v,) for v in vols])
    for r in res:
        ok(not isinstance(r, BaseException), "request failed: %r" % (r,))
    eq(sorted(r.status for r in res), [201, 409, 409, 409, 409], "statuses")
    for r in res:
        if r.status == 409:
            problem(r, 409, "already_exists")
    eq(_org_count(name), 1, "one org created")


def test_create_org_code_fields_with_unknown_codes_are_invalid_choice():
    v = _vol()
    _only_error(_post(v, O, org_body(level="army")), "level", "invalid_choice", "level")
    _only_error(_post(v, O, org_body(level="Corps")), "level", "invalid_choice", "level in other case")
    _only_error(_post(v, O, org_body(supervisor_type="cast")), "supervisor_type", "invalid_choice", "supervisor_type")
    _only_error(_post(v, O, org_body(level=1)), "level", "invalid_type", "level as a number")


def test_create_org_service_categories_are_1_to_8_unique_codes():
    v = _vol()
    _only_error(_post(v, O, org_body(service_categories=[])), "service_categories", "too_short", "empty")
    _only_error(_post(v, O, org_body(service_categories=list(CATEGORIES) + ["training"])), "service_categories",
                "too_long", "9 items")
    _only_error(_post(v, O, org_body(service_categories=["training", "bogus"])), "service_categories[1]",
                "invalid_choice", "bad code")
    _only_error(_post(v, O, org_body(service_categories=["training", "training"])), "service_categories[1]",
                "duplicate", "duplicate")
    _only_error(_post(v, O, org_body(service_categories=["training", 3])), "service_categories[1]", "invalid_type",
                "number item")
    _only_error(_post(v, O, org_body(service_categories="training")), "service_categories", "invalid_type",
                "not an array")


def test_create_org_founded_on_must_be_a_real_past_date():
    v = _vol()
    tomorrow = (china_today() + datetime.timedelta(days=1)).isoformat()
    for val, code in (("2020/01/01", "invalid_format"), ("20200101", "invalid_format"), ("2020-1-1", "invalid_format"),
                      ("2020-01-01T00:00:00", "invalid_format"), ("2023-02-29", "invalid_date"),
                      ("2020-13-01", "invalid_date"), ("2020-04-31", "invalid_date"), (tomorrow, "invalid_date"),
                      ("2999-01-01", "invalid_date")):
        _only_error(_post(v, O, org_body(founded_on=val)), "founded_on", code, "founded_on %s" % val)
    _only_error(_post(v, O, org_body(founded_on=20200101)), "founded_on", "invalid_type", "number")


def test_create_org_region_code_malformed_is_invalid_format_and_unknown_is_invalid_choice():
    v = _vol()
    for val in ("abc", "41070", "4107021", "41070a", ""):
        _only_error(_post(v, O, org_body(region_code=val)), "region_code", "invalid_format", "region %r" % val)
    for val in ("990000", "410799", "000000"):
        _only_error(_post(v, O, org_body(region_code=val)), "region_code", "invalid_choice", "region %r" % val)
    _only_error(_post(v, O, org_body(region_code=410702)), "region_code", "invalid_type", "number")


def test_create_org_supervisor_name_and_civil_affairs_flag_are_validated():
    v = _vol()
    _only_error(_post(v, O, org_body(supervisor_name="")), "supervisor_name", "too_short", "empty")
    _only_error(_post(v, O, org_body(supervisor_name="科" * 101)), "supervisor_name", "too_long", "101 chars")
    eq(create_org(v, supervisor_name="科" * 100)["supervisor_name"], "科" * 100, "100 chars")
    for val in ("true", 1, None):
        _only_error(_post(v, O, org_body(registered_with_civil_affairs=val)), "registered_with_civil_affairs",
                    "invalid_type", "flag %r" % (val,))


def test_create_org_leader_errors_name_the_nested_field():
    v = _vol()
    for leader, err in (({"title": "队长"}, ("leader.name", "required")),
                        ({"name": ""}, ("leader.name", "too_short")),
                        ({"name": "张" * 51}, ("leader.name", "too_long")),
                        ({"name": "张三", "phone": "12345678901"}, ("leader.phone", "invalid_format")),
                        ({"name": "张三", "phone": "1381234567"}, ("leader.phone", "invalid_format")),
                        ({"name": "张三", "phone": 13812345678}, ("leader.phone", "invalid_type")),
                        ({"name": "张三", "employer": 5}, ("leader.employer", "invalid_type")),
                        ({"name": "张三", "title": "长" * 51}, ("leader.title", "too_long")),
                        ({"name": "张三", "role": "boss"}, ("leader.role", "unknown_field")),
                        ("张三", ("leader", "invalid_type")),
                        (["张三"], ("leader", "invalid_type"))):
        _only_error(_post(v, O, org_body(leader=leader)), err[0], err[1], "leader %r" % (leader,))


def test_create_org_description_over_2000_chars_or_with_control_characters_is_rejected():
    v = _vol()
    _only_error(_post(v, O, org_body(description="科" * 2001)), "description", "too_long", "2001 chars")
    _only_error(_post(v, O, org_body(description="科普\x07")), "description", "control_character", "BEL")


# ================================================================ the tree: parents and levels

def test_create_child_of_an_approved_parent_names_the_parent():
    corps = _tree("corps")[0]
    v = _vol()
    body = org_body(level="detachment", parent_id=corps["id"])
    o = json_ok(_post(v, O, body), 201, "child of an approved org")
    _check_org(o, body, "child")
    eq(o["parent"], {"id": corps["id"], "name": corps["org"]["name"]}, "parent")
    eq(o["status"], "pending", "status")
    eq(_org(corps["admin"], o["id"], "parent admin reads the pending child")["parent"]["id"], corps["id"], "parent")


def test_create_child_of_a_pending_org_the_caller_cannot_see_is_422_parent_id_invalid_choice():
    other = _vol()
    hidden = create_org(other)
    v = _vol()
    body = org_body(level="team", parent_id=hidden["id"])
    _only_error(_post(v, O, body), "parent_id", "invalid_choice", "pending parent of someone else")
    eq(_org_count(body["name"]), 0, "nothing created")


def test_create_child_of_a_rejected_org_the_caller_cannot_see_is_422_parent_id_invalid_choice():
    other = _vol()
    hidden = create_org(other)
    json_ok(_post(country_admin(), _p(hidden["id"], "/reject"), {"reason": "材料不全"}), 200)
    _only_error(_post(_vol(), O, org_body(level="team", parent_id=hidden["id"])), "parent_id", "invalid_choice",
                "rejected parent of someone else")


def test_create_child_of_an_unknown_parent_is_422_and_bad_parent_ids_are_rejected():
    v = _vol()
    _only_error(_post(v, O, org_body(level="team", parent_id=999999999999)), "parent_id", "invalid_choice",
                "unknown parent")
    _only_error(_post(v, O, org_body(level="team", parent_id=0)), "parent_id", "out_of_range", "parent_id 0")
    _only_error(_post(v, O, org_body(level="team", parent_id=-3)), "parent_id", "out_of_range", "parent_id -3")
    _only_error(_post(v, O, org_body(level="team", parent_id="1")), "parent_id", "invalid_type", "string")
    _only_error(_post(v, O, org_body(level="team", parent_id=1.5)), "parent_id", "invalid_type", "fraction")


def test_create_child_of_its_own_pending_or_rejected_org_is_409_org_not_approved():
    v = _vol()
    pending = create_org(v)
    body = org_body(level="team", parent_id=pending["id"])
    problem(_post(v, O, body), 409, "org_not_approved", "own pending parent")
    eq(_org_count(body["name"]), 0, "nothing created")
    rejected = create_org(v)
    json_ok(_post(country_admin(), _p(rejected["id"], "/reject"), {"reason": "名称不规范"}), 200)
    problem(_post(v, O, org_body(level="team", parent_id=rejected["id"])), 409, "org_not_approved",
            "own rejected parent")


def test_create_child_of_a_pending_org_a_parent_admin_can_see_is_409_org_not_approved():
    corps = _tree("corps")[0]
    pending_child = create_org(_vol(), level="detachment", parent_id=corps["id"])
    # corps' admin is a volunteer and sees the pending child (it is its ancestor's admin)
    problem(_post(corps["admin"], O, org_body(level="team", parent_id=pending_child["id"])), 409,
            "org_not_approved", "visible pending parent")


def test_child_level_must_be_below_the_parents_corps_then_detachment_or_brigade_then_team_then_squad():
    corps = _tree("corps")[0]
    ca = country_admin()
    builder = _vol()
    parents = {"corps": corps["id"]}
    for level, under in (("detachment", "corps"), ("brigade", "corps"), ("team", "brigade"), ("squad", "team")):
        parents[level] = approve_org(ca, create_org(builder, level=level, parent_id=parents[under])["id"])["id"]
    v = _vol()
    allowed = {"corps": ("detachment", "brigade", "team", "squad"), "detachment": ("team", "squad"),
               "brigade": ("team", "squad"), "team": ("squad",), "squad": ()}
    for parent_level, pid in parents.items():
        for level in LEVELS:
            r = _post(v, O, org_body(level=level, parent_id=pid))
            what = "%s under %s" % (level, parent_level)
            if level in allowed[parent_level]:
                eq(json_ok(r, 201, what)["parent"]["id"], pid, what)
            else:
                _only_error(r, "level", "wrong_level", what)


# ================================================================ GET /orgs/{id}: visibility

def test_pending_org_is_404_to_anonymous_and_other_users_and_200_to_its_admin():
    v = _vol()
    o = create_org(v)
    other_admin = approved_org()[1]
    for who, what in ((None, "anonymous"), (_user(), "plain account"), (_vol(), "other volunteer"),
                      (other_admin, "admin of another org")):
        problem(_get(who, _p(o["id"])), 404, "not_found", what)
    eq(_org(v, o["id"])["status"], "pending", "its admin")


def test_pending_org_is_visible_to_every_ancestor_admin_and_platform_admins_in_scope_only():
    nodes = _tree("corps", "detachment", "team", approve_last=False)
    oid = nodes[2]["id"]
    for n, what in ((nodes[0], "corps admin (grandparent)"), (nodes[1], "detachment admin (parent)"),
                    (nodes[2], "its own admin")):
        eq(_org(n["admin"], oid, what)["status"], "pending", what)
    for region in ("000000", "410000", "410700", "410702"):
        eq(_org(_padmin(region), oid, "platform admin " + region)["id"], oid, "platform admin " + region)
    for region in ("420000", "410703", "110000"):
        problem(_get(_padmin(region), _p(oid)), 404, "not_found", "platform admin out of scope " + region)


def test_approved_org_is_public_without_token():
    o, v = approved_org()
    eq(o["status"], "approved", "status after approval")
    eq(_org(None, o["id"], "anonymous"), o, "anonymous sees the approved org")
    eq(_org(_user(), o["id"], "any account"), o, "any account sees it")


def test_get_org_unknown_zero_or_non_numeric_id_is_404():
    v = _vol()
    for oid in ("0", "abc", "-1", "999999999999", "99999999999999999999", "1.5"):
        problem(_get(v, O + "/" + oid), 404, "not_found", "id " + oid)
        problem(_get(None, O + "/" + oid), 404, "not_found", "anonymous, id " + oid)


def test_org_routes_that_need_a_token_answer_401_without_one():
    o, _ = approved_org()
    oid = o["id"]
    for method, path in (("POST", O), ("PATCH", _p(oid)), ("POST", _p(oid, "/approve")), ("POST", _p(oid, "/reject")),
                         ("GET", _p(oid, "/admins")), ("POST", _p(oid, "/admins")), ("DELETE", _p(oid, "/admins/1")),
                         ("GET", _p(oid, "/members")), ("POST", _p(oid, "/members")),
                         ("DELETE", _p(oid, "/members/me")), ("DELETE", _p(oid, "/members/1")),
                         ("POST", _p(oid, "/members/1/approve")), ("POST", _p(oid, "/members/1/reject"))):
        problem(_call(None, method, path), 401, "unauthorized", "%s %s" % (method, path))


def test_org_health_is_ok():
    eq(json_ok(_get(None, O + "/health")), {"status": "ok", "db": "ok"}, "/orgs/health")


# ================================================================ GET /orgs: the public list

def test_list_shows_approved_orgs_only():
    tag = secrets.token_hex(5)
    v = _vol()
    approved = approve_org(country_admin(), create_org(v, name="列表" + tag + "甲")["id"])
    create_org(v, name="列表" + tag + "乙")
    rejected = create_org(v, name="列表" + tag + "丙")
    json_ok(_post(country_admin(), _p(rejected["id"], "/reject"), {"reason": "不符合条件"}), 200)
    for who in (None, v, country_admin()):
        body = json_ok(_get(who, O + "?q=" + tag))
        eq(_ids(body), [approved["id"]], "only the approved org is listed")
        eq(body["total"], 1, "total")
        eq(body["items"][0], _org(None, approved["id"]), "list item equals GET /orgs/{id}")


def test_list_region_filter_matches_the_region_and_everything_under_it():
    tag = secrets.token_hex(5)
    v = _vol()
    ids = {}
    for code in ("410000", "410700", "410702", "420102"):
        ids[code] = approve_org(country_admin(), create_org(v, name="区域" + tag + code, region_code=code)["id"])["id"]
    for region, expect in (("410000", ("410000", "410700", "410702")), ("410700", ("410700", "410702")),
                           ("410702", ("410702",)), ("410703", ()), ("420000", ("420102",)),
                           ("420100", ("420102",)), ("110000", ())):
        body = json_ok(_get(None, "%s?q=%s&region=%s" % (O, tag, region)))
        eq(sorted(_ids(body)), sorted(ids[c] for c in expect), "region=" + region)
        eq(body["total"], len(expect), "total for region=" + region)


def test_list_q_is_a_literal_name_substring_percent_and_underscore_are_not_wildcards():
    tag = secrets.token_hex(5)
    v = _vol()
    a = approve_org(country_admin(), create_org(v, name="百分%" + tag + "下划_线")["id"])
    b = approve_org(country_admin(), create_org(v, name="百分X" + tag + "下划Y线")["id"])
    eq(sorted(_ids(json_ok(_get(None, O + "?q=" + tag)))), sorted([a["id"], b["id"]]), "plain substring")
    eq(_ids(json_ok(_get(None, O + "?q=" + _q("%" + tag)))), [a["id"]], "q with a literal %")
    eq(_ids(json_ok(_get(None, O + "?q=" + _q(tag + "下划_线")))), [a["id"]], "q with a literal _")
    eq(_ids(json_ok(_get(None, O + "?q=" + _q(tag + "下划Y线")))), [b["id"]], "q matching only the other")
    eq(json_ok(_get(None, O + "?q=" + _q(tag + "%线")))["total"], 0, "% inside q matches nothing")


def test_list_level_and_parent_id_filters():
    tag = secrets.token_hex(5)
    ca = country_admin()
    v = _vol()
    corps = approve_org(ca, create_org(v, name="层级" + tag + "总队", level="corps")["id"])
    det = approve_org(ca, create_org(v, name="层级" + tag + "支队", level="detachment", parent_id=corps["id"])["id"])
    brig = approve_org(ca, create_org(v, name="层级" + tag + "大队", level="brigade", parent_id=corps["id"])["id"])
    team = approve_org(ca, create_org(v, name="层级" + tag + "队", level="team", parent_id=det["id"])["id"])
    create_org(v, name="层级" + tag + "待审大队", level="brigade", parent_id=corps["id"])
    for query, expect in (("level=corps", [corps]), ("level=brigade", [brig]), ("level=squad", []),
                          ("parent_id=%d" % corps["id"], [det, brig]), ("parent_id=%d" % det["id"], [team]),
                          ("parent_id=%d&level=detachment" % corps["id"], [det])):
        body = json_ok(_get(None, "%s?q=%s&%s" % (O, tag, query)))
        eq(sorted(_ids(body)), sorted(o["id"] for o in expect), query)
    eq(json_ok(_get(None, "%s?parent_id=%d" % (O, team["id"])))["total"], 0, "an org without children")


def test_list_is_paged_newest_first_and_pages_past_the_end_are_empty():
    tag = secrets.token_hex(5)
    v = _vol()
    ids = [approve_org(country_admin(), create_org(v, name="分页" + tag + str(i))["id"])["id"] for i in range(3)]
    seen = []
    for page in (1, 2):
        body = json_ok(_get(None, "%s?q=%s&page_size=2&page=%d" % (O, tag, page)))
        eq((body["total"], body["page"], body["page_size"]), (3, page, 2), "page %d" % page)
        seen += _ids(body)
    eq(seen, sorted(ids, reverse=True), "pages cover every org once, newest first")
    body = json_ok(_get(None, "%s?q=%s&page=3&page_size=2" % (O, tag)))
    eq((body["items"], body["total"], body["page"]), ([], 3, 3), "page past the end")
    body = json_ok(_get(None, "%s?q=%s" % (O, tag)))
    eq((body["page"], body["page_size"]), (1, 20), "default paging")


def test_list_bad_parameters_are_422_naming_the_parameter():
    for query, field, code in (("level=bad", "level", "invalid_choice"), ("region=abc", "region", "invalid_format"),
                               ("region=990000", "region", "invalid_choice"),
                               ("page_size=101", "page_size", "out_of_range"), ("page_size=0", "page_size", None),
                               ("page=0", "page", None), ("page=abc", "page", None),
                               ("parent_id=abc", "parent_id", None), ("q=" + _q("科" * 51), "q", None)):
        errs = _errors(_get(None, O + "?" + query))
        ok(field in {f for f, _ in errs}, "%s should name %s: %r" % (query, field, errs))
        if code:
            ok((field, code) in errs, "%s should be %s: %r" % (query, code, errs))
    eq(json_ok(_get(None, O + "?page_size=100"))["page_size"], 100, "page_size=100 is allowed")


# ================================================================ GET /orgs/{id}/children

def test_children_are_approved_ones_for_everyone_and_pending_ones_also_for_the_parents_managers():
    parent = _tree("corps")[0]
    approved = _child(parent, "detachment")
    pending = _child(parent, "brigade", approve=False)
    for who, what in ((None, "anonymous"), (_user(), "plain account"), (approved_org()[1], "other org's admin"),
                      (_padmin("420000"), "platform admin out of scope")):
        body = json_ok(_get(who, _p(parent["id"], "/children")), 200, what)
        eq(_ids(body), [approved["id"]], what + ": approved children only")
        eq(body["total"], 1, what + ": total")
    for who, what in ((parent["admin"], "parent's admin"), (_padmin("410000"), "platform admin in scope"),
                      (country_admin(), "country admin")):
        body = json_ok(_get(who, _p(parent["id"], "/children")), 200, what)
        eq(_ids(body), [approved["id"], pending["id"]], what + ": approved and pending children")
        eq(body["items"][1]["status"], "pending", what + ": pending child's status")
    grand = _tree("corps", "detachment")
    gchild = _child(grand[1], "team", approve=False)
    eq(_ids(json_ok(_get(grand[0]["admin"], _p(grand[1]["id"], "/children")))), [gchild["id"]],
       "grandparent's admin sees the pending grandchild among its child's children")


def test_children_is_paged_and_validates_paging():
    parent = _tree("corps")[0]
    kids = [_child(parent, "team")["id"] for _ in range(3)]
    seen = []
    for page in (1, 2):
        body = json_ok(_get(None, "%s?page_size=2&page=%d" % (_p(parent["id"], "/children"), page)))
        eq((body["total"], body["page"], body["page_size"]), (3, page, 2), "page %d" % page)
        seen += _ids(body)
    eq(sorted(seen), sorted(kids), "pages cover every child once")
    eq(json_ok(_get(None, _p(parent["id"], "/children?page=9")))["items"], [], "past the end")
    for query in ("page_size=101", "page=0", "page=x"):
        problem(_get(None, _p(parent["id"], "/children?" + query)), 422, "validation_failed", query)


def test_children_of_an_invisible_or_unknown_parent_is_404():
    v = _vol()
    hidden = create_org(v)
    problem(_get(None, _p(hidden["id"], "/children")), 404, "not_found", "anonymous, pending parent")
    problem(_get(_vol(), _p(hidden["id"], "/children")), 404, "not_found", "stranger, pending parent")
    eq(json_ok(_get(v, _p(hidden["id"], "/children")))["items"], [], "its own admin: no children yet")
    problem(_get(None, O + "/999999999999/children"), 404, "not_found", "unknown parent")


# ================================================================ approval

def test_parent_admin_approves_a_pending_child_and_it_becomes_public():
    parent = _tree("corps")[0]
    v = _vol()
    child = create_org(v, level="detachment", parent_id=parent["id"])
    r = _post(parent["admin"], _p(child["id"], "/approve"))
    o = json_ok(r, 200, "approve")
    eq((o["status"], o["reject_reason"]), ("approved", None), "approved org")
    eq({k: o[k] for k in ORG_KEYS - {"status"}}, {k: child[k] for k in ORG_KEYS - {"status"}},
       "approval changes only the status")
    eq(_org(None, child["id"]), o, "public after approval")
    ok(child["id"] in _ids(json_ok(_get(None, O + "?q=" + _q(child["name"])))), "listed after approval")


def test_grandparent_admin_approves_a_pending_grandchild():
    nodes = _tree("corps", "brigade", "team", approve_last=False)
    eq(json_ok(_post(nodes[0]["admin"], _p(nodes[2]["id"], "/approve")), 200)["status"], "approved",
       "grandparent approves")


def test_reject_needs_a_reason_of_1_to_500_chars_and_shows_it():
    parent = _tree("corps")[0]
    child = create_org(_vol(), level="team", parent_id=parent["id"])
    path = _p(child["id"], "/reject")
    a = parent["admin"]
    _only_error(_post(a, path, {}), "reason", "required", "no reason")
    _only_error(_post(a, path, {"reason": ""}), "reason", "too_short", "empty reason")
    _only_error(_post(a, path, {"reason": "因" * 501}), "reason", "too_long", "501 chars")
    _only_error(_post(a, path, {"reason": 5}), "reason", "invalid_type", "number")
    _only_error(_post(a, path, {"reason": "材料不全", "status": "approved"}), "status", "unknown_field", "extra field")
    problem(_post(a, path), 400, "invalid_json", "no body")
    eq(_org(a, child["id"])["status"], "pending", "still pending after refused rejections")
    reason = "因" * 500
    o = json_ok(_post(a, path, {"reason": reason}), 200, "reject")
    eq((o["status"], o["reject_reason"]), ("rejected", reason), "rejected with reason")
    eq(_org(a, child["id"]), o, "GET shows the rejection")


def test_rejected_org_is_hidden_from_the_public_but_visible_to_its_admin():
    v = _vol()
    o = create_org(v)
    json_ok(_post(country_admin(), _p(o["id"], "/reject"), {"reason": "名称重复"}), 200)
    problem(_get(None, _p(o["id"])), 404, "not_found", "anonymous")
    problem(_get(_vol(), _p(o["id"])), 404, "not_found", "stranger")
    got = _org(v, o["id"])
    eq((got["status"], got["reject_reason"]), ("rejected", "名称重复"), "its admin sees why")


def test_approve_takes_an_empty_body_or_empty_object_and_nothing_else():
    ca = country_admin()
    o1, o2, o3 = create_org(_vol()), create_org(_vol()), create_org(_vol())
    _only_error(_post(ca, _p(o1["id"], "/approve"), {"status": "approved"}), "status", "unknown_field", "extra field")
    problem(_call(ca, "POST", _p(o1["id"], "/approve"), raw=b"{", headers={"Content-Type": "application/json"}),
            400, "invalid_json", "broken JSON")
    eq(_org(ca, o1["id"])["status"], "pending", "still pending")
    eq(json_ok(_post(ca, _p(o1["id"], "/approve")), 200, "empty body")["status"], "approved", "empty body")
    eq(json_ok(_post(ca, _p(o2["id"], "/approve"), {}), 200, "{}")["status"], "approved", "{}")
    problem(_post(ca, _p(o3["id"], "/approve"), []), 400, "invalid_json", "array body")


def test_own_admin_approving_or_rejecting_its_own_org_is_403_forbidden():
    v = _vol()
    o = create_org(v)
    problem(_post(v, _p(o["id"], "/approve")), 403, "forbidden", "own admin approves")
    problem(_post(v, _p(o["id"], "/reject"), {"reason": "自己拒绝"}), 403, "forbidden", "own admin rejects")
    parent = _tree("corps")[0]
    child = _child(parent, "team", approve=False)
    problem(_post(child["admin"], _p(child["id"], "/approve")), 403, "forbidden", "own admin of a child approves")
    eq(_org(v, o["id"])["status"], "pending", "still pending")


def test_stranger_approving_or_rejecting_a_pending_org_is_404():
    o = create_org(_vol())
    for who, what in ((_user(), "plain account"), (_vol(), "volunteer"), (approved_org()[1], "other org's admin")):
        problem(_post(who, _p(o["id"], "/approve")), 404, "not_found", what + " approves")
        problem(_post(who, _p(o["id"], "/reject"), {"reason": "无权"}), 404, "not_found", what + " rejects")
    problem(_post(country_admin(), O + "/999999999999/approve"), 404, "not_found", "unknown org")
    eq(_org(country_admin(), o["id"])["status"], "pending", "still pending")


def test_stranger_approving_an_approved_org_is_403():
    o, _ = approved_org()
    problem(_post(_vol(), _p(o["id"], "/approve")), 403, "forbidden", "visible org, no right to decide")


def test_deciding_twice_is_409_conflict():
    ca = country_admin()
    a, b = create_org(_vol()), create_org(_vol())
    json_ok(_post(ca, _p(a["id"], "/approve")), 200)
    problem(_post(ca, _p(a["id"], "/approve")), 409, "conflict", "approve an approved org")
    problem(_post(ca, _p(a["id"], "/reject"), {"reason": "晚了"}), 409, "conflict", "reject an approved org")
    json_ok(_post(ca, _p(b["id"], "/reject"), {"reason": "第一次"}), 200)
    problem(_post(ca, _p(b["id"], "/approve")), 409, "conflict", "approve a rejected org")
    problem(_post(ca, _p(b["id"], "/reject"), {"reason": "第二次"}), 409, "conflict", "reject a rejected org")
    got = _org(ca, b["id"])
    eq((got["status"], got["reject_reason"]), ("rejected", "第一次"), "first decision stands")


def test_concurrent_decisions_on_one_org_give_one_200_and_409s():
    o = create_org(_vol())
    deciders = [_padmin("410000") for _ in range(4)]
    res = parallel(lambda i, a: _post(a, _p(o["id"], "/approve" if i % 2 else "/reject"), None if i % 2 else
                                      {"reason": "并发"}), list(enumerate(deciders)))
    for r in res:
        ok(not isinstance(r, BaseException), "request failed: %r" % (r,))
    eq(sorted(r.status for r in res), [200, 409, 409, 409], "statuses")


def test_platform_admin_scope_by_region_decides_pending_orgs():
    o1 = create_org(_vol(), region_code="410702")
    problem(_post(_padmin("420000"), _p(o1["id"], "/approve")), 404, "not_found", "420000 admin")
    problem(_post(_padmin("410703"), _p(o1["id"], "/approve")), 404, "not_found", "admin of a sibling county")
    eq(json_ok(_post(_padmin("410000"), _p(o1["id"], "/approve")), 200, "410000 admin")["status"], "approved",
       "province admin approves a county org")
    o2 = create_org(_vol(), region_code="410702")
    eq(json_ok(_post(_padmin("000000"), _p(o2["id"], "/approve")), 200, "000000 admin")["status"], "approved",
       "country admin approves")
    o3 = create_org(_vol(), region_code="410702")
    eq(json_ok(_post(_padmin("410700"), _p(o3["id"], "/reject"), {"reason": "市级驳回"}), 200)["status"],
       "rejected", "city admin rejects")
    o4 = create_org(_vol(), region_code="410000")
    problem(_post(_padmin("410700"), _p(o4["id"], "/approve")), 404, "not_found",
            "city admin on a province-level org")
    eq(json_ok(_post(_padmin("420000", "410000"), _p(o4["id"], "/approve")), 200)["status"], "approved",
       "admin of several regions, one covering")


# ================================================================ PATCH /orgs/{id}

def test_patch_by_own_admin_changes_only_the_fields_sent():
    v = _vol()
    o = create_org(v)
    new_name = org_name("改名队")
    r = _patch(v, _p(o["id"]), {"name": new_name, "supervisor_type": "society", "service_categories": ["online"],
                                "region_code": "410700", "registered_with_civil_affairs": False,
                                "founded_on": "2019-01-02", "level": "brigade", "supervisor_name": "新乡市农学会"})
    got = json_ok(r, 200, "PATCH")
    expect = dict(o, name=new_name, supervisor_type="society", service_categories=["online"],
                  region=REGIONS["410700"], registered_with_civil_affairs=False, founded_on="2019-01-02",
                  level="brigade", supervisor_name="新乡市农学会")
    eq(got, expect, "patched org")
    eq(_org(v, o["id"]), got, "GET after PATCH")
    eq(json_ok(_patch(v, _p(o["id"]), {}), 200, "empty PATCH"), got, "empty PATCH changes nothing")


def test_patch_leader_and_description_can_be_replaced_and_cleared_with_null():
    v = _vol()
    o = create_org(v)
    got = json_ok(_patch(v, _p(o["id"]), {"leader": {"name": "赵六", "title": "副总队长", "phone": new_phone()}}))
    eq(got["leader"], {"name": "赵六", "title": "副总队长"}, "replaced leader")
    eq(got["description"], o["description"], "description untouched")
    got = json_ok(_patch(v, _p(o["id"]), {"leader": None, "description": None}))
    eq((got["leader"], got["description"]), (None, None), "cleared")
    eq(_org(v, o["id"])["leader"], None, "GET: leader cleared")
    eq(psql("SELECT coalesce(leader_phone, '-') || coalesce(leader_employer, '-') FROM org.orgs WHERE id = %d"
            % o["id"]), "--", "leader phone and employer cleared with the leader")


def test_patch_parent_id_and_server_fields_are_422_unknown_field():
    # API.md: parent_id is never changed by PATCH (422 unknown_field, as in v1), for anyone.
    parent = _tree("corps")[0]
    child = _child(parent, "team", approve=False)
    a = child["admin"]
    for who, what in ((a, "own admin"), (parent["admin"], "the parent's admin (an approver)")):
        for val in (None, parent["id"], child["id"] + 1000):
            _only_error(_patch(who, _p(child["id"]), {"parent_id": val}), "parent_id", "unknown_field",
                        "%s: parent_id %r" % (what, val))
    for f, val in (("status", "approved"), ("id", 1), ("member_count", 9), ("activity_count", 1),
                   ("reject_reason", "x"), ("created_at", "2020-01-01T00:00:00+08:00"), ("former_names", []),
                   ("version", 1)):
        _only_error(_patch(a, _p(child["id"]), {f: val}), f, "unknown_field", "field " + f)
    got = _org(a, child["id"])
    eq((got["status"], got["parent"]["id"]), ("pending", parent["id"]), "nothing changed")


def test_patch_name_collision_is_409_already_exists():
    v = _vol()
    a, b = create_org(v), create_org(v)
    problem(_patch(v, _p(b["id"]), {"name": a["name"]}), 409, "already_exists", "name of another org")
    eq(_org(v, b["id"])["name"], b["name"], "name unchanged")
    eq(json_ok(_patch(v, _p(b["id"]), {"name": b["name"]}), 200, "own name again")["name"], b["name"], "same name")


def test_patch_validates_like_create_and_a_refused_patch_changes_nothing():
    v = _vol()
    o = create_org(v)
    tomorrow = (china_today() + datetime.timedelta(days=1)).isoformat()
    for body, err in (({"name": "x"}, ("name", "too_short")), ({"name": None}, ("name", "invalid_type")),
                      ({"level": "army"}, ("level", "invalid_choice")),
                      ({"founded_on": tomorrow}, ("founded_on", "invalid_date")),
                      ({"region_code": "990000"}, ("region_code", "invalid_choice")),
                      ({"region_code": "abc"}, ("region_code", "invalid_format")),
                      ({"service_categories": []}, ("service_categories", "too_short")),
                      ({"leader": {"title": "队长"}}, ("leader.name", "required")),
                      ({"leader": {"name": "张三", "phone": "123"}}, ("leader.phone", "invalid_format")),
                      ({"description": "科" * 2001}, ("description", "too_long"))):
        ok(err in _errors(_patch(v, _p(o["id"]), dict(body, supervisor_name="不应写入"))), "%r: %s" % (body, err))
    eq(_org(v, o["id"]), o, "nothing changed")
    problem(_call(v, "PATCH", _p(o["id"]), raw=b"{", headers={"Content-Type": "application/json"}), 400,
            "invalid_json", "broken JSON")


def test_patch_by_ancestor_admin_or_platform_admin_is_403_forbidden():
    nodes = _tree("corps", "detachment", "team", approve_last=False)
    oid = nodes[2]["id"]
    for who, what in ((nodes[0]["admin"], "grandparent admin"), (nodes[1]["admin"], "parent admin"),
                      (_padmin("410000"), "platform admin in scope")):
        problem(_patch(who, _p(oid), {"description": "越权修改"}), 403, "forbidden", what)
    eq(_org(nodes[2]["admin"], oid)["description"], nodes[2]["org"]["description"], "unchanged")


def test_patch_by_another_orgs_admin_is_403_on_an_approved_org_and_404_on_a_pending_one():
    other_admin = approved_org()[1]
    approved, _ = approved_org()
    pending = create_org(_vol())
    problem(_patch(other_admin, _p(approved["id"]), {"description": "越权"}), 403, "forbidden", "approved org")
    problem(_patch(other_admin, _p(pending["id"]), {"description": "越权"}), 404, "not_found", "pending org")
    problem(_patch(_vol(), _p(approved["id"]), {"description": "越权"}), 403, "forbidden", "a plain volunteer")
    problem(_patch(other_admin, O + "/999999999999", {"description": "x"}), 404, "not_found", "unknown org")


def test_patch_level_must_stay_below_the_parents_and_above_every_childs_422_wrong_level():
    # The creation rule (a child's level is below its parent's) holds after edits too; the level of
    # these approved orgs is changed by their approvers (v1.1), here the parent's admin.
    nodes = _tree("corps", "brigade", "team")
    brigade, approver = nodes[1], nodes[0]["admin"]
    for level in ("corps",):
        _only_error(_patch(approver, _p(brigade["id"]), {"level": level}), "level", "wrong_level",
                    "raised to its parent's level")
    for level in ("team", "squad"):
        _only_error(_patch(approver, _p(brigade["id"]), {"level": level}), "level", "wrong_level",
                    "lowered to or below its child's level (%s)" % level)
    eq(_org(None, brigade["id"])["level"], "brigade", "level unchanged")
    eq(json_ok(_patch(approver, _p(brigade["id"]), {"level": "detachment"}))["level"], "detachment",
       "a level between the parent's and the children's is fine")
    eq(json_ok(_patch(brigade["admin"], _p(nodes[2]["id"]), {"level": "squad"}))["level"], "squad",
       "a leaf may go down")
    eq(json_ok(_patch(nodes[0]["admin"], _p(nodes[0]["id"]), {"level": "corps"}))["level"], "corps",
       "the same level again, by its own admin")
    pending = _child(nodes[1], "team", approve=False)
    _only_error(_patch(pending["admin"], _p(pending["id"]), {"level": "brigade"}), "level", "wrong_level",
                "a pending org's own admin: the same rule")


def test_own_admins_rename_an_approved_org_and_its_former_names_are_kept():
    # v1.1 (issue 9, finding 6): renames stay with its own admins, and the old names are kept.
    o, v = approved_org()
    eq(o["former_names"], [], "no former names yet")
    first, second = org_name("更名一队"), org_name("更名二队")
    got = json_ok(_patch(v, _p(o["id"]), {"name": first}), 200, "first rename")
    eq((got["name"], got["status"], got["former_names"]), (first, "approved", [o["name"]]), "renamed, still approved")
    got = json_ok(_patch(v, _p(o["id"]), {"name": second, "description": "改名两次"}), 200, "second rename")
    eq(got["former_names"], [o["name"], first], "former names, oldest first")
    eq(json_ok(_patch(v, _p(o["id"]), {"name": second}), 200, "the same name again")["former_names"],
       [o["name"], first], "the same name is no rename")
    eq(_org(None, o["id"])["former_names"], [o["name"], first], "public GET shows them")
    listed = [it for it in json_ok(_get(None, O + "?q=" + _q(second)))["items"] if it["id"] == o["id"]]
    eq([it["former_names"] for it in listed], [[o["name"], first]], "the list shows them too")
    pending = create_org(v)
    eq(json_ok(_patch(v, _p(pending["id"]), {"name": org_name("待批改名")}))["former_names"], [],
       "a pending org's names before approval are not kept")


def test_own_admins_changing_level_or_region_of_an_approved_org_is_403_approval_required():
    # v1.1 (issue 9, finding 6): an approved team cannot make itself a corps or move on its own.
    nodes = _tree("corps", "team")
    team = nodes[1]
    v = team["admin"]
    for body, what in (({"level": "detachment"}, "re-level"), ({"region_code": "420102"}, "move region"),
                       ({"level": "squad", "region_code": "410700"}, "both"),
                       ({"level": "squad", "description": "顺带修改"}, "with another field")):
        problem(_patch(v, _p(team["id"]), body), 403, "approval_required", what)
    top, top_admin = approved_org(level="team")
    problem(_patch(top_admin, _p(top["id"]), {"level": "corps"}), 403, "approval_required", "top-level team → corps")
    eq(_org(None, team["id"]), team["org"], "nothing changed")
    eq(_org(None, top["id"]), top, "nothing changed (top-level)")
    got = json_ok(_patch(v, _p(team["id"]), {"level": "team", "region_code": "410702", "description": "同值"}), 200,
                  "sending the current level and region is no change")
    eq((got["level"], got["region"]["code"], got["status"]), ("team", "410702", "approved"), "unchanged")


def test_approvers_change_level_and_region_of_an_approved_org_through_patch():
    nodes = _tree("corps", "team")
    team, parent_admin = nodes[1], nodes[0]["admin"]
    got = json_ok(_patch(parent_admin, _p(team["id"]), {"level": "brigade", "region_code": "420102"}), 200,
                  "the parent's admin re-levels and moves it")
    eq((got["level"], got["region"], got["status"]), ("brigade", REGIONS["420102"], "approved"), "changed")
    problem(_patch(parent_admin, _p(team["id"]), {"name": org_name("上级改名")}), 403, "forbidden",
            "an approver does not rename")
    problem(_patch(parent_admin, _p(team["id"]), {"level": "team", "description": "上级改"}), 403, "forbidden",
            "an approver changes level and region only")
    # a platform admin whose scope covers both the old and the new region
    o, _ = approved_org(region_code="410702")
    henan = _padmin("410000")
    got = json_ok(_patch(henan, _p(o["id"]), {"region_code": "410700", "level": "detachment"}), 200,
                  "platform admin in scope of both")
    eq((got["region"], got["level"]), (REGIONS["410700"], "detachment"), "moved within Henan")
    problem(_patch(henan, _p(o["id"]), {"region_code": "420102"}), 403, "forbidden", "new region outside its scope")
    eq(_org(None, o["id"])["region"], REGIONS["410700"], "not moved out of scope")
    problem(_patch(_padmin("420000"), _p(o["id"]), {"region_code": "420102"}), 403, "forbidden",
            "a platform admin whose scope covers only the new region")
    problem(_patch(_padmin("410700"), _p(o["id"]), {"region_code": "410000"}), 403, "forbidden",
            "a city admin moving it up to the province")
    eq(json_ok(_patch(country_admin(), _p(o["id"]), {"region_code": "420102"}), 200, "national admin")["region"],
       REGIONS["420102"], "moved by a national admin")


def test_get_and_patch_org_carry_an_etag_that_changes_with_every_update():
    o, v = approved_org()
    r = _get(None, _p(o["id"]))
    etag = r.header("ETag")
    ok(etag and re.fullmatch(r'"[0-9]+-[0-9a-f]{16}"', etag), "GET has a strong ETag (\"version-hash\"): %s" % r)
    eq(_get(v, _p(o["id"])).header("ETag"), etag, "the same for another caller")
    p = _patch(v, _p(o["id"]), {"description": "第一次修改"})
    json_ok(p, 200, "PATCH")
    etag2 = p.header("ETag")
    ok(etag2 and etag2 != etag, "PATCH answers the new ETag: %s" % p)
    eq(_get(None, _p(o["id"])).header("ETag"), etag2, "GET agrees with PATCH's ETag")
    p = _patch(v, _p(o["id"]), {"description": "第一次修改"})
    ok(p.header("ETag") not in (etag, etag2), "every update changes the ETag, even one writing the same value")
    before = _get(None, _p(o["id"])).header("ETag")
    _member(v, o["id"])
    ok(_get(None, _p(o["id"])).header("ETag") != before, "a new member (member_count) changes it too")


def test_patch_with_a_stale_if_match_is_412_precondition_failed_and_changes_nothing():
    # v1.1 (issue 9, finding 7): a client that read the org before someone else's edit learns it.
    o, v = approved_org()
    etag = _get(v, _p(o["id"])).header("ETag")
    json_ok(_patch(v, _p(o["id"]), {"supervisor_name": "别人改过的主管单位"}), 200, "someone else's edit")
    stale = _call(v, "PATCH", _p(o["id"]), {"description": "基于旧版本"}, headers={"If-Match": etag})
    problem(stale, 412, "precondition_failed", "stale If-Match")
    for header in ('"0-0000000000000000"', "W/" + etag, "garbage"):
        problem(_call(v, "PATCH", _p(o["id"]), {"description": "x"}, headers={"If-Match": header}), 412,
                "precondition_failed", "If-Match %s" % header)
    eq(_org(v, o["id"])["description"], o["description"], "nothing written")
    current = _get(v, _p(o["id"])).header("ETag")
    for form in ("%s", '"nope", %s', "*"):
        header = form % current if "%s" in form else form
        r = _call(v, "PATCH", _p(o["id"]), {"description": "基于新版本 " + form}, headers={"If-Match": header})
        eq(json_ok(r, 200, "If-Match %s" % header)["description"], "基于新版本 " + form, "written")
        current = r.header("ETag")
    problem(_call(v, "PATCH", O + "/999999999999", {"description": "x"}, headers={"If-Match": "*"}), 404,
            "not_found", "If-Match * on no org")


def test_concurrent_patches_of_different_fields_never_lose_an_update():
    # v1.1 (issue 9, finding 7): two admins edit different fields at once, 15 times; both edits stay.
    o, v = approved_org()
    w = _member_admin(v, o["id"])
    for trial in range(15):
        desc, sup = "描述%d-%s" % (trial, secrets.token_hex(3)), "主管单位%d-%s" % (trial, secrets.token_hex(3))
        res = parallel(lambda who, body: _patch(who, _p(o["id"]), body),
                       [(v, {"description": desc}), (w, {"supervisor_name": sup})])
        for r in res:
            ok(not isinstance(r, BaseException), "trial %d: request failed: %r" % (trial, r))
            json_ok(r, 200, "trial %d" % trial)
        got = _org(None, o["id"])
        eq((got["description"], got["supervisor_name"]), (desc, sup), "trial %d: both edits kept" % trial)


def test_look_alike_org_names_are_409_already_exists():
    # v1.1 (issue 9, lows): names are unique after NFKC, removal of zero-width characters, trimming and
    # collapsing whitespace, so nobody registers a copy of a team's name that looks the same.
    tag = secrets.token_hex(3)
    base = "科技志愿服务 Team%s 队" % tag
    o, v = approved_org(name=base)
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in "Team" + tag)
    look_alikes = (("科技志愿服务 %s 队" % fullwidth, "full-width letters and digits"),
                   ("科技\u200b志愿服务 Team%s 队" % tag, "a zero-width space"),
                   ("科技志愿\ufeff服务 Team%s\u200d 队" % tag, "BOM and zero-width joiner"),
                   ("科技志愿服\u2060务 Team%s\u200c 队" % tag, "word joiner and zero-width non-joiner"),
                   ("科技志愿服务   Team%s  队" % tag, "runs of spaces"),
                   ("  科技志愿服务 Team%s 队 " % tag, "leading and trailing spaces"),
                   ("科技志愿服务\u3000Team%s\u00a0队" % tag, "ideographic and no-break spaces"))
    w = _vol()
    for name, what in look_alikes:
        problem(_post(w, O, org_body(name=name)), 409, "already_exists", "create: " + what)
        eq(_org_count(name), 0, "create: nothing registered: " + what)
    other = create_org(w)
    for name, what in look_alikes:
        problem(_patch(w, _p(other["id"]), {"name": name}), 409, "already_exists", "rename: " + what)
    eq(_org(w, other["id"])["name"], other["name"], "rename refused")
    json_ok(_post(w, O, org_body(name="科技志愿服务 Team%s 二队" % tag)), 201, "a really different name")
    eq(json_ok(_patch(v, _p(o["id"]), {"name": "科技志愿服务  Team%s 队" % tag}), 200, "own look-alike")["name"],
       "科技志愿服务  Team%s 队" % tag, "an org may respell its own name")


# ================================================================ admins

def test_admins_list_shows_full_phone_and_real_name_to_own_ancestor_and_platform_admins():
    nodes = _tree("corps", "detachment", approve_last=False)
    n = nodes[1]
    expect = {"items": [_admin_item(n["admin"])]}
    for who, what in ((n["admin"], "own admin"), (nodes[0]["admin"], "parent's admin"),
                      (_padmin("410700"), "platform admin in scope")):
        eq(json_ok(_get(who, _p(n["id"], "/admins")), 200, what), expect, what)


def test_admins_list_is_404_to_other_orgs_admins_members_and_strangers():
    o, admin = approved_org()
    member = _member(admin, o["id"])
    for who, what in ((approved_org()[1], "other org's admin"), (member, "member"), (_vol(), "volunteer"),
                      (_user(), "plain account"), (_padmin("420000"), "platform admin out of scope")):
        problem(_get(who, _p(o["id"], "/admins")), 404, "not_found", what)
    problem(_get(admin, O + "/999999999999/admins"), 404, "not_found", "unknown org")


def test_add_admin_by_phone_is_201_and_the_new_admin_gets_the_rights():
    o, v = approved_org()
    w = _member(v, o["id"])
    r = _add_admin(v, o["id"], w)
    eq(json_ok(r, 201, "add admin"), _admin_item(w), "201 body")
    ok({"role": "org_admin", "org_id": o["id"]} in _roles(w), "new admin has the role in /auth/me")
    eq(json_ok(_patch(w, _p(o["id"]), {"description": "新管理员修改"}))["description"], "新管理员修改", "new admin edits")
    eq(json_ok(_get(w, _p(o["id"], "/admins")))["items"], [_admin_item(v), _admin_item(w)],
       "admins list, in order of appointment, each with status active")


def test_ancestor_and_platform_admins_add_admins():
    nodes = _tree("corps", "team")
    w1, w2 = _member(nodes[1]["admin"], nodes[1]["id"]), _member(nodes[1]["admin"], nodes[1]["id"])
    json_ok(_add_admin(nodes[0]["admin"], nodes[1]["id"], w1), 201, "ancestor adds")
    json_ok(_add_admin(_padmin("410000"), nodes[1]["id"], w2), 201, "platform adds")
    eq(_admin_count(nodes[1]["id"]), 3, "three admins")


def test_add_admin_to_a_pending_or_rejected_org_is_409_org_not_approved():
    # v1.1: the admin of an org nobody approved cannot hand out admin rights at all.
    v = _vol()
    pending = create_org(v)
    rejected = create_org(v)
    json_ok(_post(country_admin(), _p(rejected["id"], "/reject"), {"reason": "材料不全"}), 200, "reject")
    for o, what in ((pending, "pending org"), (rejected, "rejected org")):
        for phone, who in ((_vol()["phone"], "a volunteer"), (new_phone(), "a phone without an account")):
            problem(_post(v, _p(o["id"], "/admins"), {"phone": phone}), 409, "org_not_approved",
                    "%s, %s" % (what, who))
        eq(_admin_count(o["id"]), 1, what + ": nobody added")
    nodes = _tree("corps", "team", approve_last=False)
    problem(_post(nodes[0]["admin"], _p(nodes[1]["id"], "/admins"), {"phone": _vol()["phone"]}), 409,
            "org_not_approved", "the parent's admin on a pending child")


def test_add_admin_of_anyone_but_an_active_member_is_the_same_422_not_member_for_registered_and_unregistered_phones():
    # v1.1 (issue 9, High): a phone of no account, of an account without a volunteer, of a volunteer
    # outside the org, of an applicant and of a rejected applicant all answer the same bytes, and nobody
    # becomes an admin; nothing tells the caller who is registered.
    o, v = approved_org()
    applicant, rejected = _vol(), _vol()
    _applied(applicant, o["id"])
    _applied(rejected, o["id"])
    json_ok(_decide_member(v, o["id"], rejected["id"], "reject"), 200)
    other_org, other_admin = approved_org()
    elsewhere = _member(other_admin, other_org["id"])
    bodies = {}
    for phone, what in ((new_phone(), "no account"), (_user()["phone"], "account without a volunteer"),
                        (_vol()["phone"], "volunteer outside the org"), (applicant["phone"], "pending applicant"),
                        (rejected["phone"], "rejected applicant"), (elsewhere["phone"], "member of another org")):
        r = _post(v, _p(o["id"], "/admins"), {"phone": phone})
        _only_error(r, "phone", "not_member", what)
        ok(phone not in r.body.decode("utf-8"), "%s: the answer repeats the phone: %s" % (what, r))
        bodies[what] = r.body
    eq(len(set(bodies.values())), 1, "byte-identical 422 bodies for every non-member: %r" % bodies)
    ok(b"real_name" not in bodies["volunteer outside the org"] and
       elsewhere["body"]["real_name"].encode("utf-8") not in bodies["member of another org"], "no name shown")
    eq(_admin_count(o["id"]), 1, "nobody added")
    eq(json_ok(_get(v, _p(o["id"], "/admins")))["items"], [_admin_item(v)], "admins list unchanged")
    _only_error(_post(v, _p(o["id"], "/admins"), {"phone": "12345"}), "phone", "invalid_format", "bad phone")
    _only_error(_post(v, _p(o["id"], "/admins"), {}), "phone", "required", "no phone")
    _only_error(_post(v, _p(o["id"], "/admins"), {"phone": _member(v, o["id"])["phone"], "role": "x"}), "role",
                "unknown_field", "extra field")
    eq(_admin_count(o["id"]), 1, "nobody added")


def test_add_admin_twice_is_409_already_exists():
    o, v = approved_org()
    problem(_post(v, _p(o["id"], "/admins"), {"phone": v["phone"]}), 409, "already_exists", "the creator again")
    w = _member_admin(v, o["id"])
    problem(_add_admin(v, o["id"], w), 409, "already_exists", "added twice")


def test_add_admin_by_a_non_manager_is_403_on_an_approved_org_and_404_on_a_pending_one():
    approved, a1 = approved_org()
    pending = create_org(_vol())
    w = _member(a1, approved["id"])
    for who, what in ((approved_org()[1], "other org's admin"), (_vol(), "volunteer"), (w, "itself, a member")):
        problem(_post(who, _p(approved["id"], "/admins"), {"phone": w["phone"]}), 403, "forbidden",
                what + ", approved org")
        problem(_post(who, _p(pending["id"], "/admins"), {"phone": w["phone"]}), 404, "not_found",
                what + ", pending org")
    eq((_admin_count(approved["id"]), _admin_count(pending["id"])), (1, 1), "nobody added")


def test_remove_admin_is_204_the_last_admin_is_409_and_a_non_admin_is_404():
    o, v = approved_org()
    w = _member_admin(v, o["id"])
    problem(_delete(v, _p(o["id"], "/admins/%d" % _user()["user_id"])), 404, "not_found", "a user who is not admin")
    problem(_delete(v, _p(o["id"], "/admins/999999999999")), 404, "not_found", "no such user")
    r = _delete(v, _p(o["id"], "/admins/%d" % w["user_id"]))
    eq(r.status, 204, "remove the second admin: %s" % r)
    eq(r.body, b"", "204 has no body")
    problem(_delete(v, _p(o["id"], "/admins/%d" % w["user_id"])), 404, "not_found", "removed twice")
    problem(_delete(v, _p(o["id"], "/admins/%d" % v["user_id"])), 409, "conflict", "the last admin removes itself")
    eq(_admin_count(o["id"]), 1, "one admin left")


def test_ancestor_admin_cannot_remove_the_last_admin_of_a_child_either():
    nodes = _tree("corps", "team")
    problem(_delete(nodes[0]["admin"], _p(nodes[1]["id"], "/admins/%d" % nodes[1]["admin"]["user_id"])), 409,
            "conflict", "ancestor removes the child's only admin")


def test_admin_may_remove_itself_when_not_the_last():
    o, v = approved_org()
    w = _member_admin(v, o["id"])
    eq(_delete(w, _p(o["id"], "/admins/%d" % w["user_id"])).status, 204, "self-removal")
    eq([it["user_id"] for it in json_ok(_get(v, _p(o["id"], "/admins")))["items"]], [v["user_id"]], "admins")


def test_remove_admin_by_a_non_manager_is_403_on_an_approved_org_and_404_on_a_pending_one():
    approved, a1 = approved_org()
    pending_admin = _vol()
    pending = create_org(pending_admin)
    outsider = approved_org()[1]
    problem(_delete(outsider, _p(approved["id"], "/admins/%d" % a1["user_id"])), 403, "forbidden", "approved org")
    problem(_delete(outsider, _p(pending["id"], "/admins/%d" % pending_admin["user_id"])), 404, "not_found",
            "pending org")


def test_removed_admin_loses_rights_at_once_even_with_an_unexpired_token():
    o, v = approved_org()
    w = _member_admin(v, o["id"])
    json_ok(_patch(w, _p(o["id"]), {"description": "还是管理员"}), 200, "admin edits before removal")
    eq(_delete(v, _p(o["id"], "/admins/%d" % w["user_id"])).status, 204, "removed")
    problem(_patch(w, _p(o["id"]), {"description": "已被移除"}), 403, "forbidden", "PATCH after removal")
    problem(_get(w, _p(o["id"], "/admins")), 404, "not_found", "admins list after removal")
    problem(_get(w, _p(o["id"], "/members")), 404, "not_found", "roster after removal")
    problem(_post(w, _p(o["id"], "/admins"), {"phone": _member(v, o["id"])["phone"]}), 403, "forbidden",
            "add admin after removal")
    ok({"role": "org_admin", "org_id": o["id"]} not in _roles(w), "/auth/me no longer lists the org")
    # and on a pending org the removed admin no longer even sees it (a second admin of a pending org
    # cannot be added over HTTP since v1.1: straight into the table)
    p = create_org(v)
    psql("INSERT INTO org.admins (org_id, user_id) VALUES (%d, %d)" % (p["id"], w["user_id"]))
    eq(_org(w, p["id"])["status"], "pending", "the second admin sees the pending org")
    eq(_delete(v, _p(p["id"], "/admins/%d" % w["user_id"])).status, 204, "removed from the pending org")
    problem(_get(w, _p(p["id"])), 404, "not_found", "pending org after removal")


def test_concurrent_removals_never_remove_the_last_admin():
    o, v = approved_org()
    w = _member_admin(v, o["id"])
    res = parallel(lambda a, target: _delete(a, _p(o["id"], "/admins/%d" % target["user_id"])),
                   [(v, w), (w, v)])
    for r in res:
        ok(not isinstance(r, BaseException), "request failed: %r" % (r,))
    statuses = sorted(r.status for r in res)
    # The loser is refused as the last admin (409) or, when the winner's removal
    # committed first, as someone who is no longer an admin of this approved org (403).
    ok(statuses in ([204, 403], [204, 409]), "one removal succeeds, the other is refused: %r" % (res,))
    eq(_admin_count(o["id"]), 1, "exactly one admin left")


def _hold_org_lock_then(oid, seconds, sql_after):
    """A psql session that locks org oid's row (as every change of the org or its people does), sleeps,
    runs sql_after in the same transaction and commits. Returns the Popen; wait() on it."""
    holder = subprocess.Popen(shlex.split(PSQL), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    holder.stdin.write("BEGIN; SELECT 1 FROM org.orgs WHERE id = %d FOR UPDATE; SELECT pg_sleep(%s); %s COMMIT;\n"
                       % (oid, seconds, sql_after))
    holder.stdin.close()
    time.sleep(0.5)  # the lock is taken
    return holder


def _in_flight(fn):
    """Start fn() on a thread; returns a function that joins it and returns its result."""
    out = {}
    t = threading.Thread(target=lambda: out.update(r=fn()))
    t.start()

    def join():
        t.join(30)
        ok("r" in out, "the in-flight request got no answer")
        return out["r"]
    return join


def test_removed_admins_in_flight_admin_removal_does_not_take_effect():
    # v1.1 (issue 9): w's DELETE of x passes the rights check, then waits for the org's row; meanwhile
    # v removes w (here: a psql session holding that row, as the removal does) and commits. When w's
    # request gets the row, w is no longer an admin: 403, and x stays.
    o, v = approved_org()
    w, x = _member_admin(v, o["id"]), _member_admin(v, o["id"])
    holder = _hold_org_lock_then(o["id"], 2, "DELETE FROM org.admins WHERE org_id = %d AND user_id = %d;"
                                 % (o["id"], w["user_id"]))
    join = _in_flight(lambda: _delete(w, _p(o["id"], "/admins/%d" % x["user_id"])))
    eq(holder.wait(30), 0, "psql lock holder")
    problem(join(), 403, "forbidden", "the removed admin's in-flight removal")
    eq(sorted(it["user_id"] for it in json_ok(_get(v, _p(o["id"], "/admins")))["items"]),
       sorted([v["user_id"], x["user_id"]]), "x is still an admin; w is gone")


def test_removed_admins_in_flight_admin_add_patch_and_member_decision_do_not_take_effect():
    o, v = approved_org()
    w = _member_admin(v, o["id"])
    candidate, applicant = _member(v, o["id"]), _vol()
    _applied(applicant, o["id"])
    holder = _hold_org_lock_then(o["id"], 2, "DELETE FROM org.admins WHERE org_id = %d AND user_id = %d;"
                                 % (o["id"], w["user_id"]))
    joins = [_in_flight(lambda: _add_admin(w, o["id"], candidate)),
             _in_flight(lambda: _patch(w, _p(o["id"]), {"description": "被移除后的修改"})),
             _in_flight(lambda: _decide_member(w, o["id"], applicant["id"], "approve"))]
    eq(holder.wait(30), 0, "psql lock holder")
    for join, what in zip(joins, ("admin add", "PATCH", "member approval")):
        problem(join(), 403, "forbidden", "the removed admin's in-flight " + what)
    eq(_admin_count(o["id"]), 1, "nobody added")
    got = _org(v, o["id"])
    eq(got["description"], o["description"], "description unchanged")
    eq(_ids(json_ok(_get(v, _p(o["id"], "/members?status=pending")))), [applicant["id"]], "still pending")


# ================================================================ members: applying

def test_apply_to_an_approved_org_is_201_pending_membership():
    o, _ = approved_org()
    v = _vol()
    r = _apply(v, o["id"])
    m = json_ok(r, 201, "apply")
    _check_membership(m, o["id"], o["name"], v["id"], "pending", "201 body")
    eq(_member_count(o["id"]), 0, "a pending application is not counted")


def test_apply_twice_is_409_already_exists_whether_pending_or_active():
    o, admin = approved_org()
    v = _vol()
    _applied(v, o["id"])
    problem(_apply(v, o["id"]), 409, "already_exists", "pending")
    json_ok(_decide_member(admin, o["id"], v["id"], "approve"), 200)
    problem(_apply(v, o["id"]), 409, "already_exists", "active")
    eq(_member_count(o["id"]), 1, "count")


def test_concurrent_applications_by_one_volunteer_give_one_201_and_409s():
    o, _ = approved_org()
    v = _vol()
    res = parallel(lambda: _apply(v, o["id"]), [()] * 4)
    for r in res:
        ok(not isinstance(r, BaseException), "request failed: %r" % (r,))
    eq(sorted(r.status for r in res), [201, 409, 409, 409], "statuses")


def test_apply_to_a_pending_org_is_409_org_not_approved_if_visible_and_404_if_not():
    v = _vol()
    pending = create_org(v)
    problem(_apply(v, pending["id"]), 409, "org_not_approved", "its own admin applies")
    problem(_apply(_vol(), pending["id"]), 404, "not_found", "a stranger applies")
    rejected = create_org(v)
    json_ok(_post(country_admin(), _p(rejected["id"], "/reject"), {"reason": "不批"}), 200)
    problem(_apply(v, rejected["id"]), 409, "org_not_approved", "its own admin, rejected org")
    problem(_apply(_vol(), rejected["id"]), 404, "not_found", "a stranger, rejected org")
    problem(_apply(v, 999999999999), 404, "not_found", "unknown org")
    eq(psql("SELECT count(*) FROM org.members WHERE org_id IN (%d, %d)" % (pending["id"], rejected["id"])), "0",
       "no membership rows")


def test_apply_by_a_non_volunteer_is_403_volunteer_required():
    o, _ = approved_org()
    problem(_apply(_user(), o["id"]), 403, "volunteer_required", "plain account")
    problem(_apply(_padmin("000000"), o["id"]), 403, "volunteer_required", "platform admin")


def test_apply_body_must_be_empty_nobody_applies_as_active():
    o, _ = approved_org()
    v = _vol()
    _only_error(_post(v, _p(o["id"], "/members"), {"status": "active"}), "status", "unknown_field", "status in body")
    eq(json_ok(_post(v, _p(o["id"], "/members"), {}), 201, "{} body")["status"], "pending", "pending")


def test_applying_again_after_a_rejection_is_201_pending():
    o, admin = approved_org()
    v = _vol()
    _applied(v, o["id"])
    eq(json_ok(_decide_member(admin, o["id"], v["id"], "reject"), 200)["status"], "rejected", "rejected")
    m = json_ok(_apply(v, o["id"]), 201, "apply again")
    _check_membership(m, o["id"], o["name"], v["id"], "pending", "second application")
    eq(json_ok(_decide_member(admin, o["id"], v["id"], "approve"), 200)["status"], "active", "approved this time")


# ================================================================ members: decisions, removal, leaving

def test_approve_member_makes_it_active_with_joined_at_and_counts_it():
    o, admin = approved_org()
    v = _vol()
    _applied(v, o["id"])
    m = json_ok(_decide_member(admin, o["id"], v["id"], "approve"), 200, "approve")
    _check_membership(m, o["id"], o["name"], v["id"], "active", "approved membership")
    eq(_member_count(o["id"]), 1, "counted")


def test_reject_member_is_rejected_and_not_counted():
    o, admin = approved_org()
    v = _vol()
    _applied(v, o["id"])
    m = json_ok(_decide_member(admin, o["id"], v["id"], "reject"), 200, "reject")
    _check_membership(m, o["id"], o["name"], v["id"], "rejected", "rejected membership")
    eq(_member_count(o["id"]), 0, "not counted")


def test_deciding_a_non_pending_application_is_409_conflict():
    o, admin = approved_org()
    a, b = _vol(), _vol()
    _member(admin, o["id"], a)
    _applied(b, o["id"])
    json_ok(_decide_member(admin, o["id"], b["id"], "reject"), 200)
    for v, st in ((a, "active"), (b, "rejected")):
        for d in ("approve", "reject"):
            problem(_decide_member(admin, o["id"], v["id"], d), 409, "conflict", "%s an %s member" % (d, st))
    eq(_member_count(o["id"]), 1, "count unchanged")


def test_deciding_an_unknown_application_is_404():
    o, admin = approved_org()
    stranger = _vol()
    other, oadmin = approved_org()
    _applied(stranger, other["id"])
    for vid in (stranger["id"], 999999999999):
        for d in ("approve", "reject"):
            problem(_decide_member(admin, o["id"], vid, d), 404, "not_found", "%s volunteer %d" % (d, vid))
    problem(_decide_member(admin, 999999999999, stranger["id"], "approve"), 404, "not_found", "unknown org")


def test_member_decisions_by_a_non_manager_are_403():
    o, admin = approved_org()
    applicant, member = _vol(), _member(admin, o["id"])
    _applied(applicant, o["id"])
    for who, what in ((applicant, "the applicant itself"), (member, "a member"), (_vol(), "a volunteer"),
                      (approved_org()[1], "another org's admin"), (_padmin("420000"), "platform admin out of scope")):
        for d in ("approve", "reject"):
            problem(_decide_member(who, o["id"], applicant["id"], d), 403, "forbidden", "%s: %s" % (what, d))
    m = json_ok(_get(admin, _p(o["id"], "/members?status=pending")))
    eq(_ids(m), [applicant["id"]], "still pending")


def test_ancestor_and_platform_admins_decide_member_applications():
    nodes = _tree("corps", "detachment", "team")
    team = nodes[2]
    a, b, c = _vol(), _vol(), _vol()
    for v in (a, b, c):
        _applied(v, team["id"])
    eq(json_ok(_decide_member(nodes[0]["admin"], team["id"], a["id"], "approve"))["status"], "active", "corps admin")
    eq(json_ok(_decide_member(nodes[1]["admin"], team["id"], b["id"], "reject"))["status"], "rejected", "parent admin")
    eq(json_ok(_decide_member(_padmin("410700"), team["id"], c["id"], "approve"))["status"], "active",
       "platform admin in scope")
    eq(_member_count(team["id"]), 2, "count")


def test_manager_removes_a_member_204_and_the_count_drops():
    o, admin = approved_org()
    v = _member(admin, o["id"])
    eq(_member_count(o["id"]), 1, "count before")
    r = _delete(admin, _p(o["id"], "/members/%d" % v["id"]))
    eq(r.status, 204, "remove: %s" % r)
    eq(_member_count(o["id"]), 0, "count after")
    problem(_delete(admin, _p(o["id"], "/members/%d" % v["id"])), 404, "not_found", "removed twice")
    eq(json_ok(_get(v, "/volunteers/me/orgs"))["items"], [], "the volunteer's orgs")


def test_remove_member_by_a_non_manager_is_403_and_unknown_member_is_404():
    o, admin = approved_org()
    v, other = _member(admin, o["id"]), _member(admin, o["id"])
    for who, what in ((other, "another member"), (approved_org()[1], "other org's admin"), (_vol(), "volunteer")):
        problem(_delete(who, _p(o["id"], "/members/%d" % v["id"])), 403, "forbidden", what)
    problem(_delete(admin, _p(o["id"], "/members/%d" % _vol()["id"])), 404, "not_found", "not a member")
    problem(_delete(admin, _p(o["id"], "/members/999999999999")), 404, "not_found", "no such volunteer")
    eq(_member_count(o["id"]), 2, "nobody removed")


def test_member_leaves_204_and_again_404():
    o, admin = approved_org()
    v = _member(admin, o["id"])
    r = _delete(v, _p(o["id"], "/members/me"))
    eq(r.status, 204, "leave: %s" % r)
    eq(_member_count(o["id"]), 0, "count after leaving")
    problem(_delete(v, _p(o["id"], "/members/me")), 404, "not_found", "leave again")
    problem(_delete(_vol(), _p(o["id"], "/members/me")), 404, "not_found", "never a member")
    problem(_delete(_user(), _p(o["id"], "/members/me")), 403, "volunteer_required", "not a volunteer")
    eq(json_ok(_apply(v, o["id"]), 201)["status"], "pending", "may apply again after leaving")


def test_member_count_is_exact_across_apply_approve_reject_remove_and_leave():
    o, admin = approved_org()
    oid = o["id"]
    v1, v2, v3, v4 = _vol(), _vol(), _vol(), _vol()
    for v in (v1, v2, v3, v4):
        _applied(v, oid)
    eq(_member_count(oid), 0, "four pending")
    json_ok(_decide_member(admin, oid, v1["id"], "approve"), 200)
    eq(_member_count(oid), 1, "approve v1")
    json_ok(_decide_member(admin, oid, v2["id"], "approve"), 200)
    eq(_member_count(oid), 2, "approve v2")
    json_ok(_decide_member(admin, oid, v3["id"], "reject"), 200)
    eq(_member_count(oid), 2, "reject v3")
    eq(_delete(v4, _p(oid, "/members/me")).status, 204, "v4 withdraws its pending application")
    eq(_member_count(oid), 2, "pending withdrawn")
    eq(_delete(v1, _p(oid, "/members/me")).status, 204, "v1 leaves")
    eq(_member_count(oid), 1, "active left")
    eq(_delete(admin, _p(oid, "/members/%d" % v2["id"])).status, 204, "v2 removed")
    eq(_member_count(oid), 0, "active removed")
    _applied(v3, oid)
    eq(_member_count(oid), 0, "rejected applies again")
    json_ok(_decide_member(admin, oid, v3["id"], "approve"), 200)
    eq(_member_count(oid), 1, "approve v3")
    eq(psql("SELECT count(*) FROM org.members WHERE org_id = %d AND status = 'active'" % oid), "1",
       "member_count equals the active rows")


def test_concurrent_member_approvals_count_every_member():
    o, admin = approved_org()
    vols = [_vol() for _ in range(6)]
    for v in vols:
        _applied(v, o["id"])
    res = parallel(lambda v: _decide_member(admin, o["id"], v["id"], "approve"), [(v,) for v in vols])
    for r in res:
        ok(not isinstance(r, BaseException), "request failed: %r" % (r,))
    eq([r.status for r in res], [200] * 6, "statuses")
    eq(_member_count(o["id"]), 6, "member_count")


def test_volunteers_me_orgs_lists_the_callers_memberships():
    (a, aa), (b, ba), (c, cadm) = approved_org(), approved_org(), approved_org()
    v = _vol()
    _applied(v, a["id"])
    _member(ba, b["id"], v)
    _applied(v, c["id"])
    json_ok(_decide_member(cadm, c["id"], v["id"], "reject"), 200)
    _member(aa, a["id"])  # somebody else's membership is not listed
    items = json_ok(_get(v, "/volunteers/me/orgs"))["items"]
    by_org = {it["org"]["id"]: it for it in items}
    eq(sorted(by_org), sorted([a["id"], b["id"], c["id"]]), "orgs listed")
    for org, st in ((a, "pending"), (b, "active"), (c, "rejected")):
        it = by_org[org["id"]]
        eq(set(it), {"org", "status", "joined_at", "applied_at"}, "item keys")
        eq(it["org"], {"id": org["id"], "name": org["name"]}, "org")
        eq(it["status"], st, "status in " + org["name"])
        _about_now(it["applied_at"], "applied_at")
        if st == "active":
            _about_now(it["joined_at"], "joined_at")
        else:
            eq(it["joined_at"], None, "joined_at of a %s membership" % st)


# ================================================================ rosters

def test_roster_default_lists_pending_and_active_not_rejected_with_full_phone_and_masked_id():
    o, admin = approved_org()
    active, pending, rejected = _member(admin, o["id"]), _vol(), _vol()
    _applied(pending, o["id"])
    _applied(rejected, o["id"])
    json_ok(_decide_member(admin, o["id"], rejected["id"], "reject"), 200)
    body = json_ok(_get(admin, _p(o["id"], "/members")), 200, "roster")
    eq((body["total"], body["page"], body["page_size"]), (2, 1, 20), "paging")
    got = {it["id"]: it for it in body["items"]}
    eq(sorted(got), sorted([active["id"], pending["id"]]), "pending and active, not rejected")
    for v, st in ((active, "active"), (pending, "pending")):
        it = got[v["id"]]
        eq(set(it), VOLUNTEER_KEYS | {"membership_status"}, "roster item keys")
        eq(it["membership_status"], st, "membership_status")
        eq(it["phone"], v["phone"], "full phone")
        eq(it["id_number"], mask_id_number(v["body"]["id_number"]), "masked ID number")
        eq(it["real_name"], v["body"]["real_name"], "real_name")


def test_roster_status_q_and_paging_filters():
    o, admin = approved_org()
    tag = unique_name_part(4)
    a = _member(admin, o["id"], _vol(real_name="甲" + tag + "一"))
    b = _vol(real_name="乙" + tag + "二")
    _applied(b, o["id"])
    c = _member(admin, o["id"], _vol(real_name="丙" + unique_name_part(5)))
    r = lambda q: json_ok(_get(admin, _p(o["id"], "/members?" + q)), 200, q)  # noqa: E731
    eq(_ids(r("status=pending")), [b["id"]], "status=pending")
    eq(sorted(_ids(r("status=active"))), sorted([a["id"], c["id"]]), "status=active")
    eq(sorted(_ids(r("q=" + _q(tag)))), sorted([a["id"], b["id"]]), "q")
    eq(_ids(r("status=active&q=" + _q(tag))), [a["id"]], "status and q")
    eq(r("q=" + _q("%"))["total"], 0, "q=% is literal")
    eq(r("q=" + _q("_"))["total"], 0, "q=_ is literal")
    seen = []
    for page in (1, 2, 3):
        body = r("page_size=1&page=%d" % page)
        eq((body["total"], len(body["items"])), (3, 1), "page %d" % page)
        seen += _ids(body)
    eq(sorted(seen), sorted([a["id"], b["id"], c["id"]]), "pages cover the roster once")
    for q, field in (("status=bad", "status"), ("status=rejected", "status"), ("page_size=101", "page_size"),
                     ("page=0", "page")):
        ok(field in {f for f, _ in _errors(_get(admin, _p(o["id"], "/members?" + q)))}, "%s names %s" % (q, field))


def test_roster_phones_are_masked_for_platform_admins_and_full_for_org_and_ancestor_admins():
    # v1.1 (issue 9, finding 2): the roster follows the volunteer rule, like /volunteers/{id}.
    nodes = _tree("corps", "team")
    team = nodes[1]
    v = _member(team["admin"], team["id"])
    path = _p(team["id"], "/members")
    for who, what in ((team["admin"], "the org's admin"), (nodes[0]["admin"], "the parent's admin")):
        eq([it["phone"] for it in json_ok(_get(who, path), 200, what)["items"]], [v["phone"]], what + ": full")
    padmin = _padmin("410000")
    body = json_ok(_get(padmin, path), 200, "platform admin in scope")
    eq([it["phone"] for it in body["items"]], [mask_phone(v["phone"])], "platform admin: masked")
    ok(v["phone"].encode() not in _get(padmin, path).body, "the full phone appears nowhere in the answer")
    eq([it["phone"] for it in json_ok(_get(country_admin(), path + "?status=active"))["items"]],
       [mask_phone(v["phone"])], "national admin: masked")
    # a platform admin who is also an admin of the parent sees it in full
    both = _member_admin(nodes[0]["admin"], nodes[0]["id"])
    grant_platform_admin(both["user_id"], "410000")
    eq([it["phone"] for it in json_ok(_get(both, path))["items"]], [v["phone"]], "platform and ancestor admin: full")


def test_corps_admin_reads_a_squad_roster_three_levels_down():
    nodes = _tree("corps", "detachment", "team", "squad")
    squad = nodes[3]
    v = _member(squad["admin"], squad["id"])
    for n, what in zip(nodes, ("corps admin", "detachment admin", "team admin", "squad admin")):
        body = json_ok(_get(n["admin"], _p(squad["id"], "/members")), 200, what)
        eq(_ids(body), [v["id"]], what)
        eq(body["items"][0]["phone"], v["phone"], what + ": full phone")


def test_roster_is_404_to_other_orgs_child_sibling_admins_members_and_strangers():
    nodes = _tree("corps", "detachment", "team")
    det, team = nodes[1], nodes[2]
    sibling = _child(nodes[0], "brigade")
    member = _member(det["admin"], det["id"])
    _applied(_vol(), det["id"])
    for who, what in ((approved_org()[1], "another org's admin"), (team["admin"], "a child org's admin"),
                      (sibling["admin"], "a sibling's admin"), (member, "a member"), (_vol(), "a volunteer"),
                      (_user(), "a plain account"), (_padmin("420000"), "platform admin out of scope")):
        problem(_get(who, _p(det["id"], "/members")), 404, "not_found", what)
        problem(_get(who, _p(det["id"], "/members?status=pending")), 404, "not_found", what + ", pending")
    eq(json_ok(_get(_padmin("410000"), _p(det["id"], "/members")))["total"], 2, "platform admin in scope")
    problem(_get(det["admin"], O + "/999999999999/members"), 404, "not_found", "unknown org")


# ================================================================ volunteers seen through orgs

def test_volunteer_is_visible_with_full_phone_to_admins_of_orgs_it_applied_to_or_joined_and_their_ancestors():
    nodes = _tree("corps", "detachment", "team")
    team = nodes[2]
    sibling = _child(nodes[1], "team")
    v = _vol()
    path = "/volunteers/%d" % v["id"]
    for n, what in ((team, "team admin"), (nodes[0], "corps admin"), (sibling, "sibling admin")):
        problem(_get(n["admin"], path), 404, "not_found", what + " before applying")
    _applied(v, team["id"])
    for n, what in ((team, "team admin"), (nodes[1], "detachment admin"), (nodes[0], "corps admin")):
        got = json_ok(_get(n["admin"], path), 200, what + ", applicant")
        eq(got["phone"], v["phone"], what + ": full phone")
        eq(got["id_number"], mask_id_number(v["body"]["id_number"]), what + ": masked ID")
    json_ok(_decide_member(team["admin"], team["id"], v["id"], "approve"), 200)
    eq(json_ok(_get(nodes[0]["admin"], path), 200, "corps admin, member")["phone"], v["phone"], "member's phone")
    for who, what in ((sibling["admin"], "sibling admin"), (approved_org()[1], "another org's admin"),
                      (_vol(), "a volunteer"), (_member(team["admin"], team["id"]), "a fellow member")):
        problem(_get(who, path), 404, "not_found", what)
    eq(_delete(v, _p(team["id"], "/members/me")).status, 204, "leaves")
    problem(_get(team["admin"], path), 404, "not_found", "team admin after the volunteer left")


# ================================================================ BOLA matrix

def test_bola_org_a_admin_cannot_touch_org_b():
    a, a_admin = approved_org()
    b, b_admin = approved_org()
    b_pending = create_org(_vol())
    applicant, member = _vol(), _member(b_admin, b["id"])
    _applied(applicant, b["id"])
    x = a_admin
    bid = b["id"]
    problem(_get(x, _p(bid, "/members")), 404, "not_found", "roster")
    problem(_get(x, _p(bid, "/admins")), 404, "not_found", "admins list")
    problem(_decide_member(x, bid, applicant["id"], "approve"), 403, "forbidden", "member approve")
    problem(_decide_member(x, bid, applicant["id"], "reject"), 403, "forbidden", "member reject")
    problem(_delete(x, _p(bid, "/members/%d" % member["id"])), 403, "forbidden", "member remove")
    problem(_post(x, _p(bid, "/admins"), {"phone": x["phone"]}), 403, "forbidden", "admin add (itself)")
    problem(_delete(x, _p(bid, "/admins/%d" % b_admin["user_id"])), 403, "forbidden", "admin remove")
    problem(_patch(x, _p(bid), {"name": org_name("夺取")}), 403, "forbidden", "PATCH approved")
    problem(_post(x, _p(bid, "/approve")), 403, "forbidden", "approve an approved org")
    problem(_post(x, _p(b_pending["id"], "/approve")), 404, "not_found", "approve pending")
    problem(_post(x, _p(b_pending["id"], "/reject"), {"reason": "恶意"}), 404, "not_found", "reject pending")
    problem(_patch(x, _p(b_pending["id"]), {"description": "x"}), 404, "not_found", "PATCH pending")
    problem(_get(x, "/volunteers/%d" % applicant["id"]), 404, "not_found", "B's applicant")
    # nothing happened to B
    eq(_admin_count(bid), 1, "B's admins")
    eq(_member_count(bid), 1, "B's member_count")
    eq(_ids(json_ok(_get(b_admin, _p(bid, "/members?status=pending")))), [applicant["id"]], "still pending")
    eq(_org(None, bid)["name"], b["name"], "B's name")


def test_bola_child_admin_cannot_manage_its_parent():
    nodes = _tree("corps", "detachment")
    parent, child = nodes
    applicant = _vol()
    _applied(applicant, parent["id"])
    x = child["admin"]
    pid = parent["id"]
    problem(_get(x, _p(pid, "/members")), 404, "not_found", "parent's roster")
    problem(_get(x, _p(pid, "/admins")), 404, "not_found", "parent's admins")
    problem(_post(x, _p(pid, "/approve")), 403, "forbidden", "approve the (approved) parent")
    problem(_patch(x, _p(pid), {"description": "下级改上级"}), 403, "forbidden", "PATCH parent")
    problem(_decide_member(x, pid, applicant["id"], "approve"), 403, "forbidden", "approve parent's member")
    problem(_post(x, _p(pid, "/admins"), {"phone": x["phone"]}), 403, "forbidden", "make itself parent admin")
    problem(_get(x, "/volunteers/%d" % applicant["id"]), 404, "not_found", "parent's applicant")
    # a pending org under the parent stays hidden from the child admin too
    pending_sibling = _child(parent, "brigade", approve=False)
    problem(_get(x, _p(pending_sibling["id"])), 404, "not_found", "pending sibling")
    problem(_post(x, _p(pending_sibling["id"], "/approve")), 404, "not_found", "approve pending sibling")


def test_bola_sibling_admin_cannot_manage_its_sibling():
    parent = _tree("corps")[0]
    s1 = _child(parent, "detachment")
    s2 = _child(parent, "brigade")
    s3 = _child(parent, "team", approve=False)
    member = _member(s2["admin"], s2["id"])
    applicant = _vol()
    _applied(applicant, s2["id"])
    x = s1["admin"]
    problem(_get(x, _p(s2["id"], "/members")), 404, "not_found", "sibling roster")
    problem(_get(x, _p(s2["id"], "/admins")), 404, "not_found", "sibling admins")
    problem(_patch(x, _p(s2["id"]), {"description": "兄弟改"}), 403, "forbidden", "PATCH sibling")
    problem(_decide_member(x, s2["id"], applicant["id"], "approve"), 403, "forbidden", "approve sibling's applicant")
    problem(_delete(x, _p(s2["id"], "/members/%d" % member["id"])), 403, "forbidden", "remove sibling's member")
    problem(_post(x, _p(s3["id"], "/approve")), 404, "not_found", "approve pending sibling")
    problem(_get(x, _p(s3["id"])), 404, "not_found", "see pending sibling")
    problem(_get(x, "/volunteers/%d" % member["id"]), 404, "not_found", "sibling's member")
