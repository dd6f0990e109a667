/* Where the stats service reads and where it writes. STVS_STATS_DB, when
 * set, is where it reads: a standby, or a standby-first multi-host conninfo
 * ("host=a,b target_session_attrs=prefer-standby"). Its few writes (a
 * target, the folds) go to STVS_DB, the primary, whatever STVS_STATS_DB
 * says: each worker thread opens its own connection there the first time it
 * writes (most never do), closed when the thread ends. Without STVS_STATS_DB
 * both are STVS_DB and a worker writes on its one connection. */
#include <pthread.h>
#include <stdlib.h>

#include "log.h"
#include "stats.h"

static struct {
    const char *conninfo; /* STVS_DB: the primary */
    bool split;           /* STVS_STATS_DB is set: the workers' connections read there */
    pthread_key_t key;    /* a worker's connection to the primary, or NULL */
} primary;

static void primary_close(void *p)
{
    db_close(p);
    free(p);
}

int stats_init(const stvs_config *cfg)
{
    const char *reads = "";
    primary.conninfo = cfg->db_conninfo;
    if (config_str("STVS_STATS_DB", "", &reads))
        return -1;
    if (*reads) {
        if (pthread_key_create(&primary.key, primary_close) != 0)
            return -1;
        primary.split = true;
        /* app.c opens the workers' connections after this hook, with this conninfo */
        app_config.db_conninfo = reads;
        log_info("reading through STVS_STATS_DB, writing through STVS_DB");
    }
    return stats_fold_start(primary.conninfo);
}

void stats_cleanup(void)
{
    stats_fold_stop();
    if (primary.split)
        pthread_key_delete(primary.key); /* after app.c joined the workers: their destructors ran */
}

/* This worker's connection to the primary (made on first use), or NULL. */
static db_t *primary_db(req_t *r)
{
    if (!primary.split)
        return r->db;
    db_t *db = pthread_getspecific(primary.key);
    if (!db) {
        if (!(db = calloc(1, sizeof *db)))
            return NULL;
        if (pthread_setspecific(primary.key, db) != 0) {
            free(db);
            return NULL;
        }
        db_init(db, primary.conninfo, "stats-write", stats_sql, SQL__MAX, 0);
    }
    db->param_arena = &r->arena;
    return db;
}

PGresult *stats_write_or_reply(req_t *r, int stmt, int nparams, const char *const *params)
{
    db_t *db = primary_db(r);
    if (!db) {
        reply_error(r, ERR_INTERNAL, NULL);
        return NULL;
    }
    db_t *reads = r->db;
    r->db = db; /* so that a failure is answered from the connection it happened on */
    PGresult *res = db_query_or_reply(r, stmt, nparams, params);
    r->db = reads;
    return res;
}
