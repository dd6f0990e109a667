"""GET /orgs?status=pending|rejected: an approver's queue. Only with a bearer token; lists the
orgs in that status the caller may decide (a platform admin whose scope covers the org's
region, or an admin of one of its ancestors: the rule of approval), with the public list's
filters and paging; a caller who may decide none sees an empty page."""

import secrets

from harness import json_ok, eq, problem, create_org, approve_org, country_admin
from harness import padmin_actor as _padmin, get_as as _get, post_as as _post  # noqa: E402
from harness import register_volunteer as _vol, page_ids as _ids, only_error as _only_error  # noqa: E402


def _queue(actor, tag, status="pending"):
    return json_ok(_get(actor, "/orgs?status=%s&q=%s" % (status, tag)), 200, "GET /orgs?status=" + status)


def test_platform_admin_in_scope_sees_a_pending_org_and_out_of_scope_does_not():
    tag = secrets.token_hex(5)
    o = create_org(_vol(), name="待审" + tag, region_code="410702")
    page = _queue(_padmin("410700"), tag)
    eq(_ids(page), [o["id"]], "in scope (410700 covers 410702)")
    eq(page["total"], 1, "total")
    eq(page["items"][0]["status"], "pending", "status")
    eq(_ids(_queue(country_admin(), tag)), [o["id"]], "the whole country")
    out = _queue(_padmin("420000"), tag)
    eq((_ids(out), out["total"]), ([], 0), "out of scope (420000)")


def test_the_parent_orgs_admin_sees_its_pending_child_and_the_childs_own_admin_does_not():
    tag = secrets.token_hex(5)
    parent_admin = _vol()
    parent = approve_org(country_admin(), create_org(parent_admin, name="父" + tag, level="corps")["id"])
    child_admin = _vol()
    child = create_org(child_admin, name="子" + tag, level="detachment", parent_id=parent["id"])
    eq(_ids(_queue(parent_admin, tag)), [child["id"]], "the parent's admin")
    eq(_ids(_queue(child_admin, tag)), [], "its own admin decides nothing")
    eq(_ids(json_ok(_get(parent_admin, "/orgs?status=pending&parent_id=%d" % parent["id"]))), [child["id"]],
       "parent_id filter")


def test_an_unrelated_volunteer_sees_an_empty_page():
    tag = secrets.token_hex(5)
    create_org(_vol(), name="无关" + tag)
    page = json_ok(_get(_vol(), "/orgs?status=pending&q=" + tag), 200)
    eq((page["items"], page["total"]), ([], 0), "no right: empty, not 403")


def test_rejected_lists_rejected_orgs_and_approved_is_the_public_list():
    tag = secrets.token_hex(5)
    v = _vol()
    rejected = create_org(v, name="驳" + tag)
    json_ok(_post(country_admin(), "/orgs/%d/reject" % rejected["id"], {"reason": "材料不全"}), 200)
    approved = approve_org(country_admin(), create_org(v, name="过" + tag)["id"])
    pending = create_org(v, name="待" + tag)
    eq(_ids(_queue(country_admin(), tag, "rejected")), [rejected["id"]], "rejected")
    eq(_ids(_queue(country_admin(), tag)), [pending["id"]], "pending")
    for who in (None, v, country_admin()):
        eq(_ids(json_ok(_get(who, "/orgs?status=approved&q=" + tag))), [approved["id"]], "approved: public")


def test_paging_applies_to_the_queue():
    tag = secrets.token_hex(5)
    v = _vol()
    ids = [create_org(v, name="页%d%s" % (i, tag))["id"] for i in range(3)]
    page = json_ok(_get(country_admin(), "/orgs?status=pending&page_size=2&q=" + tag))
    eq((_ids(page), page["total"], page["page_size"]), (sorted(ids, reverse=True)[:2], 3, 2), "page 1")
    page = json_ok(_get(country_admin(), "/orgs?status=pending&page_size=2&page=2&q=" + tag))
    eq(_ids(page), [min(ids)], "page 2")


def test_anonymous_pending_or_rejected_is_401():
    for status in ("pending", "rejected"):
        problem(_get(None, "/orgs?status=" + status), 401, "unauthorized", "anonymous " + status)


def test_unknown_status_is_422_invalid_choice():
    for who in (None, country_admin()):
        _only_error(_get(who, "/orgs?status=deleted"), "status", "invalid_choice", "status=deleted")
