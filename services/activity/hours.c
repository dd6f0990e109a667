/* Service hours: kept to 2 decimals (numeric(7,2)), at least 0.01, at most
 * MAX_HOURS, and never more than the activity lasted. Pure, unit-tested. */
#include <math.h>

#include "activity.h"

double hours_stored(double hours) { return round(hours * 100) / 100; }

double duration_hours(long long starts_us, long long ends_us) { return (double)(ends_us - starts_us) / 3.6e9; }

bool hours_fit(double hours, double max_hours)
{
    double kept = hours_stored(hours);
    return kept >= 0.01 && kept <= MAX_HOURS && kept <= max_hours + 1e-9;
}
