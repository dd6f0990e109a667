/* Which region a request is about, and whether the caller may see it:
 * platform admins only, within their scope (API.md: outside it, 404). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

/* code NULL: the caller's own (widest) region. */
static bool scope_or_reply(req_t *r, const char *code, stats_region *out)
{
    PGresult *res = db_query_or_reply(r, SQL_SCOPE, 2, (const char *[]){id_str(r, r->user_id), code});
    if (!res)
        return false;
    bool admin = db_bool(res, 0, "is_admin"), in_scope = db_bool(res, 0, "in_scope");
    snprintf(out->code, sizeof out->code, "%s", db_isnull(res, 0, "code") ? "" : db_str(res, 0, "code"));
    out->strictly = db_bool(res, 0, "strictly");
    PQclear(res);
    if (!admin) {
        reply_error(r, ERR_FORBIDDEN, "statistics are for platform admins");
        return false;
    }
    if (!in_scope) {
        reply_error(r, ERR_NOT_FOUND, "no such region in your scope");
        return false;
    }
    return true;
}

bool stats_region_or_reply(req_t *r, const char *param, stats_region *out)
{
    const char *code = query_get(r, param);
    region_info info;
    if (!region_param_or_reply(r, param, code, &info) || fields_failed_reply(r))
        return false;
    return scope_or_reply(r, code, out);
}

bool stats_path_region_or_reply(req_t *r, const char *code, stats_region *out)
{
    region_info info;
    const char *msg;
    if (check_region_code(code, &msg) || !strcmp(code, "000000")) {
        reply_error(r, ERR_NOT_FOUND, "no such region");
        return false;
    }
    if (!region_lookup_or_reply(r, code, &info))
        return false;
    if (!info.found) {
        reply_error(r, ERR_NOT_FOUND, "no such region");
        return false;
    }
    return scope_or_reply(r, code, out);
}

json_t *stats_json_col(const PGresult *res, int row, const char *col)
{
    const char *text = db_isnull(res, row, col) ? NULL : db_str(res, row, col);
    json_t *v = text ? json_loads(text, 0, NULL) : NULL;
    return v ? v : json_null();
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

bool query_month(req_t *r, const char *name, int *year, int *month)
{
    const char *v = query_get(r, name);
    if (!v)
        return false;
    if (strlen(v) != 7 || v[4] != '-' || !all_digits(v, 4) || !all_digits(v + 5, 2)) {
        field_error(r, name, "invalid_format", "must be a month, YYYY-MM");
        return false;
    }
    *year = atoi(v);
    *month = atoi(v + 5);
    if (*month < 1 || *month > 12) {
        field_error(r, name, "invalid_format", "must be a month, YYYY-MM");
        return false;
    }
    if (*year < 2000 || *year > 2099) {
        field_error(r, name, "out_of_range", "must be a month from 2000-01 to 2099-12");
        return false;
    }
    return true;
}

long long query_int(req_t *r, const char *name, long long lo, long long hi, long long def)
{
    const char *v = query_get(r, name);
    if (!v)
        return def;
    size_t n = strlen(v);
    /* digits only, no sign, no leading zero (one "0" alone is fine) */
    if (n == 0 || n > 9 || !all_digits(v, n) || (n > 1 && v[0] == '0')) {
        field_error(r, name, "invalid_format", arena_printf(&r->arena, "must be an integer from %lld to %lld", lo, hi));
        return def;
    }
    long long x = atoll(v);
    if (x < lo || x > hi) {
        field_error(r, name, "out_of_range", arena_printf(&r->arena, "must be from %lld to %lld", lo, hi));
        return def;
    }
    return x;
}
