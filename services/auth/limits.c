/* Per-client-address limits (nginx's $remote_addr), one mechanism for SMS
 * sends and logins: admitted requests are rows of auth.address_hits, counted
 * in a sliding window under an advisory lock per address and kind.
 *
 * A refusal is also remembered in this process until it runs out, so that a
 * flood from one address is answered without the database: that is exact,
 * since nothing is admitted for the address meanwhile, and other processes
 * can only add hits, which makes the wait longer, never shorter. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "log.h"

#define REFUSALS 1024

typedef struct {
    char kind[8];
    char addr[48];
    double until; /* CLOCK_MONOTONIC seconds */
} refusal;

static refusal refusals[REFUSALS];
static pthread_mutex_t refusals_mu = PTHREAD_MUTEX_INITIALIZER;

static double mono_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static size_t slot_of(const char *kind, const char *addr)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *s = kind; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    for (const char *s = addr; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % REFUSALS;
}

static bool cacheable(const char *kind, const char *addr)
{
    return addr && strlen(kind) < sizeof refusals[0].kind && strlen(addr) < sizeof refusals[0].addr;
}

/* Seconds left of a remembered refusal, 0 when none. */
static long long remembered_wait(const char *kind, const char *addr)
{
    if (!cacheable(kind, addr))
        return 0;
    double now = mono_now(), left = 0;
    refusal *f = &refusals[slot_of(kind, addr)];
    if (pthread_mutex_lock(&refusals_mu) != 0)
        return 0;
    if (!strcmp(f->kind, kind) && !strcmp(f->addr, addr) && f->until > now)
        left = f->until - now;
    pthread_mutex_unlock(&refusals_mu);
    return left > 0 ? (long long)left + 1 : 0;
}

static void remember(const char *kind, const char *addr, long long wait)
{
    if (!cacheable(kind, addr) || wait <= 0)
        return;
    refusal *f = &refusals[slot_of(kind, addr)];
    if (pthread_mutex_lock(&refusals_mu) != 0)
        return;
    strcpy(f->kind, kind);
    strcpy(f->addr, addr);
    f->until = mono_now() + (double)wait;
    pthread_mutex_unlock(&refusals_mu);
}

long long address_remembered_wait(const req_t *r, const char *kind)
{
    return remembered_wait(kind, r->remote_addr);
}

bool address_wait_or_reply(req_t *r, const char *kind, long per_window, int window_seconds, long long *wait)
{
    const char *addr = r->remote_addr;
    const char *per = arena_printf(&r->arena, "%ld", per_window);
    const char *window = arena_printf(&r->arena, "%d", window_seconds);
    if (!per || !window) {
        reply_error(r, ERR_INTERNAL, NULL);
        return false;
    }
    *wait = 0;
    if (!addr)
        return true; /* not behind nginx (which always sets it): nothing to count by */
    if (!db_do_or_reply(r, SQL_ADDRESS_LOCK, 2, (const char *[]){kind, addr}))
        return false;
    PGresult *res = db_query_or_reply(r, SQL_ADDRESS_WAIT, 4, (const char *[]){kind, addr, per, window});
    if (!res)
        return false;
    *wait = PQntuples(res) == 1 ? db_int(res, 0, "wait") : 0;
    PQclear(res);
    if (*wait > 0)
        remember(kind, addr, *wait);
    return true;
}

bool address_hit_or_reply(req_t *r, const char *kind)
{
    return !r->remote_addr || db_do_or_reply(r, SQL_ADDRESS_HIT, 2, (const char *[]){kind, r->remote_addr});
}

void rate_limited_reply(req_t *r, long long wait, const char *detail)
{
    const char *v = arena_printf(&r->arena, "%lld", wait);
    if (!v) {
        reply_error(r, ERR_INTERNAL, NULL);
        return;
    }
    reply_header(r, "Retry-After", v);
    reply_error(r, ERR_RATE_LIMITED, detail);
}

/* Counted in its own transaction, committed (without waiting for the disk)
 * before the login starts: a login that fails still counts. */
bool login_admitted_or_reply(req_t *r)
{
    static const char detail[] = "too many logins from this address; see Retry-After";
    long long wait = address_remembered_wait(r, "login");
    if (wait > 0) {
        rate_limited_reply(r, wait, detail);
        return false;
    }
    if (!db_begin_or_reply(r) || !address_wait_or_reply(r, "login", auth.login_per_address_per_minute, 60, &wait))
        return false;
    if (wait > 0) {
        db_rollback(r->db);
        rate_limited_reply(r, wait, detail);
        return false;
    }
    return address_hit_or_reply(r, "login") && db_do_or_reply(r, SQL_ASYNC_COMMIT, 0, NULL) &&
           db_commit_or_reply(r);
}
