/* Statements written in variants (db.h, db_variants): each shape's text is
 * prepared on a session the first time a request of that shape runs there,
 * named "<statement>/<shape in hex>", kept for the session's life, and run on
 * its generic plan (plan_cache_mode = force_generic_plan while it runs), so it
 * is planned once per session instead of on every call. Left to the plan
 * cache's own choice (auto), most of the list's shapes stayed on custom
 * plans, each planned again on every call: a custom plan's estimate is the
 * cheaper one whenever the values are known (bench/ANALYSIS.md). A shape
 * whose generic plan would be wrong is planned per call instead
 * (db_variants.per_call), under the role's own plan_cache_mode, as every
 * other statement is: the session goes back to it (RESET) before any other
 * statement and before BEGIN (db_variant_plain), and never leaves it inside
 * a transaction, where a rollback would undo the SET behind our back. */
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "log.h"

/* The statement texts are a few hundred bytes of columns plus the WHERE. */
#define VARIANT_SQL_MAX 12288

bool db_variant_sql(const db_stmt *st, unsigned shape, char *buf, size_t size)
{
    char where[2][DB_VARIANT_PART_MAX];
    if (!st->variants || !st->variants->where(shape, 0, where[0], sizeof where[0]) ||
        !st->variants->where(shape, 1, where[1], sizeof where[1]))
        return false;
    /* st->sql: a constant of sql.def with one %s, or two (a page's count,
     * then its rows, in one statement); an argument the format does not use
     * is ignored */
    int n = snprintf(buf, size, st->sql, where[0], where[1]);
    return n > 0 && (size_t)n < size;
}

/* NULL when res is a command's success (then cleared), else the failed
 * result: libpq's, or a made one when it returned none. */
static PGresult *command_failure(PGconn *conn, PGresult *res)
{
    if (res && PQresultStatus(res) == PGRES_COMMAND_OK) {
        PQclear(res);
        return NULL;
    }
    return res ? res : PQmakeEmptyPGresult(conn, PGRES_FATAL_ERROR);
}

/* The text of st's shape into buf: NULL, or (logged) a failed result. */
static PGresult *shape_sql(PGconn *conn, const db_stmt *st, unsigned shape, char *buf, size_t size)
{
    if (db_variant_sql(st, shape, buf, size))
        return NULL;
    log_error("db: %s: the text of shape %x does not fit", st->name, shape);
    return PQmakeEmptyPGresult(conn, PGRES_FATAL_ERROR);
}

/* The cache of this session: emptied when the session is not the one it
 * was filled on (prepared statements die with their session). */
static db_variant_cache *session_cache(db_t *db)
{
    db_variant_cache *c = &db->variants;
    int pid = PQbackendPID(db->conn);
    if (c->conn != db->conn || c->backend_pid != pid) {
        c->conn = db->conn;
        c->backend_pid = pid;
        c->n = 0;
        c->generic = false; /* a new session has the role's own settings */
    }
    return c;
}

/* The session in force_generic_plan (generic) or back at the role's own
 * plan_cache_mode: NULL when it already is or the SET worked, else the
 * failed result. */
static PGresult *plan_mode(db_t *db, db_variant_cache *c, bool generic)
{
    if (c->generic == generic)
        return NULL;
    PGresult *res = command_failure(
        db->conn, PQexec(db->conn, generic ? "SET plan_cache_mode = force_generic_plan" : "RESET plan_cache_mode"));
    if (res) /* a failed SET changes nothing */
        return res;
    c->generic = generic;
    return NULL;
}

PGresult *db_variant_plain(db_t *db)
{
    if (!db->conn || PQstatus(db->conn) != CONNECTION_OK || !db->variants.generic)
        return NULL;
    return plan_mode(db, session_cache(db), false);
}

static bool kept(const db_variant_cache *c, int stmt, unsigned shape)
{
    for (int i = 0; i < c->n; i++)
        if (c->kept[i].stmt == stmt && c->kept[i].shape == shape)
            return true;
    return false;
}

/* A kept variant, on its generic plan; inside a transaction the mode stays
 * the role's (see the top). */
static PGresult *run_kept(db_t *db, db_variant_cache *c, const char *name, int nparams, const char *const *params)
{
    PGresult *res = db->in_tx ? NULL : plan_mode(db, c, true);
    return res ? res : PQexecPrepared(db->conn, name, nparams, params, NULL, NULL, 0);
}

PGresult *db_variant_exec(db_t *db, int stmt, const db_stmt *st, int nparams, const char *const *params)
{
    const db_variants *v = st->variants;
    char sql[VARIANT_SQL_MAX], name[64];
    if (nparams < v->nfilters || nparams > v->ntypes) {
        log_error("db: %s takes %d to %d parameters, not %d", st->name, v->nfilters, v->ntypes, nparams);
        return PQmakeEmptyPGresult(db->conn, PGRES_FATAL_ERROR);
    }
    unsigned shape = v->shape(params);
    db_variant_cache *c = session_cache(db);
    PGresult *res;
    snprintf(name, sizeof name, "%s/%x", st->name, shape);
    bool per_call = v->per_call && v->per_call(shape);
    if (!per_call && kept(c, stmt, shape))
        return run_kept(db, c, name, nparams, params);
    if ((res = shape_sql(db->conn, st, shape, sql, sizeof sql)))
        return res;
    /* shapes whose generic plan would be worse, and any past the cache's
     * room, are planned for each call's values (the unnamed statement) */
    if (per_call || c->n == DB_VARIANTS_KEPT) {
        if ((res = plan_mode(db, c, false)))
            return res;
        return PQexecParams(db->conn, sql, nparams, v->types, params, NULL, NULL, 0);
    }
    if ((res = command_failure(db->conn, PQprepare(db->conn, name, sql, nparams, v->types))))
        return res;
    c->kept[c->n].stmt = stmt;
    c->kept[c->n].shape = shape;
    c->n++;
    return run_kept(db, c, name, nparams, params);
}

PGresult *db_variant_check(PGconn *conn, const db_stmt *st)
{
    const db_variants *v = st->variants;
    char sql[VARIANT_SQL_MAX];
    for (int i = 0; i < v->nchecked; i++) {
        PGresult *res = shape_sql(conn, st, v->checked[i], sql, sizeof sql);
        /* the unnamed statement: parsed and typed, not planned, not kept */
        if (res || (res = command_failure(conn, PQprepare(conn, "", sql, v->ntypes, v->types))))
            return res;
    }
    return NULL;
}
