/* GB 11643-1999 citizen ID numbers (居民身份证号码): 17 digits and a check
 * character (ISO 7064 MOD 11-2), birth date in positions 7–14, sex in 17. */
#ifndef STVS_IDCARD_H
#define STVS_IDCARD_H
#include <stdbool.h>

#include "datetime.h"

typedef struct {
    char number[19];   /* normalized: a lowercase x becomes X */
    int year, month, day;
    bool male;
} idcard;

/* NULL when valid (fills *out), else a field error code: "invalid_format",
 * "checksum", "invalid_date" (not a real date, or after today) or
 * "too_young" (under min_age on today); *message says which. */
const char *idcard_parse(const char *in, ymd today, int min_age, idcard *out, const char **message);

#endif
