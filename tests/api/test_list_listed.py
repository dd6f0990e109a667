"""GET /activities?status= for the five statuses that move with the clock reads each activity's
listed status (migration 021): the status it was written in and the window [listed_since,
listed_until) in which it holds, with the rows whose window has passed tested one by one until the
activity service's refresh lists them again (services/activity/listing.c). These tests make a row
due a refresh by hand (as a row is when its status moved and the refresh has not run yet) and
hold the list to the status the detail prints: in the count, in the page and in its order, before
and after the refresh; and the refresh leaves the activity's version (its ETag) as it was."""

import time

from harness import eq, ok, psql
from test_activities import A, _create, _get, _list, _org, _status, _all_ids


def _make_due(aid, listed="upcoming"):
    """The row as if written before its status moved and not refreshed since; returns
    [listed_status, holds, version] as that same statement left it (the refresh runs every
    15 s and may list the row again before a second statement could read it)."""
    return psql("UPDATE activity.activities SET listed_status = '%s', listed_since = '-infinity',"
                " listed_until = now() - interval '1 second' WHERE id = %d RETURNING listed_status || '|' ||"
                " (listed_since <= now() AND listed_until > now()) || '|' || version"
                % (listed, aid)).splitlines()[0].split("|")


def _listed(aid):
    return psql("SELECT listed_status || '|' || (listed_since <= now() AND listed_until > now()) || '|' || version"
                " FROM activity.activities WHERE id = %d" % aid).splitlines()[-1].split("|")


def test_a_row_due_a_refresh_is_listed_under_the_status_it_has_now():
    org, admin = _org()
    aid = _create(admin, org["id"], "recruiting", title="待刷新")["id"]
    _make_due(aid)
    eq(_status(aid), "recruiting", "the detail's status")
    eq(_all_ids(org_id=org["id"], status="recruiting"), [aid], "listed under its status now")
    eq(_all_ids(org_id=org["id"], status="upcoming"), [], "not under the status it was written in")
    eq(_list(org_id=org["id"], status="recruiting", region="410000")["total"], 1, "counted in its province")
    eq(_list(org_id=org["id"], status="upcoming", region="410700")["total"], 0, "nor in its city")


def test_the_page_orders_listed_rows_and_rows_due_a_refresh_together():
    org, admin = _org()
    ids = [_create(admin, org["id"], "recruiting", title="排序%d" % i)["id"] for i in range(5)]
    # starts_at one hour apart, the second and fourth due a refresh
    for i, aid in enumerate(ids):
        psql("UPDATE activity.activities SET starts_at = starts_at + interval '%d hours',"
             " ends_at = ends_at + interval '%d hours' WHERE id = %d" % (i, i, aid))
    _make_due(ids[1])
    _make_due(ids[3], "signup_closed")
    for sort, want in (("-starts_at", ids[::-1]), ("starts_at", ids)):
        pages = [_list(org_id=org["id"], status="recruiting", sort=sort, page=p, page_size=2) for p in (1, 2, 3)]
        eq([it["id"] for p in pages for it in p["items"]], want, "pages of two in %s order" % sort)
        eq([p["total"] for p in pages], [5, 5, 5], "the count on every page")
    eq(_list(org_id=org["id"], status="signup_closed")["total"], 0, "the row listed as closed is not closed")


def test_the_refresh_lists_a_passed_window_again_without_a_new_version():
    org, admin = _org()
    aid = _create(admin, org["id"], "recruiting", title="刷新")["id"]
    status, holds, version = _make_due(aid)
    eq((status, holds), ("upcoming", "false"), "due a refresh")
    etag = _get(None, "%s/%d" % (A, aid)).header("ETag")
    deadline = time.time() + 35  # the refresh runs every 15 s
    while time.time() < deadline and _listed(aid)[:2] != ["recruiting", "true"]:
        time.sleep(0.5)
    status, holds, version_after = _listed(aid)
    eq((status, holds), ("recruiting", "true"), "listed again by the activity service's refresh")
    eq(version_after, version, "the refresh is no new version")
    eq(_get(None, "%s/%d" % (A, aid)).header("ETag"), etag, "nor a new ETag")
    eq(_all_ids(org_id=org["id"], status="recruiting"), [aid], "listed under its status after the refresh")


def test_a_status_that_moves_while_the_row_waits_for_its_refresh_is_listed_as_it_is():
    org, admin = _org()
    aid = _create(admin, org["id"], "recruiting", title="截止")["id"]
    # the sign-up closes in a second; the row is written as recruiting until then
    psql("UPDATE activity.activities SET signup_ends_at = now() + interval '1 second' WHERE id = %d" % aid)
    eq(_listed(aid)[:2], ["recruiting", "true"], "written as recruiting until its sign-up closes")
    time.sleep(1.5)
    eq(_status(aid), "signup_closed", "the detail after the sign-up closed")
    eq(_all_ids(org_id=org["id"], status="signup_closed"), [aid], "listed as closed, refreshed or not")
    eq(_all_ids(org_id=org["id"], status="recruiting"), [], "no longer as recruiting")


def test_writing_the_times_lists_the_row_again_at_once():
    org, admin = _org()
    aid = _create(admin, org["id"], "upcoming", title="改期")["id"]
    eq(_listed(aid)[:2], ["upcoming", "true"], "listed as upcoming when published")
    psql("UPDATE activity.activities SET signup_starts_at = now() - interval '1 hour' WHERE id = %d" % aid)
    ok(_listed(aid)[:2] == ["recruiting", "true"], "a change of its times lists it again in the same write")


def test_a_row_loaded_with_the_triggers_off_is_due_a_refresh_and_listed_right():
    org, admin = _org()
    aid = _create(admin, org["id"], "signup_closed", title="批量")["id"]
    new = psql("SET session_replication_role = replica;"
               " INSERT INTO activity.activities (org_id, title, description, service_category, themes, region_code,"
               " address, starts_at, ends_at, signup_starts_at, signup_ends_at, capacity, service_hours, contact_name,"
               " contact_phone, requirements, members_only, created_by)"
               " SELECT org_id, title || '2', description, service_category, themes, region_code, address, starts_at,"
               " ends_at, signup_starts_at, signup_ends_at, capacity, service_hours, contact_name, contact_phone,"
               " requirements, members_only, created_by FROM activity.activities WHERE id = %d RETURNING id"
               % aid).splitlines()
    nid = int([x for x in new if x.strip().isdigit()][0])
    try:
        eq(psql("SELECT listed_status FROM activity.activities WHERE id = %d" % nid).splitlines()[-1], "unlisted",
           "written without its trigger")
        eq(sorted(_all_ids(org_id=org["id"], status="signup_closed")), sorted([aid, nid]), "both listed as closed")
    finally:  # without the stats triggers, as it came: the summaries never counted it (test_stats)
        psql("SET session_replication_role = replica; DELETE FROM activity.activities WHERE id = %d" % nid)
        psql("SELECT activity.rebuild_listed_counts()")  # counted if the refresh listed it (migration 022)
