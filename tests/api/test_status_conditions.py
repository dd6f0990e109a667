"""The list filters a status with activity.has_status() (migration 019): for one status, plain
conditions on the columns, where the answers print activity.status_at(). The two must agree on
every activity at every moment: here over every ordering of the four times around the clock (each
time an hour or two before, at, or after it, equal times included, constraints or not), cancelled
or not, for each status, and for a value that is no status."""

from harness import eq, psql

STATUSES = ["cancelled", "ended", "ongoing", "recruiting", "signup_closed", "upcoming"]
GRID = ("SELECT s, c, st, en, ss, se FROM unnest(ARRAY['%s', 'nonesuch']) s,"
        " (VALUES (NULL::timestamptz), (timestamptz '2026-05-30 08:00:00+08')) cv(c),"
        " LATERAL (SELECT timestamptz '2026-05-30 09:00:00+08' + h * interval '1 hour' AS st"
        "          FROM generate_series(-2, 2) h) a,"
        " LATERAL (SELECT timestamptz '2026-05-30 09:00:00+08' + h * interval '1 hour' AS en"
        "          FROM generate_series(-2, 2) h) b,"
        " LATERAL (SELECT timestamptz '2026-05-30 09:00:00+08' + h * interval '1 hour' AS ss"
        "          FROM generate_series(-2, 2) h) d,"
        " LATERAL (SELECT timestamptz '2026-05-30 09:00:00+08' + h * interval '1 hour' AS se"
        "          FROM generate_series(-2, 2) h) e" % "', '".join(STATUSES))
AT = "timestamptz '2026-05-30 09:00:00+08'"


def test_has_status_agrees_with_status_at_for_every_ordering_of_the_times():
    got = psql("SELECT count(*), count(*) FILTER (WHERE activity.has_status(s, c, st, en, ss, se, %s)"
               " IS DISTINCT FROM (activity.status_at(c, st, en, ss, se, %s) = s)),"
               " count(*) FILTER (WHERE activity.has_status(s, c, st, en, ss, se, %s)) FROM (%s) g"
               % (AT, AT, AT, GRID)).splitlines()[-1]
    total, disagree, matched = (int(x) for x in got.split("|"))
    eq(total, 7 * 2 * 5 ** 4, "cases compared")
    eq(disagree, 0, "cases where has_status and status_at disagree")
    # each activity has exactly one status: the six arms together hold once per activity
    eq(matched, 2 * 5 ** 4, "cases some status holds (once per activity)")


def test_each_status_holds_for_some_ordering():
    got = psql("SELECT string_agg(s, ',' ORDER BY s) FROM (SELECT DISTINCT s FROM (%s) g"
               " WHERE activity.has_status(s, c, st, en, ss, se, %s)) x" % (GRID, AT)).splitlines()[-1]
    eq(got.split(","), sorted(STATUSES), "statuses that some ordering has")


# An activity's listed window (migration 021): the list reads a row as in its listed status while
# [listed_since, listed_until) holds now(). Over the same orderings, at the reference instant:
# the window holds it, status_at is the listed status at the window's first instant, just before
# its end and at every one of the four times inside it (the only instants where a status can
# change), and another status just before a finite start and at a finite end (the window is the
# whole stretch, so a row is listed again only when its status really moves).
WINDOWS = ("SELECT c, st, en, ss, se, activity.status_at(c, st, en, ss, se, %s) AS s,"
           " activity.status_since(c, st, en, ss, se, %s) AS since,"
           " activity.status_until(c, st, en, ss, se, %s) AS until"
           " FROM (SELECT DISTINCT c, st, en, ss, se FROM (%s) g0) g" % (AT, AT, AT, GRID))


def test_the_listed_window_is_exactly_the_stretch_of_the_status_for_every_ordering():
    us = "interval '1 microsecond'"
    got = psql(
        "SELECT count(*),"
        " count(*) FILTER (WHERE NOT (since <= %(at)s AND %(at)s < until)),"
        " count(*) FILTER (WHERE since > '-infinity' AND activity.status_at(c, st, en, ss, se, since) <> s),"
        " count(*) FILTER (WHERE until < 'infinity' AND activity.status_at(c, st, en, ss, se, until - %(us)s) <> s),"
        " count(*) FILTER (WHERE EXISTS (SELECT 1 FROM unnest(ARRAY[st, en, ss, se]) x"
        "                  WHERE x > since AND x < until AND activity.status_at(c, st, en, ss, se, x) <> s)),"
        " count(*) FILTER (WHERE since > '-infinity' AND activity.status_at(c, st, en, ss, se, since - %(us)s) = s),"
        " count(*) FILTER (WHERE until < 'infinity' AND activity.status_at(c, st, en, ss, se, until) = s)"
        " FROM (%(w)s) w" % {"at": AT, "us": us, "w": WINDOWS}).splitlines()[-1]
    total, outside, first, last, inside, before, after = (int(x) for x in got.split("|"))
    eq(total, 2 * 5 ** 4, "activities compared")
    eq(outside, 0, "windows that do not hold the instant they were taken at")
    eq(first, 0, "windows whose first instant is in another status")
    eq(last, 0, "windows whose last microsecond is in another status")
    eq(inside, 0, "windows with another status at one of the times inside them")
    eq(before, 0, "windows that could start earlier")
    eq(after, 0, "windows that could end later")
