#include "region.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datetime.h"
#include "errors.h"
#include "log.h"

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

/* The region displays (region.h): a table sorted by code, replaced whole. */
typedef struct {
    char code[7];
    const char *display; /* into the table's text */
} region_display;
typedef struct {
    region_display *entries;
    size_t n;
    char *text;
} display_table;

static struct {
    pthread_rwlock_t lock; /* readers write from the table; a load swaps it */
    display_table table;
    long long until;
    atomic_bool missing; /* a writer met a code the table lacks: reload */
} displays = {.lock = PTHREAD_RWLOCK_INITIALIZER};
static pthread_mutex_t displays_loading = PTHREAD_MUTEX_INITIALIZER; /* one load at a time */

static int by_code(const void *a, const void *b)
{
    return strcmp(((const region_display *)a)->code, ((const region_display *)b)->code);
}

static void table_free(display_table *t)
{
    free(t->entries);
    free(t->text);
    *t = (display_table){0};
}

/* The table of a region_displays result; false when out of memory or a row
 * is not a code and its JSON. */
static bool table_of(const PGresult *res, display_table *t)
{
    int n = PQntuples(res);
    size_t size = 0;
    for (int i = 0; i < n; i++)
        size += (size_t)PQgetlength(res, i, 1) + 1;
    *t = (display_table){.entries = calloc(n ? (size_t)n : 1, sizeof *t->entries), .text = malloc(size ? size : 1)};
    if (!t->entries || !t->text) {
        table_free(t);
        return false;
    }
    char *p = t->text;
    for (int i = 0; i < n; i++) {
        const char *code = PQgetvalue(res, i, 0);
        if (strlen(code) != 6 || PQgetisnull(res, i, 1)) {
            table_free(t);
            return false;
        }
        memcpy(t->entries[i].code, code, 7);
        size_t len = (size_t)PQgetlength(res, i, 1);
        memcpy(p, PQgetvalue(res, i, 1), len + 1);
        t->entries[i].display = p;
        p += len + 1;
    }
    t->n = (size_t)n;
    qsort(t->entries, t->n, sizeof *t->entries, by_code);
    return true;
}

/* Loads the table and swaps it in; false (the old one kept) on failure. */
static bool displays_load(req_t *r, bool reply)
{
    PGresult *res = reply ? db_query_or_reply(r, SQL_COMMON_REGION_DISPLAYS, 0, NULL)
                          : db_exec(r->db, SQL_COMMON_REGION_DISPLAYS, 0, NULL);
    if (!res)
        return false;
    display_table fresh, old;
    bool built = table_of(res, &fresh);
    PQclear(res);
    if (!built) {
        log_error("region: the region displays could not be kept (out of memory or a malformed row)");
        if (reply)
            reply_error(r, ERR_INTERNAL, "internal error");
        return false;
    }
    if (pthread_rwlock_wrlock(&displays.lock)) {
        table_free(&fresh);
        if (reply)
            reply_error(r, ERR_INTERNAL, "internal error");
        return false;
    }
    old = displays.table;
    displays.table = fresh;
    displays.until = monotonic_seconds() + REGION_CACHE_SECONDS;
    atomic_store(&displays.missing, false);
    pthread_rwlock_unlock(&displays.lock);
    table_free(&old);
    return true;
}

bool region_displays_ready_or_reply(req_t *r)
{
    if (pthread_rwlock_rdlock(&displays.lock)) {
        reply_error(r, ERR_INTERNAL, "internal error");
        return false;
    }
    bool have = displays.table.entries != NULL;
    bool fresh = monotonic_seconds() < displays.until && !atomic_load(&displays.missing);
    pthread_rwlock_unlock(&displays.lock);
    if (have && fresh)
        return true;
    if (have) { /* stale: one thread reloads, the others write from the old table */
        if (pthread_mutex_trylock(&displays_loading))
            return true;
        if (!displays_load(r, false)) { /* kept; the next try in a minute */
            if (!pthread_rwlock_wrlock(&displays.lock)) {
                displays.until = monotonic_seconds() + 60;
                pthread_rwlock_unlock(&displays.lock);
            }
        }
        pthread_mutex_unlock(&displays_loading);
        return true;
    }
    if (pthread_mutex_lock(&displays_loading)) {
        reply_error(r, ERR_INTERNAL, "internal error");
        return false;
    }
    /* another thread may have loaded it while this one waited */
    bool loaded = false;
    if (!pthread_rwlock_rdlock(&displays.lock)) {
        loaded = displays.table.entries != NULL;
        pthread_rwlock_unlock(&displays.lock);
    }
    bool ok = loaded || displays_load(r, true);
    pthread_mutex_unlock(&displays_loading);
    return ok;
}

void jo_region_display(json_out *o, const char *code)
{
    if (!code) {
        jo_null(o);
        return;
    }
    region_display key = {0};
    snprintf(key.code, sizeof key.code, "%s", code);
    if (pthread_rwlock_rdlock(&displays.lock)) {
        o->failed = true;
        return;
    }
    const region_display *found =
        displays.table.n ? bsearch(&key, displays.table.entries, displays.table.n, sizeof key, by_code) : NULL;
    if (found)
        jo_raw(o, found->display, "null");
    pthread_rwlock_unlock(&displays.lock);
    if (!found) {
        log_error("region: %s is not among the region displays loaded; reloading", key.code);
        atomic_store(&displays.missing, true);
        o->failed = true;
    }
}
