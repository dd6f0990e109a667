#include "dbpool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"

/* A request waiting for a connection, on the waiter's own stack. A
 * connection given back goes to the idle stack and wakes one waiter (the
 * oldest read, else the oldest write), which takes it when it runs; a
 * thread already running may take it first (a write only while no read
 * waits). Handing it to the sleeping waiter instead left it idle for a
 * scheduler slice on busy cores (bench/ANALYSIS.md, the pool's trade). */
struct dbpool_waiter {
    dbpool_waiter *next;
    pthread_cond_t wake;
    bool woken; /* told a connection came free, not yet running */
};

int dbpool_init(dbpool_t *p, int n, const char *conninfo, const char *app_name, const db_stmt *stmts, int nstmts,
                unsigned common)
{
    memset(p, 0, sizeof *p);
    p->conns = calloc((size_t)n, sizeof *p->conns);
    p->idle = calloc((size_t)n, sizeof *p->idle);
    if (!p->conns || !p->idle || pthread_mutex_init(&p->lock, NULL) != 0) {
        free(p->conns);
        free(p->idle);
        return -1;
    }
    pthread_condattr_init(&p->clock);
    pthread_condattr_setclock(&p->clock, CLOCK_MONOTONIC);
    for (int i = 0; i < n; i++) {
        db_init(&p->conns[i], conninfo, app_name, stmts, nstmts, common);
        p->idle[i] = &p->conns[n - 1 - i];
    }
    p->n = p->nidle = n;
    return 0;
}

int dbpool_connect(dbpool_t *p)
{
    for (int i = 0; i < p->n; i++) {
        int rc = db_connect(&p->conns[i]);
        if (rc == -2)
            return -2;
        if (rc == -1)
            break; /* the database is down: the others would each wait out connect_timeout too */
    }
    return 0;
}

static void unlink_waiter(dbpool_t *p, dbpool_class class, dbpool_waiter *w)
{
    dbpool_waiter **at = &p->first[class], *prev = NULL;
    while (*at && *at != w)
        prev = *at, at = &(*at)->next;
    if (!*at)
        return;
    *at = w->next;
    if (p->last[class] == w)
        p->last[class] = prev;
}

/* Wakes the oldest waiter not yet woken, reads first, for each idle
 * connection no woken waiter is already on its way to. */
static void wake_waiters(dbpool_t *p)
{
    int on_their_way = 0;
    for (int c = DBPOOL_READ; c <= DBPOOL_WRITE; c++)
        for (dbpool_waiter *w = p->first[c]; w; w = w->next)
            on_their_way += w->woken;
    for (int c = DBPOOL_READ; c <= DBPOOL_WRITE && on_their_way < p->nidle; c++)
        for (dbpool_waiter *w = p->first[c]; w && on_their_way < p->nidle; w = w->next)
            if (!w->woken) {
                w->woken = true;
                on_their_way++;
                pthread_cond_signal(&w->wake);
            }
}

/* An idle connection this class may take now: a write never takes one a
 * waiting read was woken for. */
static bool may_take(const dbpool_t *p, dbpool_class class)
{
    return p->nidle > 0 && (class == DBPOOL_READ || !p->first[DBPOOL_READ]);
}

db_t *dbpool_take(dbpool_t *p, dbpool_class class, long wait_ms)
{
    pthread_mutex_lock(&p->lock);
    if (may_take(p, class)) {
        db_t *db = p->idle[--p->nidle];
        pthread_mutex_unlock(&p->lock);
        metrics_db_pool(1, false, false);
        return db;
    }
    if (wait_ms <= 0) { /* a try, not a wait */
        pthread_mutex_unlock(&p->lock);
        return NULL;
    }
    dbpool_waiter w = {.woken = false};
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L)
        until.tv_sec++, until.tv_nsec -= 1000000000L;
    pthread_cond_init(&w.wake, &p->clock);
    if (p->last[class])
        p->last[class]->next = &w;
    else
        p->first[class] = &w;
    p->last[class] = &w;
    db_t *db = NULL;
    for (;;) {
        int rc = pthread_cond_timedwait(&w.wake, &p->lock, &until);
        w.woken = false;
        if (may_take(p, class)) {
            db = p->idle[--p->nidle];
            break;
        }
        if (rc == ETIMEDOUT)
            break;
        /* a running thread took it first (or a spurious wake-up): wait on, in place */
    }
    unlink_waiter(p, class, &w);
    wake_waiters(p); /* a connection still idle, or one this waiter was woken for and left */
    pthread_mutex_unlock(&p->lock);
    pthread_cond_destroy(&w.wake);
    metrics_db_pool(db ? 1 : 0, true, !db);
    return db;
}

void dbpool_give(dbpool_t *p, db_t *db)
{
    db->param_arena = NULL; /* the request's arena is about to be reset */
    pthread_mutex_lock(&p->lock);
    p->idle[p->nidle++] = db;
    wake_waiters(p);
    pthread_mutex_unlock(&p->lock);
    metrics_db_pool(-1, false, false);
}

void dbpool_free(dbpool_t *p)
{
    for (int i = 0; i < p->n; i++)
        db_close(&p->conns[i]);
    free(p->conns);
    free(p->idle);
    pthread_mutex_destroy(&p->lock);
    pthread_condattr_destroy(&p->clock);
    memset(p, 0, sizeof *p);
}
