/* The purge of what expires: refresh tokens (and the sessions they end),
 * revoked sessions, SMS codes, idle password-failure counters. Never in a
 * request: a thread of its own with its own connection wakes every
 * STVS_PURGE_INTERVAL seconds (default 300), or at once on SIGUSR2, and
 * deletes in batches of PURGE_BATCH rows, one short transaction each. Of N
 * auth processes, the one that gets the advisory lock purges; the others
 * skip that round. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "auth.h"
#include "log.h"

#define PURGE_BATCH 5000
#define PURGE_MAX_BATCHES 200 /* a round deletes at most 1M rows a table; the next goes on */

enum { P_TOKENS, P_SESSIONS, P_REVOKED, P_CODES, P_ATTEMPTS, P__N };
static const char *const table_names[P__N] = {"refresh_tokens", "sessions", "sessions_revoked", "sms_codes",
                                              "password_attempts"};

static struct {
    pthread_t thread;
    bool started;
    atomic_bool stopping;
    long interval;
    db_t db;
    atomic_uint_fast64_t rounds, purged[P__N];
} p;

/* Runs stmt until a batch comes back short; adds its counts to n (and the
 * sessions the token purge ended to n_sessions). */
static void purge_table(int stmt, long long *n, long long *n_sessions)
{
    char batch[16];
    snprintf(batch, sizeof batch, "%d", PURGE_BATCH);
    for (int i = 0; i < PURGE_MAX_BATCHES && !atomic_load(&p.stopping); i++) {
        PGresult *res = db_exec(&p.db, stmt, 1, (const char *[]){batch});
        if (!res)
            return; /* db.c logged it; the next round tries again */
        long long got = db_int(res, 0, "n");
        *n += got;
        if (n_sessions)
            *n_sessions += db_int(res, 0, "sessions");
        PQclear(res);
        if (got < PURGE_BATCH)
            return;
    }
}

static void purge_round(void)
{
    long long n[P__N] = {0};
    PGresult *res = db_exec(&p.db, SQL_PURGE_LOCK, 0, NULL);
    bool mine = res && db_bool(res, 0, "got");
    PQclear(res);
    if (!mine)
        return; /* another process purges now, or the database is down */
    purge_table(SQL_PURGE_REFRESH_TOKENS, &n[P_TOKENS], &n[P_SESSIONS]);
    purge_table(SQL_PURGE_REVOKED_SESSIONS, &n[P_REVOKED], NULL);
    purge_table(SQL_PURGE_SMS_CODES, &n[P_CODES], NULL);
    purge_table(SQL_PURGE_ATTEMPTS, &n[P_ATTEMPTS], NULL);
    PQclear(db_exec(&p.db, SQL_PURGE_UNLOCK, 0, NULL));
    atomic_fetch_add(&p.rounds, 1);
    for (int i = 0; i < P__N; i++)
        atomic_fetch_add(&p.purged[i], (uint_fast64_t)n[i]);
    log_info("purge: %lld refresh tokens, %lld sessions they ended, %lld revoked sessions, %lld sms codes, "
             "%lld password counters", n[P_TOKENS], n[P_SESSIONS], n[P_REVOKED], n[P_CODES], n[P_ATTEMPTS]);
}

static void *purge_main(void *arg)
{
    (void)arg;
    sigset_t wake;
    sigemptyset(&wake);
    sigaddset(&wake, SIGUSR2);
    while (!atomic_load(&p.stopping)) {
        /* the interval's sleep, cut short by SIGUSR2 (kill, or purge_stop) */
        int sig = sigtimedwait(&wake, NULL, &(struct timespec){.tv_sec = p.interval});
        if ((sig == SIGUSR2 || errno == EAGAIN) && !atomic_load(&p.stopping))
            purge_round();
    }
    db_close(&p.db);
    return NULL;
}

int purge_start(const stvs_config *cfg)
{
    sigset_t usr2;
    if (config_int("STVS_PURGE_INTERVAL", 300, 1, 86400, &p.interval))
        return -1;
    /* SIGUSR2 blocked in every thread (the request threads start after
     * this and inherit it) waits for purge_main's sigtimedwait. */
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    if (pthread_sigmask(SIG_BLOCK, &usr2, NULL) != 0)
        return -1;
    db_init(&p.db, cfg->db_conninfo, "auth-purge", auth_sql, SQL__MAX, 0);
    if (app_thread_start(&p.thread, purge_main, NULL, "purge") != 0)
        return -1;
    p.started = true;
    return 0;
}

void purge_stop(void)
{
    if (!p.started)
        return;
    atomic_store(&p.stopping, true);
    pthread_kill(p.thread, SIGUSR2);
    pthread_join(p.thread, NULL);
    p.started = false;
}

void purge_metrics(FILE *out, db_t *db)
{
    (void)db;
    fprintf(out,
            "# HELP stvs_auth_purge_rounds_total Purge rounds this process ran (it held the lock).\n"
            "# TYPE stvs_auth_purge_rounds_total counter\nstvs_auth_purge_rounds_total %llu\n"
            "# HELP stvs_auth_purged_rows_total Expired rows the purge deleted, by table.\n"
            "# TYPE stvs_auth_purged_rows_total counter\n",
            (unsigned long long)atomic_load(&p.rounds));
    for (int i = 0; i < P__N; i++)
        fprintf(out, "stvs_auth_purged_rows_total{table=\"%s\"} %llu\n", table_names[i],
                (unsigned long long)atomic_load(&p.purged[i]));
}
