"""Optimistic concurrency of the volunteer targets (issue 12/13 follow-up; API.md "Targets", docs/stats.md):
GET and PUT /stats/targets/{code} answer a strong ETag, "0" for the notices' default; a PUT whose If-Match
no longer matches is 412 precondition_failed and writes nothing; "*" and lists as for orgs; without
If-Match nothing changes. 平罗县 640221 and 利通区 640302: no other test sets their targets."""

import re

from harness import eq, ok, json_ok, problem, psql, parallel
from harness import padmin_actor as _padmin, get_as as _get, put_as as _put, call_as as _call  # noqa: E402

T = "/stats/targets/"


def _put_if(actor, code, n, if_match):
    return _call(actor, "PUT", T + code, {"volunteers": n}, headers={"If-Match": if_match})


def _unset(code):
    psql("DELETE FROM stats.targets WHERE region_code = '%s'" % code)  # from an earlier run


def test_target_etag_is_strong_and_changes_with_every_put():
    code, admin = "640221", _padmin("640200")
    _unset(code)
    r = _get(admin, T + code)
    eq(json_ok(r, 200)["default"], True, "unset")
    eq(r.header("ETag"), '"0"', "the default state's ETag")
    p = _put(admin, T + code, {"volunteers": 1200})
    json_ok(p, 200, "set without If-Match, as before")
    etag = p.header("ETag")
    ok(etag and re.fullmatch(r'"[1-9][0-9]*"', etag), "PUT answers a strong ETag: %s" % p)
    eq(_get(admin, T + code).header("ETag"), etag, "GET agrees with PUT's ETag")
    eq(_get(_padmin("640000"), T + code).header("ETag"), etag, "the same for another admin")
    again = _put(admin, T + code, {"volunteers": 1200})
    ok(again.header("ETag") not in (None, etag), "every write changes it, even of the same number: %s" % again)


def test_put_with_a_stale_if_match_is_412_and_changes_nothing():
    code, admin, other = "640221", _padmin("640200"), _padmin("640000")
    json_ok(_put(admin, T + code, {"volunteers": 1300}), 200)
    etag = _get(admin, T + code).header("ETag")
    json_ok(_put(other, T + code, {"volunteers": 1400}), 200, "someone else's edit")
    problem(_put_if(admin, code, 1500, etag), 412, "precondition_failed", "stale If-Match")
    for header in ('"0"', "W/" + etag, "garbage", '"999999999999"'):
        problem(_put_if(admin, code, 1500, header), 412, "precondition_failed", "If-Match %s" % header)
    eq(json_ok(_get(admin, T + code), 200)["volunteers"], 1400, "nothing written")

    current = _get(admin, T + code).header("ETag")
    for n, form in ((1600, "%s"), (1700, '"nope", %s'), (1800, "*")):
        header = form % current if "%s" in form else form
        r = _put_if(admin, code, n, header)
        eq(json_ok(r, 200, "If-Match %s" % header)["volunteers"], n, "written")
        current = r.header("ETag")
        eq(_get(admin, T + code).header("ETag"), current, "the new ETag")


def test_if_match_on_an_unset_target_matches_its_default_etag():
    code, admin, other = "640302", _padmin("640000"), _padmin("640000")
    _unset(code)
    eq(_get(admin, T + code).header("ETag"), '"0"', "unset")
    first = _put_if(admin, code, 900, '"0"')
    eq(json_ok(first, 200, "If-Match the default")["volunteers"], 900, "written")
    problem(_put_if(other, code, 800, '"0"'), 412, "precondition_failed",
            "a second editor of the default learns of the first")
    eq(json_ok(_get(admin, T + code), 200)["volunteers"], 900, "the first edit stays")
    _unset(code)
    eq(json_ok(_put_if(admin, code, 700, "*"), 200, "* on an unset target")["default"], False, "set by *")


def test_concurrent_puts_with_one_if_match_give_one_200_and_412s():
    code = "640302"
    admins = [_padmin("640000") for _ in range(4)]
    etag = json_ok(_put(admins[0], T + code, {"volunteers": 2000}), 200) and _get(admins[0], T + code).header("ETag")
    res = parallel(lambda i, a: _put_if(a, code, 2100 + i, etag), list(enumerate(admins)))
    for r in res:
        ok(not isinstance(r, BaseException), "request failed: %r" % (r,))
    eq(sorted(r.status for r in res), [200, 412, 412, 412], "statuses")
    winner = [json_ok(r, 200)["volunteers"] for r in res if r.status == 200][0]
    eq(json_ok(_get(admins[0], T + code), 200)["volunteers"], winner, "the one write that matched")


def test_the_write_itself_refuses_a_version_that_is_no_longer_current():
    # The service matches If-Match first; the write compares again on the locked row (no race in between).
    code, admin = "640302", _padmin("640000")
    stale = int(_put(admin, T + code, {"volunteers": 2500}).header("ETag").strip('"')) + 1000
    try:
        psql("SET ROLE stvs_stats; SELECT * FROM stats.set_target(%d, '%s', 1, %d)" % (admin["user_id"], code, stale))
    except AssertionError as e:
        ok("targets_if_match" in str(e) or "has changed" in str(e), "refused: %s" % e)
    else:
        ok(False, "stats.set_target wrote at a stale version")
    eq(json_ok(_get(admin, T + code), 200)["volunteers"], 2500, "nothing written")
