#include "idcard.h"

#include <string.h>

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
    if (birth.year < 1900 || !ymd_is_real(birth.year, birth.month, birth.day) || ymd_cmp(birth, today) > 0) {
        *message = "birth date is not a real date in the past";
        return "invalid_date";
    }
    /* Of age on the birthday itself; a 29 February birthday comes of age on 1 March. */
    ymd of_age = {birth.year + min_age, birth.month, birth.day};
    if (!ymd_is_real(of_age.year, of_age.month, of_age.day))
        of_age = (ymd){of_age.year, 3, 1};
    if (ymd_cmp(today, of_age) < 0) {
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
