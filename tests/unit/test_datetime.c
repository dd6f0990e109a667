/* RFC 3339 times as requests carry them (API.md v1.1): the shape, the range
 * [2000-01-01T00:00:00Z, 2100-01-01T00:00:00Z), offsets within ±14:00, at
 * most 6 digits of fractions, exact microseconds, and the UTC form the
 * database is given. Dates: YYYY-MM-DD, real (leap years), from 1900, and for
 * check_past_date not after today in China (UTC+8). */
#include "check.h"
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "datetime.h"

#define OK DT_OK
#define BAD DT_MALFORMED
#define RANGE DT_OUT_OF_RANGE

static void test_parse_table(void)
{
    struct {
        const char *name, *in;
        dt_status want;
        long long us; /* when OK */
    } rows[] = {
        {"Z", "2026-05-30T01:00:00Z", OK, 1780102800000000LL},
        {"+08:00 is the same instant as Z eight hours earlier", "2026-05-30T09:00:00+08:00", OK, 1780102800000000LL},
        {"lower-case t and z", "2026-05-30t01:00:00z", OK, 1780102800000000LL},
        {"an odd offset +05:45", "2026-05-30T06:45:00+05:45", OK, 1780102800000000LL},
        {"a negative offset", "2026-05-29T15:00:00-10:00", OK, 1780102800000000LL},
        {"one digit of fraction", "2026-05-30T01:00:00.5Z", OK, 1780102800500000LL},
        {"six digits of fraction kept exactly", "2026-05-30T01:00:00.123456Z", OK, 1780102800123456LL},
        {"six digits with leading zeros", "2026-05-30T01:00:00.000001Z", OK, 1780102800000001LL},
        {"trailing zeros beyond the digits are the same", "2026-05-30T01:00:00.100000Z", OK, 1780102800100000LL},
        {"seven digits of fraction are too many", "2026-05-30T01:00:00.1234567Z", RANGE, 0},
        {"seven zeros are still too many", "2026-05-30T01:00:00.0000000Z", RANGE, 0},
        {"the lower bound is included", "2000-01-01T00:00:00Z", OK, 946684800000000LL},
        {"the lower bound in China time", "2000-01-01T08:00:00+08:00", OK, 946684800000000LL},
        {"a microsecond before the lower bound", "1999-12-31T23:59:59.999999Z", RANGE, 0},
        {"2000-01-01 in China is still 1999 in UTC", "2000-01-01T07:59:59+08:00", RANGE, 0},
        {"the last microsecond before 2100", "2099-12-31T23:59:59.999999Z", OK, 4102444799999999LL},
        {"the upper bound is excluded", "2100-01-01T00:00:00Z", RANGE, 0},
        {"2099 in a west offset is 2100 in UTC", "2099-12-31T20:00:00-04:00", RANGE, 0},
        {"2100 in an east offset is 2099 in UTC", "2100-01-01T07:00:00+08:00", OK, 4102441200000000LL},
        {"1900 (the LMT era) is out of range", "1900-01-01T00:00:00+08:00", RANGE, 0},
        {"1899 is out of range, not malformed", "1899-12-31T00:00:00Z", RANGE, 0},
        {"year 0000 is out of range", "0000-01-01T00:00:00Z", RANGE, 0},
        {"year 9999 is out of range", "9999-12-31T23:59:59Z", RANGE, 0},
        {"offset +14:00 is the limit", "2026-05-30T15:00:00+14:00", OK, 1780102800000000LL},
        {"offset -14:00 is the limit", "2026-05-29T11:00:00-14:00", OK, 1780102800000000LL},
        {"offset +14:01 is out of range", "2026-05-30T15:01:00+14:01", RANGE, 0},
        {"offset +16:00 is out of range", "2026-01-01T00:00:00+16:00", RANGE, 0},
        {"offset -15:59 is out of range", "2026-01-01T00:00:00-15:59", RANGE, 0},
        {"offset +24:00 is malformed", "2026-01-01T00:00:00+24:00", BAD, 0},
        {"offset minutes 60 is malformed", "2026-01-01T00:00:00+08:60", BAD, 0},
        {"no offset is malformed", "2030-05-30T09:00:00", BAD, 0},
        {"a space for T is malformed", "2030-05-30 09:00:00+08:00", BAD, 0},
        {"a date alone is malformed", "2030-05-30", BAD, 0},
        {"30 February is malformed", "2030-02-30T09:00:00+08:00", BAD, 0},
        {"29 February 2028 is a day", "2028-02-29T00:00:00Z", OK, 1835395200000000LL},
        {"29 February 2100 would not be a day", "2100-02-29T00:00:00Z", BAD, 0},
        {"hour 25 is malformed", "2030-05-30T25:00:00+08:00", BAD, 0},
        {"hour 24 is malformed", "2030-05-30T24:00:00+08:00", BAD, 0},
        {"second 60 is malformed", "2030-05-30T09:00:60+08:00", BAD, 0},
        {"an offset without colon is malformed", "2030-05-30T09:00:00+0800", BAD, 0},
        {"a dot without digits is malformed", "2030-05-30T09:00:00.+08:00", BAD, 0},
        {"a comma fraction is malformed", "2030-05-30T09:00:00,5+08:00", BAD, 0},
        {"a trailing character is malformed", "2030-05-30T09:00:00ZZ", BAD, 0},
        {"an offset with seconds is malformed", "2030-05-30T09:00:00+08:00:00", BAD, 0},
        {"an empty string is malformed", "", BAD, 0},
        {"words are malformed", "tomorrow", BAD, 0},
        {"a sign in the year is malformed", "+2030-05-30T09:00:00Z", BAD, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        long long us = -1;
        dt_status got = parse_rfc3339_us(rows[i].in, &us);
        CHECK(rows[i].name, got == rows[i].want);
        if (got != rows[i].want)
            fprintf(stderr, "  %s: got %d, want %d\n", rows[i].in, got, rows[i].want);
        if (rows[i].want == OK) {
            CHECK(rows[i].name, us == rows[i].us);
            if (us != rows[i].us)
                fprintf(stderr, "  %s: got %lld us, want %lld\n", rows[i].in, us, rows[i].us);
        }
    }
}

static void test_two_hundred_digit_fraction_is_out_of_range(void)
{
    char s[300] = "2026-05-30T01:00:00.";
    size_t n = strlen(s);
    for (int i = 0; i < 200; i++)
        s[n++] = (char)('0' + i % 10);
    memcpy(s + n, "+08:00", 7);
    long long us;
    CHECK("200 digits of fraction are out of range (never a 500)", parse_rfc3339_us(s, &us) == RANGE);
    const char *msg = NULL;
    const char *code = check_datetime(s, &msg);
    CHECK("check_datetime names 200 digits out_of_range", code && !strcmp(code, "out_of_range") && msg);
}

static void test_check_datetime_codes(void)
{
    const char *msg = NULL;
    CHECK("a good time passes", check_datetime("2026-05-30T09:00:00+08:00", &msg) == NULL);
    const char *code = check_datetime("2026-01-01T00:00:00+16:00", &msg);
    CHECK("+16:00 is out_of_range", code && !strcmp(code, "out_of_range"));
    code = check_datetime("1900-01-01T00:00:00+08:00", &msg);
    CHECK("1900 is out_of_range", code && !strcmp(code, "out_of_range"));
    code = check_datetime("10000-01-01T00:00:00Z", &msg);
    CHECK("year 10000 (five digits) is invalid_format as before", code && !strcmp(code, "invalid_format"));
    code = check_datetime("2030-05-30T09:00:00", &msg);
    CHECK("no offset stays invalid_format", code && !strcmp(code, "invalid_format"));
}

static void test_seconds_form(void)
{
    double t = 0;
    CHECK("parse_rfc3339 keeps the fraction", parse_rfc3339("2026-05-30T01:00:00.25Z", &t) && t == 1780102800.25);
    CHECK("parse_rfc3339 refuses out of range", !parse_rfc3339("2100-01-01T00:00:00Z", &t));
}

static void test_format_utc_round_trip(void)
{
    const char *in[] = {"2026-05-30T06:45:00.123456+05:45", "2000-01-01T00:00:00Z", "2099-12-31T23:59:59.999999Z",
                        "2028-02-29T12:34:56.5-14:00", "2026-12-31T23:59:59.000001+14:00"};
    const char *want[] = {"2026-05-30T01:00:00.123456Z", "2000-01-01T00:00:00.000000Z",
                          "2099-12-31T23:59:59.999999Z", "2028-03-01T02:34:56.500000Z",
                          "2026-12-31T09:59:59.000001Z"};
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        long long us, back;
        char out[DT_UTC_LEN];
        bool parsed = parse_rfc3339_us(in[i], &us) == DT_OK;
        format_utc_us(parsed ? us : 0, out);
        CHECK("format_utc_us prints the instant in UTC", parsed && !strcmp(out, want[i]));
        if (strcmp(out, want[i]))
            fprintf(stderr, "  %s: got %s, want %s\n", in[i], out, want[i]);
        CHECK("the UTC form parses back to the same instant", parse_rfc3339_us(out, &back) == DT_OK && back == us);
    }
    /* every day of the range prints and parses back (the civil calendar both ways) */
    int bad = 0;
    for (long long us = DT_MIN_US; us < DT_END_US; us += 86400LL * 1000000 + 1) {
        char out[DT_UTC_LEN];
        long long back;
        format_utc_us(us, out);
        if (parse_rfc3339_us(out, &back) != DT_OK || back != us)
            bad++;
    }
    CHECK("every day from 2000 to 2099 round-trips through the UTC form", bad == 0);
}

static void test_dates_table(void)
{
    static const struct {
        const char *name, *in;
        const char *code; /* check_past_date: NULL, "invalid_format" or "invalid_date" */
        int y, m, d;      /* parse_date, when code is NULL */
    } rows[] = {
        {"an ordinary past date", "2020-05-30", NULL, 2020, 5, 30},
        {"29 February of a leap year", "2024-02-29", NULL, 2024, 2, 29},
        {"29 February 2000 (divisible by 400)", "2000-02-29", NULL, 2000, 2, 29},
        {"1900-01-01 is the first date taken", "1900-01-01", NULL, 1900, 1, 1},
        {"31 December", "1999-12-31", NULL, 1999, 12, 31},
        {"29 February of a common year is no date", "2023-02-29", "invalid_date", 0, 0, 0},
        {"29 February 1900 (divisible by 100) is no date", "1900-02-29", "invalid_date", 0, 0, 0},
        {"31 April is no date", "2020-04-31", "invalid_date", 0, 0, 0},
        {"month 13 is no date", "2020-13-01", "invalid_date", 0, 0, 0},
        {"month 00 is no date", "2020-00-10", "invalid_date", 0, 0, 0},
        {"day 00 is no date", "2020-01-00", "invalid_date", 0, 0, 0},
        {"1899 is before the first date", "1899-12-31", "invalid_date", 0, 0, 0},
        {"a far future date is not past", "2999-01-01", "invalid_date", 0, 0, 0},
        {"one-digit month is malformed", "2020-5-30", "invalid_format", 0, 0, 0},
        {"slashes are malformed", "2020/05/30", "invalid_format", 0, 0, 0},
        {"a date-time is not a date", "2020-05-30T00:00:00Z", "invalid_format", 0, 0, 0},
        {"compact digits are malformed", "20200530", "invalid_format", 0, 0, 0},
        {"a sign in the year is malformed", "-020-05-30", "invalid_format", 0, 0, 0},
        {"a trailing blank is malformed", "2020-05-30 ", "invalid_format", 0, 0, 0},
        {"full-width digits are malformed", "\xEF\xBC\x92\xEF\xBC\x90\xEF\xBC\x92\xEF\xBC\x90-05-30", "invalid_format", 0,
         0, 0},
        {"the empty string is malformed", "", "invalid_format", 0, 0, 0},
    };
    for (size_t i = 0; i < NELEM(rows); i++) {
        const char *msg = NULL;
        const char *code = check_past_date(rows[i].in, &msg);
        bool same = rows[i].code ? code && !strcmp(code, rows[i].code) && msg : code == NULL;
        CHECK(rows[i].name, same);
        if (!same)
            fprintf(stderr, "  %s: got %s, want %s\n", rows[i].in, code ? code : "NULL",
                    rows[i].code ? rows[i].code : "NULL");
        ymd d = {0, 0, 0};
        bool parsed = parse_date(rows[i].in, &d);
        if (!rows[i].code)
            CHECK(rows[i].name, parsed && d.year == rows[i].y && d.month == rows[i].m && d.day == rows[i].d);
        else if (!strcmp(rows[i].code, "invalid_format") || strcmp(rows[i].in, "2999-01-01"))
            CHECK(rows[i].name, !parsed);
    }
}

/* The date in China (UTC+8) days after today, as YYYY-MM-DD. */
static void china_date(int days, char out[11])
{
    time_t t = time(NULL) + 8 * 3600 + (time_t)days * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

static void test_today_is_the_last_past_date(void)
{
    char today[11], tomorrow[11], yesterday[11];
    const char *msg;
    china_date(0, today);
    china_date(1, tomorrow);
    china_date(-1, yesterday);
    ymd t = today_in_china(), d;
    CHECK("today_in_china is today's date at UTC+8", parse_date(today, &d) && ymd_cmp(d, t) == 0);
    CHECK("today in China is not in the future", check_past_date(today, &msg) == NULL);
    CHECK("yesterday in China is past", check_past_date(yesterday, &msg) == NULL);
    const char *code = check_past_date(tomorrow, &msg);
    CHECK("tomorrow in China is invalid_date", code && !strcmp(code, "invalid_date"));
}

static void test_ymd_helpers(void)
{
    static const struct {
        const char *name;
        ymd a, b;
        int cmp;
    } rows[] = {
        {"the same day compares equal", {2026, 5, 30}, {2026, 5, 30}, 0},
        {"an earlier year is less whatever the month", {2025, 12, 31}, {2026, 1, 1}, -1},
        {"a later month is greater whatever the day", {2026, 6, 1}, {2026, 5, 31}, 1},
        {"an earlier day is less", {2026, 5, 29}, {2026, 5, 30}, -1},
    };
    for (size_t i = 0; i < NELEM(rows); i++)
        CHECK(rows[i].name, ymd_cmp(rows[i].a, rows[i].b) == rows[i].cmp);
    CHECK("ymd_is_real: 2024-02-29 is a day", ymd_is_real(2024, 2, 29));
    CHECK("ymd_is_real: 2100-02-29 is not", !ymd_is_real(2100, 2, 29));
    CHECK("ymd_is_real: 2026-06-31 is not", !ymd_is_real(2026, 6, 31));
    CHECK("ymd_is_real: year 0 is not", !ymd_is_real(0, 1, 1));
}

/* PostgreSQL's ISO text of a timestamptz → the RFC 3339 that to_json prints
 * (the pairs as PostgreSQL 15 gives them; tests/api/test_time_format.py holds
 * the rule to to_json over every zone and year the API uses). */
static void test_rfc3339_from_pg(void)
{
    static const struct {
        const char *name, *in;
        bool whole;
        const char *want; /* NULL: refused */
    } rows[] = {
        {"a whole-hour offset gains its minutes", "2026-05-30 09:00:00+08", false, "2026-05-30T09:00:00+08:00"},
        {"a fraction is kept as printed", "2026-05-30 09:00:00.25+08", false, "2026-05-30T09:00:00.25+08:00"},
        {"six digits of fraction are kept", "2026-05-30 01:00:00.000001+00", false, "2026-05-30T01:00:00.000001+00:00"},
        {"whole seconds drop the fraction", "2026-05-30 09:00:00.999+08", true, "2026-05-30T09:00:00+08:00"},
        {"whole seconds of a whole second", "2026-05-30 09:00:00+08", true, "2026-05-30T09:00:00+08:00"},
        {"a 45-minute offset as printed", "2026-01-01 05:45:00+05:45", false, "2026-01-01T05:45:00+05:45"},
        {"a negative half-hour offset", "2026-01-01 00:00:00.5-03:30", false, "2026-01-01T00:00:00.5-03:30"},
        {"an offset with seconds (local mean time)", "1900-01-01 00:00:00+08:05:43", false,
         "1900-01-01T00:00:00+08:05:43"},
        {"a negative whole-hour offset", "2026-01-01 00:00:00-10", false, "2026-01-01T00:00:00-10:00"},
        {"another DateStyle (Postgres) is refused", "Sat May 30 09:00:00 2026 CST", false, NULL},
        {"the XSD form itself is refused (not ISO)", "2026-05-30T09:00:00+08:00", false, NULL},
        {"a BC year is refused", "0001-01-01 00:00:00+08 BC", false, NULL},
        {"a five-digit year is refused", "10000-01-01 00:00:00+08", false, NULL},
        {"seven digits of fraction are refused", "2026-05-30 09:00:00.1234567+08", false, NULL},
        {"a dot without digits is refused", "2026-05-30 09:00:00.+08", false, NULL},
        {"no offset is refused", "2026-05-30 09:00:00", false, NULL},
        {"a one-digit offset is refused", "2026-05-30 09:00:00+8", false, NULL},
        {"text after the offset is refused", "2026-05-30 09:00:00+08x", false, NULL},
        {"infinity is refused", "infinity", false, NULL},
    };
    for (size_t i = 0; i < NELEM(rows); i++) {
        char out[DT_RFC3339_MAX] = "untouched";
        bool ok = rfc3339_from_pg(rows[i].in, rows[i].whole, out);
        CHECK(rows[i].name, rows[i].want ? ok && !strcmp(out, rows[i].want) : !ok && !strcmp(out, "untouched"));
    }
    CHECK("NULL is refused", !rfc3339_from_pg(NULL, false, (char[DT_RFC3339_MAX]){0}));
    char longest[DT_RFC3339_MAX];
    CHECK("the longest form fits", rfc3339_from_pg("2026-05-30 09:00:00.123456+08:05:43", false, longest) &&
                                       strlen(longest) == DT_RFC3339_MAX - 1);
}

int main(void)
{
    test_rfc3339_from_pg();
    test_dates_table();
    test_today_is_the_last_past_date();
    test_ymd_helpers();
    test_parse_table();
    test_two_hundred_digit_fraction_is_out_of_range();
    test_check_datetime_codes();
    test_seconds_form();
    test_format_utc_round_trip();
    return CHECK_DONE();
}
