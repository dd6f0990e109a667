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
/* Seconds on CLOCK_MONOTONIC: for deadlines and lifetimes, never dates. */
long long monotonic_seconds(void);
/* The CLOCK_MONOTONIC time ms milliseconds from now: the deadline of a
 * timed wait (sem_clockwait, pthread_mutex_clocklock). */
struct timespec monotonic_after_ms(long ms);
bool ymd_is_real(int year, int month, int day);
int ymd_cmp(ymd a, ymd b);
/* "YYYY-MM-DD" → ymd; false unless the shape is right and the date real. */
bool parse_date(const char *s, ymd *out);
/* A field check for dates that must be real and not after today in China:
 * NULL, "invalid_format" or "invalid_date". */
const char *check_past_date(const char *v, const char **message);
/* Times a request may carry (API.md v1.1): as an instant in
 * [2000-01-01T00:00:00Z, 2100-01-01T00:00:00Z), an offset within ±14:00,
 * at most 6 digits of fractions of a second. Instants are microseconds since
 * the epoch: exact, so the rules between times hold to the microsecond that
 * the database keeps. */
#define DT_MIN_US 946684800000000LL  /* 2000-01-01T00:00:00Z */
#define DT_END_US 4102444800000000LL /* 2100-01-01T00:00:00Z, excluded */
#define DT_MAX_OFFSET (14 * 3600)    /* seconds */
#define DT_MAX_FRACTION_DIGITS 6
/* "YYYY-MM-DDThh:mm:ss.ffffffZ" and its NUL */
#define DT_UTC_LEN 28

typedef enum {
    DT_OK,
    DT_MALFORMED,    /* not an RFC 3339 date-time with an offset, or not a real time */
    DT_OUT_OF_RANGE, /* well-formed, but outside the range, the offset or the precision above */
} dt_status;

/* RFC 3339 date-time with "Z" or ±hh:mm → microseconds since the epoch. */
dt_status parse_rfc3339_us(const char *s, long long *us);
/* The same as seconds (fraction included); true only for DT_OK. */
bool parse_rfc3339(const char *s, double *out);
/* An instant as "YYYY-MM-DDThh:mm:ss.ffffffZ": what the database is given,
 * so it reads exactly the instant that was checked. */
void format_utc_us(long long us, char out[DT_UTC_LEN]);
/* A field check for RFC 3339 date-times: NULL, "invalid_format" or
 * "out_of_range". */
const char *check_datetime(const char *v, const char **message);

/* A timestamptz as PostgreSQL prints it under DateStyle ISO (the services'
 * login roles' setting, migration 019): "2026-05-30 09:00:00.25+08", offsets
 * "+05:45" or, before 1901, "+08:05:43". Written out as the API's RFC 3339
 * ("2026-05-30T09:00:00.25+08:00"), the text to_json prints for the same
 * value in the same zone; whole_seconds drops the fraction, as
 * date_trunc('second') would. The services format the activity view's times
 * here instead of in its SQL (six calls a row were a third of a list page's
 * execution, bench/ANALYSIS.md). False, out untouched, for any other shape. */
#define DT_RFC3339_MAX 36 /* "YYYY-MM-DDThh:mm:ss.ffffff+hh:mm:ss" and its NUL */
bool rfc3339_from_pg(const char *pg, bool whole_seconds, char out[DT_RFC3339_MAX]);

#endif
