/* Service hours (services/activity/hours.c): kept to 2 decimals, at least
 * 0.01, at most MAX_HOURS and never more than the activity lasted. These are
 * the rows behind the API's 422 out_of_range for hours that cannot be
 * stored as sent. */
#include "check.h"
#include <stdbool.h>
#include <stdio.h>

#include "activity.h"

#define H 3600000000LL /* an hour in microseconds */

static void test_hours_fit(void)
{
    static const struct {
        const char *name;
        double hours, max;
        bool fit;
    } rows[] = {
        {"one hour in a four-hour activity fits", 1, 4, true},
        {"the whole duration fits", 4, 4, true},
        {"0.01 is the least that fits", 0.01, 4, true},
        {"0.005 rounds to 0.01 and fits", 0.005, 4, true},
        {"0.001 rounds to 0.00 and does not fit", 0.001, 4, false},
        {"0.004 rounds to 0.00 and does not fit", 0.004, 4, false},
        {"zero does not fit", 0, 4, false},
        {"a negative number does not fit", -1, 4, false},
        {"a minute over the duration does not fit", 4 + 1.0 / 60, 4, false},
        {"0.9996 rounds to 1.00, over a 3599 s activity", 0.9996, 3599.0 / 3600, false},
        {"0.9996 rounds to 1.00 and fits a one-hour activity", 0.9996, 1, true},
        {"a duration's own rounding stays within it (0.3333 of 1/3 h)", 0.3333, 1.0 / 3, true},
        {"MAX_HOURS fits a longer activity", MAX_HOURS, 20000, true},
        {"over MAX_HOURS (10000) does not fit however long the activity", 10000.01, 20000, false},
        {"100000 does not fit a 15-year activity", 100000, 15 * 365 * 24, false},
    };
    for (size_t i = 0; i < NELEM(rows); i++) {
        bool got = hours_fit(rows[i].hours, rows[i].max);
        CHECK(rows[i].name, got == rows[i].fit);
        if (got != rows[i].fit)
            fprintf(stderr, "  hours_fit(%g, %g) = %d\n", rows[i].hours, rows[i].max, got);
    }
}

static void test_hours_stored(void)
{
    static const struct {
        const char *name;
        double in, kept;
    } rows[] = {
        {"two decimals are kept", 1.25, 1.25},
        {"a third decimal rounds down below 5", 1.234, 1.23},
        {"a third decimal rounds up from 5", 1.235, 1.24},
        {"whole hours stay whole", 8, 8},
        {"0.004 is kept as 0", 0.004, 0},
    };
    for (size_t i = 0; i < NELEM(rows); i++) {
        double got = hours_stored(rows[i].in);
        CHECK(rows[i].name, got > rows[i].kept - 1e-9 && got < rows[i].kept + 1e-9);
    }
}

static void test_duration_hours(void)
{
    CHECK("four hours of microseconds are 4.0 h", duration_hours(10 * H, 14 * H) == 4.0);
    CHECK("3599 s are just under an hour", duration_hours(0, 3599000000LL) < 1.0);
    CHECK("a microsecond counts", duration_hours(0, H + 1) > 1.0);
    CHECK("an end before the start is negative", duration_hours(H, 0) < 0);
}

int main(void)
{
    test_hours_fit();
    test_hours_stored();
    test_duration_hours();
    return CHECK_DONE();
}
