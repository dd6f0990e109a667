"""GET /activities in the country, a province, a city or a county, with a status or without and
nothing else, reads its total from the counts kept per region and listed status (migration 022;
services/activity/sql.c, list_count), corrected by the rows due a refresh. These tests hold that
total to the rows (a direct count of the status the detail prints) through every write that moves
a row from one count to another: publishing, a change of times, a cancel, a delete, the refresh, a
load with the triggers off; and hold the kept counts to a recount of every row in one snapshot.
They write in 包头市石拐区 (150205), a county no other test writes."""

import time

from harness import eq, fail, psql
from test_activities import _cancel, _create, _list, _org, _set_times

COUNTY, CITY, PROVINCE = "150205", "150200", "150000"
STATUSES = ("cancelled", "ended", "ongoing", "recruiting", "signup_closed", "upcoming")
NO_TRIGGERS = "SET session_replication_role = replica; "


def _totals(region):
    """Every status's total in a region, and ("any") the region's without a status."""
    got = {s: _list(region=region, status=s, page_size=1)["total"] for s in STATUSES}
    got["any"] = _list(region=region, page_size=1)["total"]
    return got


def _direct(region):
    """Every status's count in a region, from the rows themselves, as the detail says the status."""
    rows = psql("SELECT activity.status_at(a.cancelled_at, a.starts_at, a.ends_at, a.signup_starts_at,"
                " a.signup_ends_at, now()), count(*) FROM activity.activities a, ref.region_range('%s') r"
                " WHERE a.region_code BETWEEN r.lo AND r.hi GROUP BY 1" % region)
    got = {s: 0 for s in STATUSES}
    for line in rows.splitlines():
        status, n = line.split("|")
        got[status] = int(n)
    got["any"] = sum(got.values())
    return got


def _drift():
    """(region, status, kept, recounted) wherever the kept counts differ from a recount of every
    listed row, in one statement (one snapshot)."""
    rows = psql("SELECT coalesce(k.region_code, c.region_code), coalesce(k.listed_status, c.listed_status),"
                " coalesce(k.n, 0), coalesce(c.n, 0)"
                " FROM (SELECT region_code, listed_status, sum(n) AS n FROM activity.listed_counts GROUP BY 1, 2) k"
                " FULL JOIN (SELECT r AS region_code, a.listed_status, count(*) AS n FROM activity.activities a"
                "            CROSS JOIN LATERAL unnest(activity.rollup(a.region_code)) r"
                "            WHERE a.listed_status <> 'unlisted' GROUP BY 1, 2) c"
                " ON c.region_code = k.region_code AND c.listed_status = k.listed_status"
                " WHERE coalesce(k.n, 0) <> coalesce(c.n, 0)")
    return [tuple(line.split("|")) for line in rows.splitlines()]


def _add_kept(region, status, n):
    psql("INSERT INTO activity.listed_counts AS c (region_code, listed_status, stripe, n) VALUES ('%s', '%s', 0, %d)"
         " ON CONFLICT ON CONSTRAINT listed_counts_pkey DO UPDATE SET n = c.n + EXCLUDED.n" % (region, status, n))


def _refresh():
    """The refresh, run until no row of the county is due (another process may hold its turn)."""
    deadline = time.time() + 20
    while psql("SELECT count(*) FROM activity.activities WHERE region_code = '%s'"
               " AND (listed_until <= now() OR listed_since > now())" % COUNTY) != "0":
        if time.time() > deadline:
            fail("rows of %s still due a refresh after 20 s" % COUNTY)
        psql("SELECT activity.refresh_listed()")
        time.sleep(0.2)


def _hold_to_the_rows(what):
    eq(_totals(COUNTY), _direct(COUNTY), "the county's totals %s" % what)
    eq(_drift(), [], "the kept counts against a recount %s" % what)


def test_a_status_in_a_region_is_counted_from_the_kept_counts_and_other_filters_count_the_rows():
    org, admin = _org()
    _create(admin, org["id"], "recruiting", region_code=COUNTY)
    before = {r: _list(region=r, status="recruiting")["total"] for r in (COUNTY, CITY, PROVINCE, "000000")}
    for r in (COUNTY, CITY, PROVINCE, "000000"):
        _add_kept(r, "recruiting", 7)
    try:
        for r in (COUNTY, CITY, PROVINCE, "000000"):
            eq(_list(region=r, status="recruiting")["total"], before[r] + 7, "region=%s: the kept count is read" % r)
        eq(_list(status="recruiting")["total"], before["000000"] + 7, "no region: the country's kept count")
        eq(_list(region=COUNTY)["total"], _direct(COUNTY)["any"] + 7, "no status: every status's kept count")
        eq(_list(region=COUNTY, status="recruiting", org_id=org["id"])["total"], 1,
           "with org_id the rows themselves are counted")
    finally:
        for r in (COUNTY, CITY, PROVINCE, "000000"):
            _add_kept(r, "recruiting", -7)
    eq(_list(region=COUNTY, status="recruiting")["total"], before[COUNTY], "as before once taken back")


def test_the_count_follows_publishing_a_change_of_times_a_cancel_and_a_delete():
    org, admin = _org()
    ids = {p: _create(admin, org["id"], p, region_code=COUNTY)["id"]
           for p in ("upcoming", "recruiting", "signup_closed", "ongoing", "ended")}
    _hold_to_the_rows("after publishing one of each status")
    before = _totals(CITY)
    _set_times(ids["upcoming"], "recruiting")
    _hold_to_the_rows("after an upcoming one's times made it recruiting")
    eq(_totals(CITY), dict(before, upcoming=before["upcoming"] - 1, recruiting=before["recruiting"] + 1),
       "the city's totals moved one from upcoming to recruiting, the same in all")
    _cancel(admin, ids["recruiting"])
    _hold_to_the_rows("after a cancel")
    psql("DELETE FROM activity.activities WHERE id = %d" % ids["ended"])
    _hold_to_the_rows("after a delete")


def test_rows_due_a_refresh_are_counted_in_the_status_they_have_now_before_and_after_it():
    org, admin = _org()
    aid = _create(admin, org["id"], "recruiting", region_code=COUNTY)["id"]
    # written as upcoming in a window that has passed: due a refresh, counted as upcoming
    psql("UPDATE activity.activities SET listed_status = 'upcoming', listed_since = '-infinity',"
         " listed_until = now() - interval '1 second' WHERE id = %d" % aid)
    _hold_to_the_rows("with a row due a refresh")
    _refresh()
    _hold_to_the_rows("after the refresh")
    eq(psql("SELECT listed_status FROM activity.activities WHERE id = %d" % aid), "recruiting", "listed again")


def test_a_row_loaded_with_the_triggers_off_is_counted_once_the_refresh_lists_it():
    org, admin = _org()
    aid = _create(admin, org["id"], "signup_closed", region_code=COUNTY)["id"]
    new = psql(NO_TRIGGERS + "INSERT INTO activity.activities (org_id, title, description, service_category,"
                   " themes, region_code, address, starts_at, ends_at, signup_starts_at, signup_ends_at, capacity,"
                   " service_hours, contact_name, contact_phone, requirements, members_only, created_by)"
                   " SELECT org_id, title || '2', description, service_category, themes, region_code, address,"
                   " starts_at, ends_at, signup_starts_at, signup_ends_at, capacity, service_hours, contact_name,"
                   " contact_phone, requirements, members_only, created_by FROM activity.activities WHERE id = %d"
                   " RETURNING id" % aid)
    new = int([x for x in new.splitlines() if x.strip().isdigit()][0])
    eq(psql("SELECT listed_status FROM activity.activities WHERE id = %d" % new), "unlisted", "counted by nobody")
    _hold_to_the_rows("with an unlisted row")
    _refresh()
    _hold_to_the_rows("once the refresh listed it")
    # removed as it came, without the triggers (the stats summaries never counted it: test_stats),
    # so counted still, until a rebuild counts every row again
    psql(NO_TRIGGERS + "DELETE FROM activity.activities WHERE id = %d" % new)
    psql("SELECT activity.rebuild_listed_counts()")
    _hold_to_the_rows("after it is removed and the counts rebuilt")


def test_a_rebuild_counts_every_row_again():
    org, admin = _org()
    _create(admin, org["id"], "upcoming", region_code=COUNTY)
    _add_kept(COUNTY, "upcoming", 5)
    eq(_drift(), [(COUNTY, "upcoming", str(_direct(COUNTY)["upcoming"] + 5), str(_direct(COUNTY)["upcoming"]))],
       "a count set wrong is found by the recount")
    psql("SELECT activity.rebuild_listed_counts()")
    _hold_to_the_rows("after the rebuild")
