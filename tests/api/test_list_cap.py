"""API.md v1.1, a list's capped count (issue 15): GET /activities counts at most 10,001 matches.
Above 10,000 the answer says total 10000 and "total_capped": true; at 10,000 or fewer the total is
exact and total_capped is absent; the pages themselves (page 1 in either order, and a page past
the cap) are the same rows in the same order as the full SQL ordering. The 10,001 rows are copied
by SQL from one activity made through the API, in 包头市昆都仑区 (150203), a county no other test
writes, for an org of their own, without the stats triggers (and removed again the same way)."""

from harness import eq, ok, json_ok, psql
from test_activities import A, _org, _create
from harness import get_as as _get
import urllib.parse

REGION = "150203"
NO_TRIGGERS = "SET session_replication_role = replica; "


def _page(**params):
    return json_ok(_get(None, A + "?" + urllib.parse.urlencode(params)), 200, "GET /activities?%r" % params)


def _sql_ids(org_id, order, limit, offset=0):
    out = psql("SELECT id FROM activity.activities WHERE org_id = %d ORDER BY %s LIMIT %d OFFSET %d"
               % (org_id, order, limit, offset))
    return [int(x) for x in out.split()]


def test_list_total_is_capped_above_10000_matches_exact_at_10000_and_pages_unchanged():
    org, admin = _org()
    first = _create(admin, org["id"], region_code=REGION)
    # 10,000 copies, each a minute apart, some with the same starts_at (ties broken by id); without the
    # stats triggers (this session only, as a bulk load does), so that the summaries never count them
    psql(NO_TRIGGERS + "INSERT INTO activity.activities (org_id, title, description, service_category, themes, region_code,"
         " address, starts_at, ends_at, signup_starts_at, signup_ends_at, capacity, service_hours, contact_name,"
         " contact_phone, requirements, members_only, created_by)"
         " SELECT org_id, title || g, description, service_category, themes, region_code, address,"
         " starts_at + (g / 2) * interval '1 minute', ends_at + (g / 2) * interval '1 minute', signup_starts_at,"
         " signup_ends_at, capacity, service_hours, contact_name, contact_phone, requirements, members_only,"
         " created_by FROM activity.activities, generate_series(1, 10000) g WHERE id = %d" % first["id"])
    oid = org["id"]

    p = _page(org_id=oid)
    eq(p["total"], 10000, "10,001 matches: total is the cap")
    eq(p.get("total_capped"), True, "10,001 matches: total_capped")
    eq([it["id"] for it in p["items"]], _sql_ids(oid, "starts_at DESC, id DESC", 20), "page 1, latest first")
    p = _page(org_id=oid, sort="starts_at", page_size=100)
    eq(p.get("total_capped"), True, "ascending: total_capped")
    eq([it["id"] for it in p["items"]], _sql_ids(oid, "starts_at, id", 100), "page 1, earliest first")
    # the page past the cap: rows 10,001 (offset 10,000) still answered
    p = _page(org_id=oid, page=101, page_size=100)
    eq(p["total"], 10000, "a page past the cap: total still the cap")
    eq([it["id"] for it in p["items"]], _sql_ids(oid, "starts_at DESC, id DESC", 100, 10000),
       "the page past the cap holds the 10,001st row")
    eq(len(p["items"]), 1, "one row past 10,000")
    # filters combined: region prefix (province, city) and the status of every row
    for region in ("150000", "150200", REGION):
        p = _page(org_id=oid, region=region, status="recruiting", page_size=5)
        eq((p["total"], p.get("total_capped")), (10000, True), "region=%s&status=recruiting" % region)
    p = _page(region=REGION, status="upcoming")
    eq((p["total"], p.get("total_capped"), p["items"]), (0, None, []), "no match: 0, exact")

    # exactly 10,000 matches: exact, no total_capped
    psql(NO_TRIGGERS + "DELETE FROM activity.activities WHERE id = (SELECT max(id) FROM activity.activities"
         " WHERE org_id = %d)" % oid)
    p = _page(org_id=oid)
    eq(p["total"], 10000, "10,000 matches: exact total")
    ok("total_capped" not in p, "10,000 matches: no total_capped, got %r" % p.get("total_capped"))
    eq([it["id"] for it in p["items"]], _sql_ids(oid, "starts_at DESC, id DESC", 20), "page 1 at 10,000")

    # a handful: exact
    org2, admin2 = _org()
    for _ in range(3):
        _create(admin2, org2["id"], region_code=REGION)
    p = _page(org_id=org2["id"])
    eq((p["total"], len(p["items"])), (3, 3), "3 matches")
    ok("total_capped" not in p, "3 matches: no total_capped")
    psql(NO_TRIGGERS + "DELETE FROM activity.activities WHERE org_id = %d AND id <> %d" % (oid, first["id"]))
    # the refresh may have listed the copies meanwhile, and so counted them (migration 022)
    psql("SELECT activity.rebuild_listed_counts()")
