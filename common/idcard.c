#include "idcard.h"

#include <string.h>
#include <time.h>

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

static int cmp_ymd(ymd a, ymd b)
{
    if (a.year != b.year)
        return a.year < b.year ? -1 : 1;
    if (a.month != b.month)
        return a.month < b.month ? -1 : 1;
    return a.day < b.day ? -1 : a.day > b.day;
}

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

const char *idcard_parse(const char *in, ymd today, int min_age, idcard *out, const char **message)
{
    static const int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    static const char check_chars[] = "10X98765432";
    if (strlen(in) != 18) {
        *message = "must be 18 characters";
        return "invalid_format";
    }
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        if (in[i] < '0' || in[i] > '9') {
            *message = "must be 17 digits followed by a digit or X";
            return "invalid_format";
        }
        sum += (in[i] - '0') * weights[i];
    }
    char last = in[17] == 'x' ? 'X' : in[17];
    if (!((last >= '0' && last <= '9') || last == 'X')) {
        *message = "must be 17 digits followed by a digit or X";
        return "invalid_format";
    }
    if (check_chars[sum % 11] != last) {
        *message = "check character does not match (GB 11643)";
        return "checksum";
    }
    ymd birth = {digits(in + 6, 4), digits(in + 10, 2), digits(in + 12, 2)};
    if (birth.year < 1900 || !ymd_is_real(birth.year, birth.month, birth.day) || cmp_ymd(birth, today) > 0) {
        *message = "birth date is not a real date in the past";
        return "invalid_date";
    }
    /* Of age on the birthday itself; a 29 February birthday comes of age on 1 March. */
    ymd of_age = {birth.year + min_age, birth.month, birth.day};
    if (!ymd_is_real(of_age.year, of_age.month, of_age.day))
        of_age = (ymd){of_age.year, 3, 1};
    if (cmp_ymd(today, of_age) < 0) {
        *message = "the volunteer must be at least 18 years old";
        return "too_young";
    }
    memcpy(out->number, in, 17);
    out->number[17] = last;
    out->number[18] = '\0';
    out->year = birth.year;
    out->month = birth.month;
    out->day = birth.day;
    out->male = (in[16] - '0') % 2 == 1;
    return NULL;
}

const char *check_past_date(const char *v, const char **message)
{
    bool shape = strlen(v) == 10 && v[4] == '-' && v[7] == '-';
    for (int i = 0; shape && i < 10; i++)
        shape = i == 4 || i == 7 || (v[i] >= '0' && v[i] <= '9');
    if (!shape) {
        *message = "must be a date YYYY-MM-DD";
        return "invalid_format";
    }
    ymd d = {digits(v, 4), digits(v + 5, 2), digits(v + 8, 2)};
    if (d.year < 1900 || !ymd_is_real(d.year, d.month, d.day) || cmp_ymd(d, today_in_china()) > 0) {
        *message = "must be a real date, not in the future";
        return "invalid_date";
    }
    return NULL;
}
