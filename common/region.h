/* GB/T 2260 regions as request parameters: a region filter means "this
 * region and everything under it", answered as a code range (ref.region_range)
 * on a btree index. The lookup is common's own statement SQL_COMMON_REGION
 * (common_sql.c): a service using these opts in with COMMON_SQL_REGION. */
#ifndef STVS_REGION_H
#define STVS_REGION_H
#include <stdbool.h>

#include "http.h"
#include "json_out.h"

/* A region's JSON ({code, name, level, path}, ref.regions.display) in a
 * select list, for the code column named: a subquery the executor runs on
 * its own cached plan, where ref.region_json() (plpgsql) made a call through
 * SPI for every row (the list page's 20 rows: ~10% of its time). */
#define REGION_DISPLAY(code) "(SELECT region_row.display FROM ref.regions region_row WHERE region_row.code = " code ")"

typedef struct {
    bool found;
    bool county_level; /* a county, or a city without counties (东莞市) */
    char level[12];
    char lo[7], hi[7];
} region_info;

/* A region and everything under it, as ref.region_range gives it: the codes
 * lo..hi. Regions nest, so two ranges are either nested or disjoint. */
typedef struct {
    char lo[7], hi[7];
} code_range;

/* The code ranges to search when a caller whose scopes are scope[] (sorted
 * by lo, widest first, as SQL_ADMIN_SCOPE orders them) asks for want (NULL:
 * everything): want alone when a scope holds it, else the scopes that lie
 * inside want, each range once (nested scopes dropped), so the result is
 * disjoint ranges, each one index range scan. out has room for nscope;
 * returns how many it holds (0: the request lies outside every scope). */
int region_ranges_within(const code_range *scope, int nscope, const code_range *want, code_range *out);

/* The regions a process has looked up, kept REGION_CACHE_SECONDS: regions
 * change only with a migration (GB/T 2260's yearly revisions), and a list by
 * region asked PostgreSQL for its region before the list itself. Direct
 * mapped by the code's number; a code not found is never kept. now is
 * seconds on CLOCK_MONOTONIC. */
#define REGION_CACHE_SECONDS 300
bool region_cache_get(const char *code, long long now, region_info *out);
void region_cache_put(const char *code, long long now, const region_info *info);

/* Every region's JSON (ref.regions.display), loaded whole by a process (one
 * statement, ~3,400 rows, ~0.4 MB) and reloaded after REGION_CACHE_SECONDS:
 * the activity view writes its region from here, where a subquery per row
 * was ~8% of the list's SQL (bench/ANALYSIS.md, session 6). A handler that
 * writes activities calls region_displays_ready_or_reply first: it loads
 * the table when the process has none (503 answered when it cannot), and
 * reloads a stale one once, the other threads meanwhile writing from the
 * old one (kept as well when the reload fails). The service opts in to
 * COMMON_SQL_REGION_DISPLAYS. */
bool region_displays_ready_or_reply(req_t *r);
/* Writes code's JSON as a value of o (NULL code: null); fails o for a code
 * the table lacks (a region added since the load; the next request
 * reloads). */
void jo_region_display(json_out *o, const char *code);

const char *check_region_code(const char *v, const char **message);
/* Looks code up; false after replying 503. */
bool region_lookup_or_reply(req_t *r, const char *code, region_info *out);
/* For a ?region= filter: adds a 422 for a malformed or unknown code; 000000
 * is the whole country. NULL code leaves *out not found. False after
 * replying 503. */
bool region_param_or_reply(req_t *r, const char *param, const char *code, region_info *out);

#endif
