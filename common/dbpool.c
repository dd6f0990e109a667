#include "dbpool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"

/* A request waiting for a connection: dbpool_give hands one straight to the
 * oldest of the first class that has a waiter (no barging: a newcomer cannot
 * take it first), so waits stay in arrival order within a class under a
 * rush. On the waiter's own stack. */
struct dbpool_waiter {
    dbpool_waiter *next;
    pthread_cond_t handed;
    db_t *got;
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

db_t *dbpool_take(dbpool_t *p, dbpool_class class, long wait_ms)
{
    pthread_mutex_lock(&p->lock);
    if (p->nidle) { /* a connection is idle only while nobody waits (dbpool_give) */
        db_t *db = p->idle[--p->nidle];
        pthread_mutex_unlock(&p->lock);
        metrics_db_pool(1, false, false);
        return db;
    }
    if (wait_ms <= 0) { /* a try, not a wait */
        pthread_mutex_unlock(&p->lock);
        return NULL;
    }
    dbpool_waiter w = {.got = NULL};
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L)
        until.tv_sec++, until.tv_nsec -= 1000000000L;
    pthread_cond_init(&w.handed, &p->clock);
    if (p->last[class])
        p->last[class]->next = &w;
    else
        p->first[class] = &w;
    p->last[class] = &w;
    int rc = 0;
    while (!w.got && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&w.handed, &p->lock, &until);
    if (!w.got)
        unlink_waiter(p, class, &w);
    pthread_mutex_unlock(&p->lock);
    pthread_cond_destroy(&w.handed);
    metrics_db_pool(0, true, !w.got); /* a connection handed over stays busy */
    return w.got;
}

void dbpool_give(dbpool_t *p, db_t *db)
{
    db->param_arena = NULL; /* the request's arena is about to be reset */
    pthread_mutex_lock(&p->lock);
    dbpool_class class = p->first[DBPOOL_READ] ? DBPOOL_READ : DBPOOL_WRITE;
    dbpool_waiter *w = p->first[class];
    if (w) {
        p->first[class] = w->next;
        if (!p->first[class])
            p->last[class] = NULL;
        w->got = db;
        pthread_cond_signal(&w->handed);
    } else {
        p->idle[p->nidle++] = db;
    }
    pthread_mutex_unlock(&p->lock);
    if (!w)
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
