#include "region.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datetime.h"

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

#define REGION_CACHE_SLOTS 8192 /* ~3,200 regions; a slot is 48 bytes */
static struct {
    char code[7];
    long long until;
    region_info info;
} region_cache[REGION_CACHE_SLOTS];
static pthread_mutex_t region_cache_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t region_slot(const char *code) { return (size_t)strtol(code, NULL, 10) % REGION_CACHE_SLOTS; }

bool region_cache_get(const char *code, long long now, region_info *out)
{
    if (strlen(code) != 6)
        return false;
    size_t i = region_slot(code);
    bool hit = false;
    if (pthread_mutex_lock(&region_cache_lock))
        return false;
    if (!strcmp(region_cache[i].code, code) && now < region_cache[i].until) {
        *out = region_cache[i].info;
        hit = true;
    }
    pthread_mutex_unlock(&region_cache_lock);
    return hit;
}

void region_cache_put(const char *code, long long now, const region_info *info)
{
    if (strlen(code) != 6 || !info->found)
        return;
    size_t i = region_slot(code);
    if (pthread_mutex_lock(&region_cache_lock))
        return;
    memcpy(region_cache[i].code, code, sizeof region_cache[i].code);
    region_cache[i].until = now + REGION_CACHE_SECONDS;
    region_cache[i].info = *info;
    pthread_mutex_unlock(&region_cache_lock);
}

bool region_lookup_or_reply(req_t *r, const char *code, region_info *out)
{
    memset(out, 0, sizeof *out);
    long long now = monotonic_seconds();
    if (region_cache_get(code, now, out))
        return true;
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
    region_cache_put(code, now, out);
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
