"""The query string (API.md v1.1): more than 32 parameters, or a NUL or other control
character in a query value, is a 422 validation_failed; nothing is silently cut."""

import urllib.parse

from harness import Client, eq, ok, json_ok, field_errors, platform_admin

REGIONS = "/meta/regions"


def _junk(n):
    return "&".join("p%d=1" % i for i in range(n))


def test_33_query_parameters_are_422_too_many_not_silently_cut():
    # the 33rd parameter used to be dropped unread, and with it its validation
    r = Client().get(REGIONS + "?" + _junk(32) + "&parent=abc")
    body = field_errors(r, ("query", "too_many"))
    eq([(e["field"], e["code"]) for e in body["errors"]], [("query", "too_many")], "errors")


def test_far_more_than_32_query_parameters_are_422_too_many():
    field_errors(Client().get(REGIONS + "?" + _junk(500)), ("query", "too_many"))


def test_32_query_parameters_are_all_read_and_validated():
    r = Client().get(REGIONS + "?" + _junk(31) + "&parent=abc")
    body = field_errors(r, ("parent", "invalid_format"))
    eq([e["field"] for e in body["errors"]], ["parent"], "only parent is reported")
    cities = json_ok(Client().get(REGIONS + "?" + _junk(31) + "&parent=410000"), 200, "32 good parameters")
    ok(any(c["code"] == "410700" for c in cities), "the 32nd parameter (parent=410000) is used: %r" % cities[:3])


def test_empty_segments_do_not_count_as_parameters():
    cities = json_ok(Client().get(REGIONS + "?&&&" + _junk(31) + "&&&parent=410000&&"), 200, "empty segments")
    ok(any(c["code"] == "410700" for c in cities), "parent=410000 read: %r" % cities[:3])


def test_nul_in_a_query_value_is_422_naming_the_field_not_cut():
    # parent=410000%00x used to be read as 410000
    body = field_errors(Client().get(REGIONS + "?parent=410000%00x"), ("parent", "control_character"))
    eq([(e["field"], e["code"]) for e in body["errors"]], [("parent", "control_character")], "errors")
    field_errors(Client().get(REGIONS + "?parent=%00"), ("parent", "control_character"))


def test_control_characters_in_query_values_are_422_naming_the_field():
    for enc in ("%01", "%09", "%0A", "%0D", "%1B", "%1F", "%7F", "%C2%80", "%C2%85", "%C2%9F"):
        r = Client().get(REGIONS + "?parent=4100" + enc + "00")
        field_errors(r, ("parent", "control_character"))
        r = Client().get(REGIONS + "?unused=a" + enc + "b")
        field_errors(r, ("unused", "control_character"))


def test_control_character_in_a_query_parameter_name_is_422():
    field_errors(Client().get(REGIONS + "?par%00ent=410000"), ("query", "control_character"))


def test_nul_in_a_search_text_is_422_not_a_shorter_search():
    admin = platform_admin("000000")
    r = admin["client"].get("/volunteers?q=" + urllib.parse.quote("张\x00三"), token=admin["access_token"])
    field_errors(r, ("q", "control_character"))


def test_plain_text_and_spaces_in_query_values_are_still_fine():
    json_ok(Client().get(REGIONS + "?parent=410000&note=a+b%20c%E4%B8%AD"), 200, "spaces and UTF-8")
