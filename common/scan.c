#include "scan.h"

#include <stdint.h>
#include <string.h>

/* n decimal digits (n >= 1) into *out, false past INT64_MAX. */
static bool digits(const char *s, size_t n, long long *out)
{
    long long v = 0;
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        int d = s[i] - '0';
        if (v > (INT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

bool scan_id(const char *s, size_t n, long long *out)
{
    if (!s || n == 0 || n > SCAN_ID_DIGITS || s[0] == '0')
        return false;
    return digits(s, n, out);
}

bool scan_id_str(const char *s, long long *out) { return s && scan_id(s, strlen(s), out); }

bool scan_count(const char *s, long long *out) { return s && digits(s, strlen(s), out); }
