/* Where the stats service reads and where it writes. STVS_STATS_DB, when
 * set, is where it reads: a standby, or a standby-first multi-host conninfo
 * ("host=a,b target_session_attrs=prefer-standby"). Its few writes (a
 * target, the folds) go to STVS_DB, the primary, whatever STVS_STATS_DB
 * says: the handlers' writes share one connection there, opened at the
 * first write and taken in turn (a write is one statement; they are rare,
 * and a connection per thread would be 256 backends). Without
 * STVS_STATS_DB both are STVS_DB and a handler writes on its pool
 * connection. */
#include <pthread.h>
#include <stdlib.h>

#include "log.h"
#include "stats.h"

static struct {
    const char *conninfo; /* STVS_DB: the primary */
    bool split;           /* STVS_STATS_DB is set: the pool's connections read there */
    pthread_mutex_t lock; /* held while a write runs on db */
    db_t db;              /* the writes' connection to the primary (split), opened at its first statement */
} primary = {.lock = PTHREAD_MUTEX_INITIALIZER};

int stats_init(const stvs_config *cfg)
{
    const char *reads = "";
    primary.conninfo = cfg->db_conninfo;
    if (config_str("STVS_STATS_DB", "", &reads))
        return -1;
    if (*reads) {
        primary.split = true;
        db_init(&primary.db, primary.conninfo, "stats-write", stats_sql, SQL__MAX, 0);
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
        db_close(&primary.db); /* after app.c joined the workers */
}

PGresult *stats_write_or_reply(req_t *r, int stmt, int nparams, const char *const *params)
{
    if (!primary.split)
        return db_query_or_reply(r, stmt, nparams, params);
    db_t *reads = r->db;
    pthread_mutex_lock(&primary.lock);
    primary.db.param_arena = &r->arena;
    r->db = &primary.db; /* so that a failure is answered from the connection it happened on */
    PGresult *res = db_query_or_reply(r, stmt, nparams, params);
    r->db = reads;
    primary.db.param_arena = NULL;
    pthread_mutex_unlock(&primary.lock);
    return res;
}
