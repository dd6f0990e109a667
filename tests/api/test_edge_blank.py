"""Text fields of only invisible or blank characters (API.md v1.1: U+200B-U+200D, U+2060,
U+FEFF, U+00A0, U+3000, ASCII blanks) are 422 `blank`: one rule in the common field table
check, so every service has it (proved here through volunteers and orgs)."""

from harness import (Client, eq, json_ok, problem, login, volunteer_body, register_volunteer, org_body)
from harness import error_pairs as _errors

BLANKS = ["\u200b", "\u200b\u200b", "\u200c\u200d", "\u2060\u2060", "\ufeff\ufeff", "\u00a0\u00a0", "\u3000",
          "\u3000\u3000", "  ", " \u200b\ufeff\u00a0\u3000 ", "\u2003\u2009"]


def _register(body):
    c = Client()
    return c.post("/volunteers", body, token=login(c)["access_token"])


def test_volunteer_real_name_of_only_invisible_or_blank_characters_is_422_blank():
    for bad in BLANKS:
        eq(_errors(_register(volunteer_body(real_name=bad))), [("real_name", "blank")], "real_name %r" % bad)


def test_volunteer_employer_of_only_invisible_or_blank_characters_is_422_blank():
    for bad in BLANKS:
        eq(_errors(_register(volunteer_body(employer=bad))), [("employer", "blank")], "employer %r" % bad)


def test_volunteer_optional_text_of_only_blank_characters_is_422_blank():
    eq(_errors(_register(volunteer_body(skills="\n\u3000\n"))), [("skills", "blank")], "skills")


def test_patch_me_real_name_of_only_invisible_characters_is_422_blank_and_changes_nothing():
    v = register_volunteer()
    r = v["client"].patch("/volunteers/me", {"real_name": "\ufeff\u200b"}, token=v["token"])
    eq(_errors(r), [("real_name", "blank")], "PATCH real_name")
    me = json_ok(v["client"].get("/volunteers/me", token=v["token"]), 200)
    eq(me["real_name"], v["body"]["real_name"], "real_name unchanged")


def test_names_with_blank_characters_among_visible_ones_are_accepted():
    body = volunteer_body(real_name="张\u00a0三", employer="科协\u3000办公室")
    v = json_ok(_register(body), 201, "visible text with NBSP and U+3000 inside")
    eq((v["real_name"], v["employer"]), ("张\u00a0三", "科协\u3000办公室"), "stored as sent")


def test_org_name_of_only_invisible_or_blank_characters_is_422_blank():
    admin = register_volunteer()
    for bad in ("\u200b\u200b\u200b", "\u3000\u3000", "\u00a0\u00a0\u00a0", "\ufeff\u2060\u200d", "    "):
        r = admin["client"].post("/orgs", org_body(name=bad), token=admin["token"])
        eq(_errors(r), [("name", "blank")], "org name %r" % bad)


def test_org_leader_name_of_only_invisible_characters_is_422_blank():
    admin = register_volunteer()
    body = org_body()
    body["leader"]["name"] = "\u200b\u200b"
    eq(_errors(admin["client"].post("/orgs", body, token=admin["token"])), [("leader.name", "blank")], "leader.name")
