/* Region scopes as code ranges (common/region.c): which ranges a platform
 * admin's list searches, the requested region cut down to the admin's
 * scopes; and the shape of a region code. One row per case. */
#include "check.h"
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "region.h"

#define MAXR 8
/* "lo-hi lo-hi ..." → ranges; returns how many. */
static int ranges_of(const char *spec, code_range *out)
{
    int n = 0;
    for (const char *p = spec; p && *p && n < MAXR; n++) {
        if (sscanf(p, "%6[0-9]-%6[0-9]", out[n].lo, out[n].hi) != 2)
            return -1;
        p = strchr(p, ' ');
        p = p ? p + 1 : NULL;
    }
    return n;
}

static void format_ranges(const code_range *r, int n, char *out, size_t len)
{
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < n && o < len; i++)
        o += (size_t)snprintf(out + o, len - o, "%s%s-%s", i ? " " : "", r[i].lo, r[i].hi);
}

static void test_ranges_within(void)
{
    static const struct {
        const char *name, *scope, *want, *expect; /* want NULL: no ?region= */
    } rows[] = {
        {"no filter: a province scope is searched whole", "410000-419999", NULL, "410000-419999"},
        {"no filter: a city inside the province scope is dropped", "410000-419999 410700-410799", NULL,
         "410000-419999"},
        {"no filter: two provinces stay two ranges", "410000-419999 420000-429999", NULL,
         "410000-419999 420000-429999"},
        {"no filter: the country holds every other scope", "000000-999999 410000-419999 410700-410799", NULL,
         "000000-999999"},
        {"no filter: a county after a city it is not in stays", "410700-410799 420102-420102", NULL,
         "410700-410799 420102-420102"},
        {"a county inside a province scope is searched alone", "410000-419999", "410702-410702",
         "410702-410702"},
        {"a city inside the country scope is searched alone", "000000-999999", "410700-410799", "410700-410799"},
        {"the scope itself as the filter is the scope", "410700-410799", "410700-410799", "410700-410799"},
        {"a province filter over a city scope is cut to the city", "410700-410799", "410000-419999",
         "410700-410799"},
        {"a country filter over two provinces is both provinces", "410000-419999 420000-429999", "000000-999999",
         "410000-419999 420000-429999"},
        {"a province filter over two of its cities keeps the two", "410100-410199 410700-410799 420100-420199",
         "410000-419999", "410100-410199 410700-410799"},
        {"a province filter over a city and a county in it keeps the city", "410700-410799 410702-410702",
         "410000-419999", "410700-410799"},
        {"a filter outside every scope is nothing (an empty page)", "410000-419999", "420000-429999", ""},
        {"a sibling county is nothing", "410702-410702", "410703-410703", ""},
        {"a filter in the second scope is found there", "410000-419999 420000-429999", "420102-420102",
         "420102-420102"},
        {"no scope at all is nothing", "", NULL, ""},
        {"no scope at all with a filter is nothing", "", "410000-419999", ""},
    };
    for (size_t i = 0; i < NELEM(rows); i++) {
        code_range scope[MAXR], want[1], out[MAXR];
        int nscope = ranges_of(rows[i].scope, scope);
        bool has_want = rows[i].want != NULL;
        if (nscope < 0 || (has_want && ranges_of(rows[i].want, want) != 1)) {
            CHECK(rows[i].name, false);
            continue;
        }
        int n = region_ranges_within(scope, nscope, has_want ? want : NULL, out);
        char got[200];
        format_ranges(out, n, got, sizeof got);
        CHECK(rows[i].name, !strcmp(got, rows[i].expect));
        if (strcmp(got, rows[i].expect))
            fprintf(stderr, "  got \"%s\", want \"%s\"\n", got, rows[i].expect);
    }
}

static void test_check_region_code(void)
{
    static const struct {
        const char *name, *in;
        bool ok;
    } rows[] = {
        {"six digits are a region code", "410702", true},
        {"000000 (the country) has the shape", "000000", true},
        {"five digits are not", "41070", false},
        {"seven digits are not", "4107021", false},
        {"a letter is not", "41070x", false},
        {"a sign is not", "+41070", false},
        {"a blank is not", "41070 ", false},
        {"the empty string is not", "", false},
        {"full-width digits are not", "\xEF\xBC\x94\xEF\xBC\x91\xEF\xBC\x90\xEF\xBC\x97\xEF\xBC\x90\xEF\xBC\x92",
         false},
    };
    for (size_t i = 0; i < NELEM(rows); i++) {
        const char *msg = NULL;
        const char *code = check_region_code(rows[i].in, &msg);
        CHECK(rows[i].name, rows[i].ok ? code == NULL : (code && !strcmp(code, "invalid_format") && msg));
    }
}

/* The process's region cache: an answer is kept for its time and then asked
 * again; codes sharing a slot replace each other; a code not found, or not
 * six characters, is never kept. */
static void test_region_cache(void)
{
    region_info zhengzhou = {.found = true, .level = "city", .lo = "410100", .hi = "410199"}, got;
    region_info nowhere = {.found = false};
    long long t0 = 1000;
    CHECK("an empty cache has nothing", !region_cache_get("410100", t0, &got));
    region_cache_put("410100", t0, &zhengzhou);
    CHECK("a kept region is had back whole", region_cache_get("410100", t0 + 1, &got) && got.found &&
                                                 !strcmp(got.level, "city") && !strcmp(got.lo, "410100") &&
                                                 !strcmp(got.hi, "410199") && !got.county_level);
    CHECK("it is had until its time is up",
          region_cache_get("410100", t0 + REGION_CACHE_SECONDS - 1, &got) &&
              !region_cache_get("410100", t0 + REGION_CACHE_SECONDS, &got));
    CHECK("another code is not had from its slot", !region_cache_get("410101", t0 + 1, &got));
    region_cache_put("410100", t0, &zhengzhou);
    region_cache_put("418292", t0, &(region_info){.found = true, .level = "county", .lo = "418292", .hi = "418292"});
    CHECK("a code sharing the slot (8192 apart) replaces it",
          !region_cache_get("410100", t0 + 1, &got) && region_cache_get("418292", t0 + 1, &got) &&
              !strcmp(got.level, "county"));
    region_cache_put("999998", t0, &nowhere);
    CHECK("a code not found is not kept", !region_cache_get("999998", t0 + 1, &got));
    region_cache_put("4101", t0, &zhengzhou);
    CHECK("a code not of six characters is neither kept nor looked for", !region_cache_get("4101", t0 + 1, &got));
}

int main(void)
{
    test_ranges_within();
    test_check_region_code();
    test_region_cache();
    return CHECK_DONE();
}
