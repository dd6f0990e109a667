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

bool parse_rfc3339(const char *s, double *out)
{
    ymd d;
    size_t n = strlen(s);
    if (n < 20 || !parse_ymd_prefix(s, &d) || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
        return false;
    int hh = digits(s + 11, 2), mi = digits(s + 14, 2), ss = digits(s + 17, 2);
    if (hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 59)
        return false;
    const char *p = s + 19;
    double fraction = 0, scale = 0.1;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return false;
        for (; *p >= '0' && *p <= '9'; p++, scale /= 10)
            fraction += (*p - '0') * scale;
    }
    long offset;
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
        offset = 0;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int oh = digits(p + 1, 2), om = digits(p + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return false;
        offset = (*p == '-' ? -1 : 1) * (oh * 3600L + om * 60L);
    } else {
        return false;
    }
    *out = (double)(days_from_civil(d.year, d.month, d.day) * 86400 + hh * 3600 + mi * 60 + ss - offset) + fraction;
    return true;
}

const char *check_datetime(const char *v, const char **message)
{
    double t;
    *message = "must be an RFC 3339 date-time with an offset, e.g. 2026-05-30T09:00:00+08:00";
    return parse_rfc3339(v, &t) ? NULL : "invalid_format";
}
