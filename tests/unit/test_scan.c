/* Unit tests for common/scan.c: the one scanner per scalar type that paths,
 * query parameters, headers and token claims share. */
#include "check.h"
#include "scan.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *in;
    bool ok;
    long long want;
} scan_case;

static const scan_case ids[] = {
    {"1", true, 1},
    {"7", true, 7},
    {"42", true, 42},
    {"999999999999999999", true, 999999999999999999LL}, /* 18 digits: the largest id */
    {"100000000000000000", true, 100000000000000000LL},
    {"1000000000000000000", false, 0}, /* 19 digits */
    {"9223372036854775807", false, 0}, /* INT64_MAX: 19 digits */
    {"99999999999999999999", false, 0},
    {"0", false, 0},
    {"00", false, 0},
    {"007", false, 0}, /* a leading zero: not the same text as 7 */
    {"01", false, 0},
    {"", false, 0},
    {"-1", false, 0},
    {"+1", false, 0},
    {" 1", false, 0},
    {"1 ", false, 0},
    {"1.5", false, 0},
    {"1e3", false, 0},
    {"0x10", false, 0},
    {"abc", false, 0},
    {"12a", false, 0},
    {"\xef\xbc\x91", false, 0}, /* a fullwidth digit one */
};

static const scan_case counts[] = {
    {"0", true, 0},
    {"00", true, 0},
    {"17", true, 17},
    {"0017", true, 17},
    {"1048576", true, 1048576},
    {"9223372036854775807", true, 9223372036854775807LL},
    {"9223372036854775808", false, 0},
    {"", false, 0},
    {"-1", false, 0},
    {"+1", false, 0},
    {" 1", false, 0},
    {"1 ", false, 0},
    {"1x", false, 0},
};

int main(void)
{
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        long long v = -5;
        bool ok = scan_id_str(ids[i].in, &v);
        char name[96];
        snprintf(name, sizeof name, "scan_id(\"%s\")", ids[i].in);
        CHECK(name, ok == ids[i].ok && (ok ? v == ids[i].want : v == -5));
    }
    /* a segment of a longer string: only its n bytes are read */
    long long v = 0;
    CHECK("scan_id reads n bytes of /orgs/12/x", scan_id("12/x", 2, &v) && v == 12);
    CHECK("scan_id of 0 bytes is no id", !scan_id("12", 0, &v));
    CHECK("scan_id_str(NULL) is no id", !scan_id_str(NULL, &v));
    for (size_t i = 0; i < sizeof counts / sizeof *counts; i++) {
        long long c = -5;
        bool ok = scan_count(counts[i].in, &c);
        char name[96];
        snprintf(name, sizeof name, "scan_count(\"%s\")", counts[i].in);
        CHECK(name, ok == counts[i].ok && (ok ? c == counts[i].want : c == -5));
    }
    CHECK("scan_count(NULL) is no count", !scan_count(NULL, &v));
    return CHECK_DONE();
}
