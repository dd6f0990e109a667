/* One scanner per scalar type of the request's edge: every path segment,
 * query parameter, header and token claim that holds one of these types is
 * read by the function here, so that the same text gets the same answer
 * wherever it arrives. */
#ifndef STVS_SCAN_H
#define STVS_SCAN_H
#include <stdbool.h>
#include <stddef.h>

/* An id: a positive integer of 1 to 18 decimal digits with no sign, space
 * or leading zero (1 to 999999999999999999, so it always fits an int64 and a
 * bigint column, and every id the API takes is written the same way in a
 * path, a query, a body or a token). The n bytes at s; false leaves *out. */
#define SCAN_ID_DIGITS 18
#define ID_MAX 999999999999999999LL
bool scan_id(const char *s, size_t n, long long *out);
/* The same for a C string. */
bool scan_id_str(const char *s, long long *out);
/* A count: a non-negative int64 in decimal digits only (leading zeros
 * allowed, as in an HTTP Content-Length). */
bool scan_count(const char *s, long long *out);

#endif
