"""The API's times come from two SQL functions (migration 018): ref.rfc3339 (whole seconds) and
activity.rfc3339_exact (to the microsecond). They print through PostgreSQL's JSON encoding of a
timestamptz; the forms they replaced were to_char() patterns. These tests hold the new functions to
the old patterns, instant for instant, over the years the API accepts and in time zones with
half-hour, 45-minute and daylight-saving offsets, and pin a few answers outright."""

import re

from harness import eq, psql

# The forms of migrations 002 and 010: the reference the functions must keep printing.
OLD_WHOLE = "to_char(t, 'YYYY-MM-DD\"T\"HH24:MI:SSTZH:TZM')"
OLD_EXACT = ("to_char(t, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN date_trunc('second', t) = t THEN ''"
             " ELSE '.' || rtrim(to_char(t, 'US'), '0') END || to_char(t, 'TZH:TZM')")
ZONES = ["Asia/Shanghai", "UTC", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns", "America/New_York",
         "Australia/Lord_Howe", "Pacific/Kiritimati", "Pacific/Pago_Pago"]
# instants across [2000, 2100): every 7919th minute (about 6,600), each with a fraction that
# varies in its number of digits, and each again on the whole second
INSTANTS = ("SELECT timestamptz '2000-01-01 00:00:00+00' + g * interval '7919 minutes'"
            " + CASE g % 4 WHEN 0 THEN interval '0' WHEN 1 THEN interval '0.5 s'"
            " WHEN 2 THEN (g % 1000000) * interval '1 microsecond' ELSE interval '0.999999 s' END AS t"
            " FROM generate_series(0, 6636) g")


def _mismatches(zone):
    return psql("SET TimeZone = '%s'; SELECT count(*) FILTER (WHERE ref.rfc3339(t) IS DISTINCT FROM %s),"
                " count(*) FILTER (WHERE activity.rfc3339_exact(t) IS DISTINCT FROM %s), count(*)"
                " FROM (%s) i" % (zone, OLD_WHOLE, OLD_EXACT, INSTANTS)).splitlines()[-1]


def test_time_functions_print_what_the_to_char_forms_printed_in_every_zone():
    for zone in ZONES:
        whole, exact, n = _mismatches(zone).split("|")
        eq((whole, exact), ("0", "0"), "instants printed differently in %s (of %s)" % (zone, n))
        eq(int(n) > 6000, True, "instants compared in %s" % zone)


def test_time_functions_pin_fractions_offsets_and_null():
    got = psql("SET TimeZone = 'Asia/Shanghai'; SELECT activity.rfc3339_exact('2026-05-30 09:00:00.25+08'),"
               " activity.rfc3339_exact('2026-05-30 09:00:00+08'), activity.rfc3339_exact('2026-05-30 01:00:00.000001Z'),"
               " ref.rfc3339('2026-05-30 09:00:00.999+08'), ref.rfc3339(NULL) IS NULL,"
               " activity.rfc3339_exact(NULL) IS NULL").splitlines()[-1]
    eq(got.split("|"), ["2026-05-30T09:00:00.25+08:00", "2026-05-30T09:00:00+08:00",
                        "2026-05-30T09:00:00.000001+08:00", "2026-05-30T09:00:00+08:00", "t", "t"], "pinned times")
    got = psql("SET TimeZone = 'Asia/Kathmandu'; SELECT ref.rfc3339('2026-01-01 00:00:00Z')").splitlines()[-1]
    eq(got, "2026-01-01T05:45:00+05:45", "a 45-minute offset")


def _as_rfc3339(iso, whole):
    """The rule common/datetime.c's rfc3339_from_pg applies to PostgreSQL's ISO text (its unit test
    pins the C): 'T' for the space, the fraction dropped for whole seconds, ':00' after an offset of
    whole hours."""
    date_time, sign, zone = re.match(r"^(.{19}(?:\.\d+)?)([+-])(.*)$", iso).groups()
    if whole:
        date_time = date_time[:19]
    return date_time[:10] + "T" + date_time[11:] + sign + (zone + ":00" if len(zone) == 2 else zone)


def test_iso_text_made_rfc3339_is_what_the_sql_functions_print_in_every_zone():
    # the activity view's times are PostgreSQL's ISO text written out in C (migration 019);
    # the answers must not change: the same text as activity.rfc3339_exact and ref.rfc3339
    for zone in ZONES:
        rows = psql("SET DateStyle = 'ISO, MDY'; SET TimeZone = '%s'; SELECT t::text, activity.rfc3339_exact(t),"
                    " ref.rfc3339(t) FROM (%s) i" % (zone, INSTANTS)).splitlines()
        rows = [r.split("|") for r in rows if "|" in r]
        eq(len(rows) > 6000, True, "instants compared in %s" % zone)
        wrong = [r for r in rows if (_as_rfc3339(r[0], False), _as_rfc3339(r[0], True)) != (r[1], r[2])]
        eq(wrong[:3], [], "ISO text written out differently in %s (of %d)" % (zone, len(rows)))


def test_services_roles_read_times_in_datestyle_iso():
    got = psql("SELECT count(*) FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole"
               " WHERE r.rolname LIKE 'stvs\\_%' AND 'DateStyle=ISO, MDY' = ANY (s.setconfig)").splitlines()[-1]
    eq(int(got) >= 6, True, "every service's login role has DateStyle ISO (%s)" % got)
