/* Folding the summaries in the background. Sign-ups append a row each to
 * stats.participant_log (migration 017), which every participants read scans
 * whole (it has no index, so that appending costs a sign-up nearly nothing):
 * every LOG_EVERY_S seconds this thread moves the log into the summaries
 * (stats.fold_participants(), LOG_BATCH rows per transaction), so a read
 * scans at most a few seconds of sign-ups. Other writers add their deltas to
 * the stripe of their transaction (stats.stripe()); without folding, a busy
 * (region, month) grows up to 16 rows and the widest reads slow down
 * (docs/stats.md, Measurements). Every STRIPES_EVERY periods this thread runs
 * stats.fold(), which merges the stripes into stripe 0 in key order,
 * FOLD_GROUPS (region, month) pairs per transaction so that a writer waits at
 * most for one short fold. The folds are the stats role's only other write,
 * through SECURITY DEFINER functions (migrations 012, 017), run on the primary
 * (STVS_DB) even when the service reads a standby (STVS_STATS_DB). Should
 * they fail (the primary down), the answers stay exact and this thread says
 * so once. */
#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "log.h"
#include "stats.h"

#define LOG_EVERY_S 2
#define LOG_BATCH 50000      /* stats.fold_participants()'s default */
#define LOG_MAX_ROUNDS 20    /* a backlog (the service was down) goes over several periods */
#define STRIPES_EVERY 15     /* periods: stripes every 30 s */
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

/* Sleeps LOG_EVERY_S seconds or until stopped; true when stopped. */
static bool wait_period(void)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += LOG_EVERY_S;
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
    for (unsigned period = 1; !wait_period(); period++) {
        /* the sign-ups' log first, in transactions of its own */
        long long n = LOG_BATCH;
        bool ok = true;
        for (int round = 0; ok && n == LOG_BATCH && round < LOG_MAX_ROUNDS && !stop_requested(); round++)
            ok = fold_step(&db, SQL_FOLD_PARTICIPANTS, 0, NULL, &n);
        n = FOLD_GROUPS;
        for (int round = 0; ok && period % STRIPES_EVERY == 0 && n == FOLD_GROUPS && round < FOLD_MAX_ROUNDS &&
                            !stop_requested(); round++)
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
