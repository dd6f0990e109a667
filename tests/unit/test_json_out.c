/* The JSON writer (common/json_out.c) prints what json_dumps prints with
 * JSON_OUT_DUMP_FLAGS, the replies' flags, for the same values: each case
 * writes a value with the writer and builds it with jansson, and the two
 * texts must be the same bytes. */
#include "check.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_out.h"

/* Whether o's text is the bytes jansson prints for want (which it steals). */
static bool same(const char *what, json_out *o, json_t *want)
{
    size_t len = 0;
    const char *got = json_out_text(o, &len);
    char *expect = want ? json_dumps(want, JSON_OUT_DUMP_FLAGS | JSON_ENCODE_ANY) : NULL;
    bool ok = got && expect && len == strlen(expect) && !memcmp(got, expect, len);
    if (!ok)
        fprintf(stderr, "  %s: writer %s, jansson %s\n", what, got ? got : "(failed)", expect ? expect : "(failed)");
    free(expect);
    json_decref(want);
    json_out_free(o);
    return ok;
}

static void test_strings_escape_as_jansson_does(void)
{
    static const char *const strings[] = {
        "", "plain", "quote \" and backslash \\", "tab\tnewline\ncr\rback\bfeed\f", "\x01\x1f control",
        "科技志愿服务 河南省/新乡市", "emoji \xF0\x9F\x98\x80 and DEL \x7F", "</script> & 'single'"};
    int wrong = 0;
    for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) {
        json_out o;
        json_out_init(&o);
        jo_string(&o, strings[i]);
        wrong += !same(strings[i], &o, json_string(strings[i]));
        json_out_init(&o); /* the same text as a member's name, its colon after the quote */
        jo_open(&o, '{');
        jo_key(&o, strings[i]);
        jo_int(&o, 1);
        jo_close(&o, '}');
        wrong += !same(strings[i], &o, json_pack("{s:i}", strings[i], 1));
    }
    CHECK("every string is escaped as jansson escapes it", wrong == 0);
}

static void test_numbers_print_as_jansson_does(void)
{
    static const char *const reals[] = {"2.5", "3", "3.00", "0.1", "0.01", "1234.56", "99999.99", "100000",
                                        "1e-7", "1.5e21", "-0.25", "12345678901234567",
                                        /* the written-out path's edges (plain_decimal) */
                                        "0", "0.000", "-0.0", "007.50", "-12.340", "0.0001", "0.00001",
                                        "-0.000123", "123456789012345", "1234567890123456", "99999999999999.9",
                                        "0.123456789012345", "0.1234567890123456", "1.", "-.5", "1e3", "5.046"};
    int wrong = 0;
    for (size_t i = 0; i < sizeof reals / sizeof *reals; i++) {
        json_out o;
        json_out_init(&o);
        jo_real_text(&o, reals[i]);
        wrong += !same(reals[i], &o, json_real(strtod(reals[i], NULL)));
    }
    static const long long ints[] = {0, 1, -1, 9, 10, -10, 1234567890, 9223372036854775807LL,
                                     -9223372036854775807LL - 1};
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
        json_out o;
        json_out_init(&o);
        jo_int(&o, ints[i]);
        wrong += !same("an integer", &o, json_integer(ints[i]));
    }
    json_out o;
    json_out_init(&o);
    jo_real_text(&o, NULL);
    wrong += !same("a NULL numeric", &o, json_real(0));
    CHECK("every number prints as jansson prints it", wrong == 0);
}

static void test_nesting_and_members(void)
{
    json_out o;
    json_out_init(&o);
    jo_open(&o, '{');
    jo_key(&o, "items");
    jo_open(&o, '[');
    jo_open(&o, '{');
    jo_key(&o, "id");
    jo_int(&o, 7);
    jo_key(&o, "org");
    jo_open(&o, '{');
    jo_key(&o, "name");
    jo_string(&o, "队");
    jo_close(&o, '}');
    jo_key(&o, "themes");
    jo_raw(&o, NULL, "[]");
    jo_key(&o, "region");
    jo_raw(&o, "{\"code\":\"410702\"}", "null");
    jo_close(&o, '}');
    jo_open(&o, '[');
    jo_close(&o, ']');
    jo_null(&o);
    jo_bool(&o, false);
    jo_close(&o, ']');
    jo_key(&o, "total");
    jo_int(&o, 1);
    jo_key(&o, "capped");
    jo_bool(&o, true);
    jo_key(&o, "note");
    jo_string(&o, NULL);
    jo_close(&o, '}');
    json_t *want = json_pack("{s:[{s:I, s:{s:s}, s:[], s:{s:s}}, [], n, b], s:I, s:b, s:n}", "items", "id",
                             (json_int_t)7, "org", "name", "队", "themes", "region", "code", "410702", 0, "total",
                             (json_int_t)1, "capped", 1, "note");
    CHECK("objects, arrays, members and raw values nest as jansson prints them", same("nesting", &o, want));
}

static void test_unfinished_or_failed_has_no_text(void)
{
    json_out o;
    size_t len;
    json_out_init(&o);
    jo_open(&o, '{');
    CHECK("an object still open has no text", json_out_text(&o, &len) == NULL);
    json_out_free(&o);
    json_out_init(&o);
    jo_close(&o, ']');
    CHECK("a close without an open fails", json_out_text(&o, &len) == NULL);
    json_out_free(&o);
    json_out_init(&o);
    for (int i = 0; i <= JSON_OUT_DEPTH; i++)
        jo_open(&o, '[');
    for (int i = 0; i <= JSON_OUT_DEPTH; i++)
        jo_close(&o, ']');
    CHECK("nesting past JSON_OUT_DEPTH fails", json_out_text(&o, &len) == NULL);
    json_out_free(&o);
    json_out_init(&o);
    CHECK("an empty writer has no text", json_out_text(&o, &len) == NULL);
    json_out_free(&o);
}

int main(void)
{
    test_strings_escape_as_jansson_does();
    test_numbers_print_as_jansson_does();
    test_nesting_and_members();
    test_unfinished_or_failed_has_no_text();
    return CHECK_DONE();
}
