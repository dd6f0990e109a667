/* Folding the summaries' stripes in the background. Writers add their
 * deltas to the stripe of their transaction (stats.stripe()); without
 * folding, a busy (region, month) grows up to 16 rows and the widest reads
 * slow down (docs/stats.md, Measurements). Every FOLD_EVERY_S seconds this
 * thread runs stats.fold(), which merges the stripes into stripe 0 in key
 * order, FOLD_GROUPS (region, month) pairs per transaction so that a writer
 * waits at most for one short fold. stats.fold() is the stats role's only
 * other write, through a SECURITY DEFINER function (migration 012), run on
 * the primary (STVS_DB) even when the service reads a standby
 * (STVS_STATS_DB). Should it fail (the primary down), the answers stay exact
 * and this thread says so once. */
#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "log.h"
#include "stats.h"

#define FOLD_EVERY_S 30
#define FOLD_GROUPS 200
#define FOLD_MAX_ROUNDS 50 /* at most 10,000 pairs per period */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool started, stop;
    const char *conninfo;
} fold = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static bool stop_requested(void)
{
    pthread_mutex_lock(&fold.mu);
    bool stop = fold.stop;
    pthread_mutex_unlock(&fold.mu);
    return stop;
}

/* Sleeps FOLD_EVERY_S seconds or until stopped; true when stopped. */
static bool wait_period(void)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += FOLD_EVERY_S;
    pthread_mutex_lock(&fold.mu);
    int rc = 0;
    while (!fold.stop && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&fold.cv, &fold.mu, &until);
    bool stop = fold.stop;
    pthread_mutex_unlock(&fold.mu);
    return stop;
}

/* SQL_FOLD or SQL_FOLD_PARTICIPANTS; false when it failed. *n gets its "n". */
static bool fold_step(db_t *db, int stmt, int nparams, const char *const *params, long long *n)
{
    PGresult *res = db_exec(db, stmt, nparams, params);
    if (!res)
        return false;
    *n = db_int(res, 0, "n");
    PQclear(res);
    return true;
}

static void *fold_main(void *arg)
{
    (void)arg;
    db_t db;
    bool warned = false;
    char groups[16];
    snprintf(groups, sizeof groups, "%d", FOLD_GROUPS);
    db_init(&db, fold.conninfo, "stats-fold", stats_sql, SQL__MAX, 0);
    while (!wait_period()) {
        /* the sign-ups' deltas first, in a transaction of their own */
        long long n = 0;
        bool ok = fold_step(&db, SQL_FOLD_PARTICIPANTS, 0, NULL, &n);
        n = FOLD_GROUPS;
        for (int round = 0; ok && n == FOLD_GROUPS && round < FOLD_MAX_ROUNDS && !stop_requested(); round++)
            ok = fold_step(&db, SQL_FOLD, 1, (const char *[]){groups}, &n);
        if (!ok && !warned)
            log_warn("stats.fold() failed (the primary is down?): stripes stay unmerged");
        warned = !ok;
    }
    db_close(&db);
    return NULL;
}

int stats_fold_start(const char *conninfo)
{
    fold.conninfo = conninfo;
    if (app_thread_start(&fold.thread, fold_main, NULL, "fold") != 0)
        return -1;
    fold.started = true;
    return 0;
}

void stats_fold_stop(void)
{
    if (!fold.started)
        return;
    pthread_mutex_lock(&fold.mu);
    fold.stop = true;
    pthread_cond_signal(&fold.cv);
    pthread_mutex_unlock(&fold.mu);
    pthread_join(fold.thread, NULL);
    fold.started = false;
}
