/* Dates and times as the API carries them: "YYYY-MM-DD" dates and RFC 3339
 * date-times with an offset; "today" is today in China (UTC+8). */
#ifndef STVS_DATETIME_H
#define STVS_DATETIME_H
#include <stdbool.h>
#include <time.h>

typedef struct {
    int year, month, day;
} ymd;

ymd today_in_china(void);
bool ymd_is_real(int year, int month, int day);
int ymd_cmp(ymd a, ymd b);
/* "YYYY-MM-DD" → ymd; false unless the shape is right and the date real. */
bool parse_date(const char *s, ymd *out);
/* A field check for dates that must be real and not after today in China:
 * NULL, "invalid_format" or "invalid_date". */
const char *check_past_date(const char *v, const char **message);
/* RFC 3339 date-time with "Z" or ±hh:mm (fractional seconds allowed) →
 * seconds since the epoch, fraction included (the database keeps it, so the
 * rules between times must too); false when malformed or not a real time. */
bool parse_rfc3339(const char *s, double *out);
/* A field check for RFC 3339 date-times: NULL or "invalid_format". */
const char *check_datetime(const char *v, const char **message);

#endif
