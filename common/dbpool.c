#define _GNU_SOURCE /* sem_clockwait: a wait on CLOCK_MONOTONIC (glibc 2.30) */
#include "dbpool.h"

#include <errno.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "datetime.h"
#include "metrics.h"

/* A job waiting for a connection, on its caller's stack. The thread that
 * frees a connection takes the oldest waiter of the first class that has
 * one (no barging: a newcomer finds no connection idle while any waits) and
 * runs its job, or, past DBPOOL_RUNS_FOR_OTHERS or for a slow job, hands it
 * the connection.
 *
 * The waiter sleeps on a semaphore of its own, posted once after it left
 * the queue and after the pool's lock is let go: a condition variable must
 * be signalled under the lock (the waiter may be gone right after), so the
 * woken thread's first act was to block on the lock its waker still held
 * (perf under the detail's load: 7% of the service's samples waiting on
 * the pool's lock, bench/ANALYSIS.md, "Session 7"). A semaphore may be
 * destroyed as soon as its wait returns, the post still finishing. */
typedef enum { WAITING, RUNNING_ELSEWHERE, RAN, HANDED } waiter_state;
struct dbpool_waiter {
    dbpool_waiter *next;
    sem_t woken;  /* posted once: HANDED, or its job RAN on another thread */
    dbpool_job *job;
    void *arg;
    bool slow;    /* never run by another thread: always HANDED */
    _Atomic waiter_state state; /* leaves WAITING only under the lock, with the queue */
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
 * it, or after runs_for_others of them (or for a slow job) hand it to the
 * next waiter. The connection never waits for a sleeping thread to be
 * scheduled while there is work for it, and the order stays the queue's. */
static void run_waiting(dbpool_t *p, db_t *db, int runs_for_others)
{
    for (int ran = 0;; ran++) {
        pthread_mutex_lock(&p->lock);
        dbpool_waiter *w = next_waiter(p);
        if (!w) {
            p->idle[p->nidle++] = db;
            pthread_mutex_unlock(&p->lock);
            metrics_db_pool(-1, false, false);
            return;
        }
        if (ran == runs_for_others || w->slow) {
            w->handed = db;
            atomic_store(&w->state, HANDED);
            pthread_mutex_unlock(&p->lock);
            sem_post(&w->woken); /* w is gone once posted */
            return;
        }
        atomic_store(&w->state, RUNNING_ELSEWHERE);
        pthread_mutex_unlock(&p->lock);
        w->job(w->arg, db);
        atomic_store(&w->state, RAN);
        sem_post(&w->woken);
    }
}

/* Sleeps until posted or until `until` (CLOCK_MONOTONIC); false on the
 * time running out. */
static bool posted_by(sem_t *sem, const struct timespec *until)
{
    for (;;) {
        if (sem_clockwait(sem, CLOCK_MONOTONIC, until) == 0)
            return true;
        if (errno != EINTR)
            return false; /* ETIMEDOUT (EINVAL cannot be: the semaphore and the time are ours) */
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
        /* a try (a metrics scrape) waits for nothing, nor for others' jobs:
         * the next waiter is handed the connection */
        run_waiting(p, db, wait_ms > 0 ? DBPOOL_RUNS_FOR_OTHERS : 0);
        return true;
    }
    dbpool_waiter w = {.job = job, .arg = arg, .slow = slow, .state = WAITING};
    if (wait_ms <= 0 || sem_init(&w.woken, 0, 0) != 0) { /* a try, not a wait */
        pthread_mutex_unlock(&p->lock);
        return false;
    }
    if (p->last[class])
        p->last[class]->next = &w;
    else
        p->first[class] = &w;
    p->last[class] = &w;
    pthread_mutex_unlock(&p->lock);
    struct timespec until = monotonic_after_ms(wait_ms);
    if (!posted_by(&w.woken, &until)) {
        pthread_mutex_lock(&p->lock);
        bool queued = atomic_load(&w.state) == WAITING;
        if (queued)
            unlink_waiter(p, class, &w);
        pthread_mutex_unlock(&p->lock);
        /* taken just as the time ran out: started in time, so it ends,
         * however long it takes, and the post comes */
        if (!queued)
            while (sem_wait(&w.woken) != 0 && errno == EINTR)
                ;
    }
    sem_destroy(&w.woken);
    waiter_state state = atomic_load(&w.state);
    metrics_db_pool(0, true, state == WAITING); /* a connection handed over stays busy */
    if (state == HANDED) {
        job(arg, w.handed);
        run_waiting(p, w.handed, DBPOOL_RUNS_FOR_OTHERS);
    }
    return state != WAITING;
}

void dbpool_free(dbpool_t *p)
{
    for (int i = 0; i < p->n; i++)
        db_close(&p->conns[i]);
    free(p->conns);
    free(p->idle);
    pthread_mutex_destroy(&p->lock);
    memset(p, 0, sizeof *p);
}
