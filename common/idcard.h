/* GB 11643-1999 citizen ID numbers (居民身份证号码): 17 digits and a check
 * character (ISO 7064 MOD 11-2), birth date in positions 7–14, sex in 17. */
#ifndef STVS_IDCARD_H
#define STVS_IDCARD_H
#include <stdbool.h>

typedef struct {
    char number[19];   /* normalized: a lowercase x becomes X */
    int year, month, day;
    bool male;
} idcard;

typedef struct {
    int year, month, day;
} ymd;

/* NULL when valid (fills *out), else a field error code: "invalid_format",
 * "checksum", "invalid_date" (not a real date, or after today) or
 * "too_young" (under min_age on today); *message says which. */
const char *idcard_parse(const char *in, ymd today, int min_age, idcard *out, const char **message);
/* Today in China (UTC+8, no daylight saving). */
ymd today_in_china(void);
bool ymd_is_real(int year, int month, int day);

/* A field check for "YYYY-MM-DD" dates that must be real and not after
 * today in China: NULL, "invalid_format" or "invalid_date". */
const char *check_past_date(const char *v, const char **message);

#endif
