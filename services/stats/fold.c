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
#include <stdio.h>

#include "log.h"
#include "stats.h"

#define LOG_EVERY_S 2
#define LOG_BATCH 50000      /* stats.fold_participants()'s default */
#define LOG_MAX_ROUNDS 20    /* a backlog (the service was down) goes over several periods */
#define STRIPES_EVERY 15     /* periods: stripes every 30 s */
#define FOLD_GROUPS 200
#define FOLD_MAX_ROUNDS 50 /* at most 10,000 pairs per period */

static app_ticker ticker = APP_TICKER(LOG_EVERY_S);
static const char *fold_conninfo;

static void *fold_main(void *arg)
{
    (void)arg;
    db_t db;
    bool warned = false;
    char groups[16];
    snprintf(groups, sizeof groups, "%d", FOLD_GROUPS);
    db_init(&db, fold_conninfo, "stats-fold", stats_sql, SQL__MAX, 0);
    for (unsigned period = 1; !app_ticker_wait(&ticker); period++) {
        /* the sign-ups' log first, in transactions of its own */
        long long n = LOG_BATCH;
        bool ok = true;
        for (int round = 0; ok && n == LOG_BATCH && round < LOG_MAX_ROUNDS && !app_ticker_stopped(&ticker); round++)
            ok = db_exec_count(&db, SQL_FOLD_PARTICIPANTS, 0, NULL, &n);
        n = FOLD_GROUPS;
        for (int round = 0; ok && period % STRIPES_EVERY == 0 && n == FOLD_GROUPS && round < FOLD_MAX_ROUNDS &&
                            !app_ticker_stopped(&ticker); round++)
            ok = db_exec_count(&db, SQL_FOLD, 1, (const char *[]){groups}, &n);
        if (!ok && !warned)
            log_warn("stats.fold() failed (the primary is down?): stripes stay unmerged");
        warned = !ok;
    }
    db_close(&db);
    return NULL;
}

int stats_fold_start(const char *conninfo)
{
    fold_conninfo = conninfo;
    return app_ticker_start(&ticker, fold_main, NULL, "fold");
}

void stats_fold_stop(void) { app_ticker_stop(&ticker); }
