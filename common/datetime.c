#include "datetime.h"

#include <string.h>

static bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool ymd_is_real(int y, int m, int d)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || m < 1 || m > 12 || d < 1)
        return false;
    return d <= days[m - 1] + (m == 2 && leap(y));
}

ymd today_in_china(void)
{
    time_t now = time(NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r(&now, &tm);
    return (ymd){tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
}

int ymd_cmp(ymd a, ymd b)
{
    if (a.year != b.year)
        return a.year < b.year ? -1 : 1;
    if (a.month != b.month)
        return a.month < b.month ? -1 : 1;
    return a.day < b.day ? -1 : a.day > b.day;
}

/* n digits at s, or -1 when any is not a digit. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static bool parse_ymd_prefix(const char *s, ymd *out)
{
    if (s[4] != '-' || s[7] != '-')
        return false;
    *out = (ymd){digits(s, 4), digits(s + 5, 2), digits(s + 8, 2)};
    return out->year >= 1900 && ymd_is_real(out->year, out->month, out->day);
}

bool parse_date(const char *s, ymd *out) { return strlen(s) == 10 && parse_ymd_prefix(s, out); }

const char *check_past_date(const char *v, const char **message)
{
    ymd d;
    bool shape = strlen(v) == 10 && v[4] == '-' && v[7] == '-' && digits(v, 4) >= 0 && digits(v + 5, 2) >= 0 &&
                 digits(v + 8, 2) >= 0;
    if (!shape) {
        *message = "must be a date YYYY-MM-DD";
        return "invalid_format";
    }
    if (!parse_date(v, &d) || ymd_cmp(d, today_in_china()) > 0) {
        *message = "must be a real date, not in the future";
        return "invalid_date";
    }
    return NULL;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static long long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* A day of a month of any year from 0 on (the range check comes later). */
static bool day_is_real(int y, int m, int d)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return y >= 0 && m >= 1 && m <= 12 && d >= 1 && d <= days[m - 1] + (m == 2 && leap(y));
}

dt_status parse_rfc3339_us(const char *s, long long *us)
{
    /* The shape first: YYYY-MM-DDThh:mm:ss, then .f+, then Z or ±hh:mm. */
    if (strnlen(s, 20) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
        s[16] != ':')
        return DT_MALFORMED;
    int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
    int hh = digits(s + 11, 2), mi = digits(s + 14, 2), ss = digits(s + 17, 2);
    if (!day_is_real(y, mo, d) || hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 59)
        return DT_MALFORMED;
    const char *p = s + 19;
    long long fraction = 0;
    size_t nfraction = 0;
    if (*p == '.') {
        p++;
        for (; *p >= '0' && *p <= '9'; p++, nfraction++)
            if (nfraction < DT_MAX_FRACTION_DIGITS)
                fraction = fraction * 10 + (*p - '0');
        if (nfraction == 0)
            return DT_MALFORMED;
        for (size_t i = nfraction; i < DT_MAX_FRACTION_DIGITS; i++)
            fraction *= 10;
    }
    long offset;
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
        offset = 0;
    } else if ((*p == '+' || *p == '-') && strnlen(p, 7) == 6 && p[3] == ':') {
        int oh = digits(p + 1, 2), om = digits(p + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return DT_MALFORMED;
        offset = (*p == '-' ? -1 : 1) * (oh * 3600L + om * 60L);
    } else {
        return DT_MALFORMED;
    }
    if (nfraction > DT_MAX_FRACTION_DIGITS || offset > DT_MAX_OFFSET || offset < -DT_MAX_OFFSET)
        return DT_OUT_OF_RANGE;
    long long seconds = days_from_civil(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss - offset;
    long long t = seconds * 1000000 + fraction; /* years 0..9999: far from overflowing */
    if (t < DT_MIN_US || t >= DT_END_US)
        return DT_OUT_OF_RANGE;
    *us = t;
    return DT_OK;
}

bool parse_rfc3339(const char *s, double *out)
{
    long long us;
    if (parse_rfc3339_us(s, &us) != DT_OK)
        return false;
    *out = (double)(us / 1000000) + (double)(us % 1000000) / 1e6;
    return true;
}

/* The proleptic Gregorian date of a day count since 1970-01-01. */
static ymd civil_from_days(long long z)
{
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1), m = (int)(mp < 10 ? mp + 3 : mp - 9);
    return (ymd){(int)(yoe + era * 400 + (m <= 2)), m, d};
}

/* n decimal digits of v at out (v ≥ 0; higher digits dropped). */
static void put_digits(char *out, long long v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        out[i] = (char)('0' + v % 10);
}

void format_utc_us(long long us, char out[DT_UTC_LEN])
{
    if (us < 0) /* before 1970: never within the range the parser accepts */
        us = 0;
    long long seconds = us / 1000000, in_day = seconds % 86400;
    ymd d = civil_from_days(seconds / 86400);
    memcpy(out, "0000-00-00T00:00:00.000000Z", DT_UTC_LEN);
    put_digits(out, d.year, 4);
    put_digits(out + 5, d.month, 2);
    put_digits(out + 8, d.day, 2);
    put_digits(out + 11, in_day / 3600, 2);
    put_digits(out + 14, in_day / 60 % 60, 2);
    put_digits(out + 17, in_day % 60, 2);
    put_digits(out + 20, us % 1000000, 6);
}

bool rfc3339_from_pg(const char *pg, bool whole_seconds, char out[DT_RFC3339_MAX])
{
    /* "YYYY-MM-DD hh:mm:ss": year 10000 or BC (" BC") have other shapes */
    if (!pg || strlen(pg) < 22 || digits(pg, 4) < 0 || pg[4] != '-' || digits(pg + 5, 2) < 0 || pg[7] != '-' ||
        digits(pg + 8, 2) < 0 || pg[10] != ' ' || digits(pg + 11, 2) < 0 || pg[13] != ':' ||
        digits(pg + 14, 2) < 0 || pg[16] != ':' || digits(pg + 17, 2) < 0)
        return false;
    const char *p = pg + 19;
    size_t fraction = 0;
    if (*p == '.') {
        while (fraction < 6 && p[1 + fraction] >= '0' && p[1 + fraction] <= '9')
            fraction++;
        if (!fraction)
            return false;
        p += 1 + fraction;
    }
    /* the offset: ±hh, ±hh:mm or ±hh:mm:ss, and nothing after it */
    size_t zone = strlen(p);
    if ((*p != '+' && *p != '-') || digits(p + 1, 2) < 0 ||
        !(zone == 3 || (zone == 6 && p[3] == ':' && digits(p + 4, 2) >= 0) ||
          (zone == 9 && p[3] == ':' && digits(p + 4, 2) >= 0 && p[6] == ':' && digits(p + 7, 2) >= 0)))
        return false;
    size_t n = 19, keep = whole_seconds || !fraction ? 0 : 1 + fraction;
    memcpy(out, pg, n);
    out[10] = 'T';
    memcpy(out + n, pg + 19, keep);
    n += keep;
    memcpy(out + n, p, zone);
    n += zone;
    if (zone == 3) { /* XSD dates, as JSON prints them, always say the minutes */
        memcpy(out + n, ":00", 3);
        n += 3;
    }
    out[n] = '\0';
    return true;
}

const char *check_datetime(const char *v, const char **message)
{
    long long us;
    switch (parse_rfc3339_us(v, &us)) {
    case DT_OK:
        return NULL;
    case DT_OUT_OF_RANGE:
        *message = "must be from 2000-01-01T00:00:00Z to before 2100-01-01T00:00:00Z, with an offset within "
                   "±14:00 and at most 6 digits of fractions of a second";
        return "out_of_range";
    case DT_MALFORMED:
    default:
        *message = "must be an RFC 3339 date-time with an offset, e.g. 2026-05-30T09:00:00+08:00";
        return "invalid_format";
    }
}

long long monotonic_seconds(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts))
        return 0;
    return (long long)ts.tv_sec;
}

struct timespec monotonic_after_ms(long ms)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L)
        t.tv_sec++, t.tv_nsec -= 1000000000L;
    return t;
}
