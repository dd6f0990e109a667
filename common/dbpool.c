#include "dbpool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"

/* A job waiting for a connection, on its caller's stack. The thread that
 * frees a connection takes the oldest waiter of the first class that has
 * one (no barging: a newcomer finds no connection idle while any waits) and
 * runs its job, or, past DBPOOL_RUNS_FOR_OTHERS or for a slow job, hands it
 * the connection. */
typedef enum { WAITING, RUNNING_ELSEWHERE, RAN, HANDED } waiter_state;
struct dbpool_waiter {
    dbpool_waiter *next;
    pthread_cond_t woken;
    dbpool_job *job;
    void *arg;
    bool slow;    /* never run by another thread: always HANDED */
    waiter_state state;
    db_t *handed; /* HANDED: the connection to run the job on */
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

/* The oldest waiter, reads first, out of its queue; NULL when none waits.
 * Under the lock. */
static dbpool_waiter *next_waiter(dbpool_t *p)
{
    dbpool_class class = p->first[DBPOOL_READ] ? DBPOOL_READ : DBPOOL_WRITE;
    dbpool_waiter *w = p->first[class];
    if (w) {
        p->first[class] = w->next;
        if (!p->first[class])
            p->last[class] = NULL;
    }
    return w;
}

/* A job has run on db: run the waiting ones on it, oldest first, then free
 * it, or after DBPOOL_RUNS_FOR_OTHERS (or for a slow job) hand it to the
 * next waiter. The connection never waits for a sleeping thread to be
 * scheduled while there is work for it, and the order stays the queue's. */
static void run_waiting(dbpool_t *p, db_t *db)
{
    pthread_mutex_lock(&p->lock);
    for (int ran = 0;; ran++) {
        dbpool_waiter *w = next_waiter(p);
        if (!w) {
            p->idle[p->nidle++] = db;
            pthread_mutex_unlock(&p->lock);
            metrics_db_pool(-1, false, false);
            return;
        }
        if (ran == DBPOOL_RUNS_FOR_OTHERS || w->slow) {
            w->state = HANDED;
            w->handed = db;
            pthread_cond_signal(&w->woken);
            pthread_mutex_unlock(&p->lock);
            return;
        }
        w->state = RUNNING_ELSEWHERE;
        pthread_mutex_unlock(&p->lock);
        w->job(w->arg, db);
        pthread_mutex_lock(&p->lock);
        w->state = RAN; /* w is gone once the lock is let go */
        pthread_cond_signal(&w->woken);
    }
}

bool dbpool_run(dbpool_t *p, dbpool_class class, bool slow, long wait_ms, dbpool_job *job, void *arg)
{
    pthread_mutex_lock(&p->lock);
    if (p->nidle) { /* a connection is idle only while nobody waits (run_waiting) */
        db_t *db = p->idle[--p->nidle];
        pthread_mutex_unlock(&p->lock);
        metrics_db_pool(1, false, false);
        job(arg, db);
        run_waiting(p, db);
        return true;
    }
    if (wait_ms <= 0) { /* a try, not a wait */
        pthread_mutex_unlock(&p->lock);
        return false;
    }
    dbpool_waiter w = {.job = job, .arg = arg, .slow = slow, .state = WAITING};
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L)
        until.tv_sec++, until.tv_nsec -= 1000000000L;
    pthread_cond_init(&w.woken, &p->clock);
    if (p->last[class])
        p->last[class]->next = &w;
    else
        p->first[class] = &w;
    p->last[class] = &w;
    int rc = 0;
    while (w.state == WAITING && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&w.woken, &p->lock, &until);
    while (w.state == RUNNING_ELSEWHERE) /* started in time: it ends, however long it takes */
        pthread_cond_wait(&w.woken, &p->lock);
    if (w.state == WAITING)
        unlink_waiter(p, class, &w);
    pthread_mutex_unlock(&p->lock);
    pthread_cond_destroy(&w.woken);
    metrics_db_pool(0, true, w.state == WAITING); /* a connection handed over stays busy */
    if (w.state == HANDED) {
        job(arg, w.handed);
        run_waiting(p, w.handed);
    }
    return w.state != WAITING;
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
