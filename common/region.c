#include "region.h"

#include <stdio.h>
#include <string.h>

const char *check_region_code(const char *v, const char **message)
{
    bool ok = strlen(v) == 6;
    for (int i = 0; ok && i < 6; i++)
        ok = v[i] >= '0' && v[i] <= '9';
    *message = "must be a six-digit GB/T 2260 region code";
    return ok ? NULL : "invalid_format";
}

int region_ranges_within(const code_range *scope, int nscope, const code_range *want, code_range *out)
{
    int n = 0;
    for (int i = 0; i < nscope; i++) {
        const code_range *s = &scope[i];
        if (n && strcmp(s->hi, out[n - 1].hi) <= 0)
            continue; /* inside the previous range (scope is sorted by lo, widest first) */
        if (!want) {
            out[n++] = *s;
        } else if (strcmp(s->lo, want->lo) <= 0 && strcmp(want->hi, s->hi) <= 0) {
            out[0] = *want; /* the request lies inside this scope */
            return 1;
        } else if (strcmp(want->lo, s->lo) <= 0 && strcmp(s->hi, want->hi) <= 0) {
            out[n++] = *s; /* this scope lies inside the request */
        }
    }
    return n;
}

bool region_lookup_or_reply(req_t *r, const char *code, region_info *out)
{
    memset(out, 0, sizeof *out);
    PGresult *res = db_query_or_reply(r, SQL_COMMON_REGION, 1, (const char *[]){code});
    if (!res)
        return false;
    if (PQntuples(res) == 1) {
        out->found = true;
        snprintf(out->level, sizeof out->level, "%s", db_str(res, 0, "level"));
        snprintf(out->lo, sizeof out->lo, "%s", db_str(res, 0, "lo"));
        snprintf(out->hi, sizeof out->hi, "%s", db_str(res, 0, "hi"));
        out->county_level = !strcmp(out->level, "county") || db_bool(res, 0, "also_county");
    }
    PQclear(res);
    return true;
}

bool region_param_or_reply(req_t *r, const char *param, const char *code, region_info *out)
{
    const char *msg;
    memset(out, 0, sizeof *out);
    if (!code)
        return true;
    if (check_region_code(code, &msg)) {
        field_error(r, param, "invalid_format", msg);
        return true;
    }
    if (!strcmp(code, "000000")) { /* the whole country, as in platform admins' scopes */
        *out = (region_info){.found = true, .level = "country", .lo = "000000", .hi = "999999"};
        return true;
    }
    if (!region_lookup_or_reply(r, code, out))
        return false;
    if (!out->found)
        field_error(r, param, "invalid_choice", "no such region");
    return true;
}
