"""Ids and paging in query strings (issue 10): one scanner (common/scan.c) reads every id
and page number, so the same text gets the same answer wherever it arrives. An id is 1 to
18 digits without a sign or a leading zero: in a query anything else is 422 naming the
parameter (invalid_format), in a path it matches no route (404). `page` and `page_size`
follow the same digits rule (`?page=007` is not page 7)."""

import urllib.parse

from harness import Client, eq, json_ok, problem, field_errors, register_volunteer, platform_admin, approved_org

BAD_IDS = ("0", "00", "007", "-1", "+1", "1.5", "abc", "", "1000000000000000000", "99999999999999999999")


def _pairs(resp):
    return [(e["field"], e["code"]) for e in problem(resp, 422, "validation_failed").get("errors", [])]


def test_a_malformed_parent_id_is_422_like_a_malformed_org_id():
    for bad in BAD_IDS:
        eq(_pairs(Client().get("/orgs?parent_id=" + bad)), [("parent_id", "invalid_format")], "parent_id=%r" % bad)
        eq(_pairs(Client().get("/activities?org_id=" + bad)), [("org_id", "invalid_format")], "org_id=%r" % bad)


def test_a_well_formed_unknown_query_id_is_an_empty_page():
    for good in ("1", "999999999999", "999999999999999999"):
        for path in ("/orgs?parent_id=", "/activities?org_id="):
            body = json_ok(Client().get(path + good), 200, path + good)
            if good != "1":
                eq((body["items"], body["total"]), ([], 0), path + good)


def test_the_same_malformed_ids_in_a_path_are_404():
    for bad in ("0", "007", "-1", "abc", "1000000000000000000"):
        for path in ("/orgs/", "/activities/"):
            problem(Client().get(path + bad), 404, "not_found", path + bad)


def test_page_and_page_size_with_a_leading_zero_are_422():
    for path in ("/orgs", "/activities"):
        eq(_pairs(Client().get(path + "?page=007")), [("page", "invalid_format")], path + " page=007")
        eq(_pairs(Client().get(path + "?page=01")), [("page", "invalid_format")], path + " page=01")
        eq(_pairs(Client().get(path + "?page_size=020")), [("page_size", "out_of_range")], path + " page_size=020")
        body = json_ok(Client().get(path + "?page=7&page_size=20"), 200, path + " page=7")
        eq((body["page"], body["page_size"]), (7, 20), path + " page=7 is page 7")


def test_page_and_page_size_bad_values_name_their_fixed_codes():
    for q, pair in (("page=0", ("page", "invalid_format")), ("page=1000001", ("page", "invalid_format")),
                    ("page=", ("page", "invalid_format")), ("page_size=abc", ("page_size", "out_of_range")),
                    ("page_size=101", ("page_size", "out_of_range")), ("page_size=", ("page_size", "out_of_range"))):
        eq(_pairs(Client().get("/orgs?" + q)), [pair], q)
    body = json_ok(Client().get("/orgs?page=1000000"), 200, "page 1000000 is the last page allowed")
    eq(body["page"], 1000000, "page 1000000")


def test_enumeration_messages_list_their_choices():
    body = field_errors(Client().get("/activities?status=open&sort=title"), ("status", "invalid_choice"),
                        ("sort", "invalid_choice"))
    msgs = {e["field"]: e["message"] for e in body["errors"]}
    eq(msgs["status"], "must be cancelled, ended, ongoing, recruiting, signup_closed or upcoming", "status message")
    eq(msgs["sort"], "must be starts_at or -starts_at", "sort message")
    v = register_volunteer()
    body = field_errors(v["client"].get("/volunteers/me/activities?filter=past", token=v["token"]),
                        ("filter", "invalid_choice"))
    eq(body["errors"][0]["message"], "must be all, upcoming or ended", "filter message")


def test_member_status_is_checked_from_its_table():
    org, admin = approved_org()
    r = admin["client"].get("/orgs/%d/members?status=gone" % org["id"], token=admin["token"])
    body = field_errors(r, ("status", "invalid_choice"))
    eq(body["errors"][0]["message"], "must be pending or active", "member status message")
    json_ok(admin["client"].get("/orgs/%d/members?status=active" % org["id"], token=admin["token"]), 200, "active")


def test_every_bad_list_parameter_is_reported_at_once():
    admin = platform_admin("000000")
    r = admin["client"].get("/volunteers?region=abc&service_category=x&page=007&page_size=0&q=" + urllib.parse.quote("科" * 51),
                            token=admin["access_token"])
    field_errors(r, ("region", "invalid_format"), ("service_category", "invalid_choice"), ("page", "invalid_format"),
                 ("page_size", "out_of_range"), ("q", "invalid_format"))
