/* The list's status refresh. Each activity keeps the status it was written
 * in and the window in which that status holds (migration 021); the list
 * reads the rows whose window holds now() from the status indexes, and tests
 * the others, those whose window has passed, one by one (sql.c). Every
 * REFRESH_EVERY_S seconds this thread lists those again, REFRESH_BATCH rows
 * a transaction, so the second set stays a few seconds' worth of status
 * changes (a handful: an activity changes status four times in its life).
 * A process of a read pool, on a standby, refreshes nothing (the function
 * answers 0 there), nor one while another process refreshes (the function
 * takes an advisory lock without waiting). The answers are exact without it
 * (a refresh late or failing only makes the list slower). */
#include <stdio.h>

#include "activity.h"
#include "log.h"

#define REFRESH_EVERY_S 15
#define REFRESH_BATCH 1000
#define REFRESH_MAX_ROUNDS 100 /* a backlog (the service was down) goes over several periods */

static app_ticker ticker = APP_TICKER(REFRESH_EVERY_S);
static const char *refresh_conninfo;

static void *refresh_main(void *arg)
{
    (void)arg;
    db_t db;
    bool warned = false;
    char batch[16];
    snprintf(batch, sizeof batch, "%d", REFRESH_BATCH);
    db_init(&db, refresh_conninfo, "activity-listing", activity_sql, SQL__MAX, 0);
    while (!app_ticker_wait(&ticker)) {
        long long n = REFRESH_BATCH;
        bool ok = true;
        for (int round = 0; ok && n == REFRESH_BATCH && round < REFRESH_MAX_ROUNDS && !app_ticker_stopped(&ticker);
             round++)
            ok = db_exec_count(&db, SQL_LISTED_REFRESH, 1, (const char *[]){batch}, &n);
        if (!ok && !warned)
            log_warn("activity.refresh_listed() failed (the database is down?): the list reads more rows until it runs");
        warned = !ok;
    }
    db_close(&db);
    return NULL;
}

int listing_refresh_start(const char *conninfo)
{
    refresh_conninfo = conninfo;
    return app_ticker_start(&ticker, refresh_main, NULL, "listing");
}

void listing_refresh_stop(void) { app_ticker_stop(&ticker); }
