#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "datetime.h"
#include "log.h"
#include "metrics.h"

void db_init(db_t *db, const char *conninfo, const char *app_name, const db_stmt *stmts, int nstmts,
             unsigned common)
{
    memset(db, 0, sizeof *db);
    db->conninfo = conninfo;
    db->app_name = app_name;
    db->stmts = stmts;
    db->nstmts = nstmts;
    db->failed_stmt = -1;
    db->common = common;
    db->prefer_standby = db_prefers_standby(conninfo);
}

long db_failback_seconds = 30;

bool db_prefers_standby(const char *conninfo)
{
    PQconninfoOption *opts = conninfo ? PQconninfoParse(conninfo, NULL) : NULL;
    bool yes = false;
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (!strcmp(o->keyword, "target_session_attrs"))
            yes = o->val && !strcmp(o->val, "prefer-standby");
    PQconninfoFree(opts);
    return yes;
}

bool db_failback_due(const db_t *db, const char *in_hot_standby, long now)
{
    return db->prefer_standby && !db->in_tx && db->request_boundary && in_hot_standby &&
           !strcmp(in_hot_standby, "off") && now >= db->failback_at;
}

const db_stmt *db_statement(const db_t *db, int stmt)
{
    if (stmt >= 0 && stmt < db->nstmts)
        return &db->stmts[stmt];
    if (stmt >= DB_COMMON_STMT && stmt < SQL_COMMON__END && (db->common & DB_COMMON_BIT(stmt)))
        return &common_sql[stmt - DB_COMMON_STMT];
    return NULL;
}

void db_close(db_t *db)
{
    if (db->conn)
        PQfinish(db->conn);
    db->conn = NULL;
    db->in_tx = false;
}

static void set_status(db_t *db, const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *cons = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
    snprintf(db->sqlstate, sizeof db->sqlstate, "%s", state ? state : "");
    snprintf(db->constraint, sizeof db->constraint, "%s", cons ? cons : "");
    if (!db->conn || PQstatus(db->conn) != CONNECTION_OK || !state || !strncmp(state, "08", 2) ||
        !strncmp(state, "57", 2) /* admin shutdown, statement timeout */ || !strcmp(state, "53300"))
        db->last = DB_UNAVAILABLE;
    else if (!strcmp(state, "23505"))
        db->last = DB_UNIQUE;
    else if (!strcmp(state, "23503"))
        db->last = DB_FOREIGN_KEY;
    else if (!strcmp(state, "23514") || !strcmp(state, "23502"))
        db->last = DB_CHECK;
    else if (!strcmp(state, "40001") || !strcmp(state, "40P01"))
        db->last = DB_SERIALIZATION;
    else if (!strcmp(state, "25006"))
        db->last = DB_READ_ONLY;
    else
        db->last = DB_ERROR;
    metrics_db_error(db->last);
}

/* A new session with every statement prepared, or NULL with *rc -1 (the
 * database is unreachable) or -2 (a statement does not prepare: a bug).
 * `attrs` overrides the conninfo's target_session_attrs when not NULL. */
static PGconn *open_session(db_t *db, const char *attrs, int *rc)
{
    /* statement_timeout (5 s) and TimeZone are the login roles' own settings
     * (ALTER ROLE ... SET, migration 013), not startup options: a pooler may
     * drop or refuse those. */
    const char *keys[] = {"dbname", "connect_timeout", "application_name", attrs ? "target_session_attrs" : NULL,
                          NULL};
    const char *vals[] = {db->conninfo, "3", db->app_name, attrs, NULL};
    /* expand_dbname=1: STVS_DB is a full conninfo (several hosts and
     * target_session_attrs included); the keys after it are ours and win. */
    PGconn *conn = PQconnectdbParams(keys, vals, 1);
    if (!conn || PQstatus(conn) != CONNECTION_OK) {
        PQfinish(conn);
        *rc = -1;
        return NULL;
    }
    /* times are read in PostgreSQL's ISO text (rfc3339_from_pg); the login
     * roles say so (migration 019), a session that does not is misconfigured */
    const char *datestyle = PQparameterStatus(conn, "DateStyle");
    if (!datestyle || strncmp(datestyle, "ISO", 3)) {
        log_error("db: the session's DateStyle is %s, not ISO (migration 019 sets it for the services' roles)",
                  datestyle ? datestyle : "unknown");
        PQfinish(conn);
        *rc = -2;
        return NULL;
    }
    for (int i = 0; i < db->nstmts + (SQL_COMMON__END - DB_COMMON_STMT); i++) {
        const db_stmt *st = db_statement(db, i < db->nstmts ? i : DB_COMMON_STMT + (i - db->nstmts));
        if (!st)
            continue; /* a common statement this service did not opt in to */
        /* a statement planned per call is still parsed here: a typo fails at start-up */
        PGresult *res = st->variants ? db_variant_check(conn, st) : PQprepare(conn, st->name, st->sql, 0, NULL);
        if (st->variants && !res)
            continue; /* prepared when first used (db_variant.c) */
        if (res && PQresultStatus(res) == PGRES_COMMAND_OK) {
            PQclear(res);
            continue;
        }
        PGconn *keep = db->conn;
        db->conn = conn; /* set_status reads the connection's state */
        set_status(db, res);
        db->conn = keep;
        if (db->last != DB_UNAVAILABLE)
            log_error("db: statement %s does not prepare: %s", st->name, res ? PQresultErrorMessage(res) : "no result");
        PQclear(res);
        PQfinish(conn);
        *rc = db->last == DB_UNAVAILABLE ? -1 : -2;
        return NULL;
    }
    *rc = 0;
    return conn;
}

int db_connect(db_t *db)
{
    int rc;
    db_close(db);
    db->conn = open_session(db, NULL, &rc);
    if (!db->conn) {
        if (rc == -1) {
            db->last = DB_UNAVAILABLE;
            db->sqlstate[0] = db->constraint[0] = '\0'; /* no statement ran */
            metrics_db_connect(false, db->connected_once);
        }
        return rc;
    }
    db->last = DB_OK;
    db->request_boundary = true;
    db->failback_at = (long)monotonic_seconds() + db_failback_seconds;
    metrics_db_connect(true, db->connected_once);
    db->connected_once = true;
    return 0;
}

/* A read-pool worker left on the primary by an outage tries its standby:
 * target_session_attrs=standby, so a standby still down costs one refused
 * connect and no statement; the old session stays in use until the new one
 * is ready, so no request sees an error. */
static void fail_back(db_t *db)
{
    long now = (long)monotonic_seconds();
    if (!db_failback_due(db, PQparameterStatus(db->conn, "in_hot_standby"), now))
        return;
    db->failback_at = now + db_failback_seconds;
    int rc;
    PGconn *standby = open_session(db, "standby", &rc);
    if (!standby)
        return;
    PQfinish(db->conn);
    db->conn = standby;
    metrics_db_connect(true, true);
    log_info("db: %s is back on a standby", db->app_name ? db->app_name : "connection");
}

static bool result_ok(const PGresult *res)
{
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

static bool ensure_connected(db_t *db)
{
    if (db->conn && PQstatus(db->conn) == CONNECTION_OK) {
        if (db->prefer_standby)
            fail_back(db);
        db->request_boundary = false;
        return true;
    }
    if (db->in_tx) { /* the transaction died with the connection */
        db->last = DB_UNAVAILABLE;
        snprintf(db->sqlstate, sizeof db->sqlstate, "%s", "");
        return false;
    }
    return db_connect(db) == 0;
}

static const char *status_name(db_status st)
{
    switch (st) {
    case DB_OK: return "ok";
    case DB_UNAVAILABLE: return "unavailable";
    case DB_UNIQUE: return "unique_violation";
    case DB_FOREIGN_KEY: return "foreign_key_violation";
    case DB_CHECK: return "check_violation";
    case DB_SERIALIZATION: return "serialization_failure";
    case DB_READ_ONLY: return "read_only_sql_transaction";
    case DB_ERROR: return "error";
    }
    return "?";
}

/* Every failed statement, whatever its class, leaves one line naming the
 * statement, its SQLSTATE and constraint: never the server's message, which
 * quotes values ("Key (phone)=(...) already exists"). A unique or foreign key
 * violation is usually a 409 the handler expects (info); a lost connection,
 * a timeout, a check or a serialization failure is worth a look (warn); any
 * other class is a bug (error). */
static void log_failure(const db_t *db, const char *what, const char *then)
{
    const char *level = db->last == DB_ERROR                                       ? "error"
                        : db->last == DB_UNIQUE || db->last == DB_FOREIGN_KEY ? "info"
                                                                               : "warn";
    log_msg(level, NULL, "db: %s failed with SQLSTATE %s (%s%s%s)%s", what,
            db->sqlstate[0] ? db->sqlstate : "none", status_name(db->last), db->constraint[0] ? ", constraint " : "",
            db->constraint, then);
}

/* A NULL parameter after the request's arena failed an allocation may be a
 * value that could not be made (an id_str() of a code to burn): refuse. */
static bool params_lost(db_t *db, const char *what)
{
    if (!db->param_arena || !arena_failed(db->param_arena))
        return false;
    db->last = DB_ERROR;
    snprintf(db->sqlstate, sizeof db->sqlstate, "%s", "");
    db->constraint[0] = '\0';
    log_msg("error", NULL, "db: %s refused: the request ran out of memory, a parameter may be missing", what);
    return true;
}

/* A statement not written in variants, once the session is back at the
 * role's plan_cache_mode (a variant may have left it elsewhere). */
static PGresult *exec_plain(db_t *db, const db_stmt *st, int nparams, const char *const *params)
{
    PGresult *res = db_variant_plain(db);
    if (res)
        return res;
    /* the unnamed statement of PQexecParams is planned with these values */
    return st->plan_per_call ? PQexecParams(db->conn, st->sql, nparams, NULL, params, NULL, NULL, 0)
                             : PQexecPrepared(db->conn, st->name, nparams, params, NULL, NULL, 0);
}

PGresult *db_exec(db_t *db, int stmt, int nparams, const char *const *params)
{
    db->failed_stmt = -1;
    const db_stmt *st = db_statement(db, stmt);
    if (!st) {
        db->last = DB_ERROR;
        log_msg("error", NULL, "db: statement %d is not prepared on this connection", stmt);
        return NULL;
    }
    db->failed_stmt = stmt; /* until it succeeds */
    if (params_lost(db, st->name))
        return NULL;
    for (int attempt = 0; attempt < 3; attempt++) {
        if (!ensure_connected(db))
            break;
        PGresult *res = st->variants ? db_variant_exec(db, stmt, st, nparams, params)
                                     : exec_plain(db, st, nparams, params);
        if (result_ok(res)) {
            db->last = DB_OK;
            db->failed_stmt = -1;
            return res;
        }
        set_status(db, res);
        PQclear(res);
        if (db->in_tx)
            break; /* the caller's transaction is lost: it decides */
        if (db->last == DB_SERIALIZATION && attempt < 2) {
            log_failure(db, st->name, "; running it again");
            continue; /* a single statement chosen as a deadlock victim ran nothing: run it again */
        }
        bool dead = !db->conn || PQstatus(db->conn) != CONNECTION_OK;
        if (db->last != DB_UNAVAILABLE || !dead)
            break;
        log_failure(db, st->name, "; reconnecting to run it again");
        db_close(db); /* reconnect and retry: nothing ran on the dead session */
    }
    log_failure(db, st->name, "");
    return NULL;
}

bool db_exec_count(db_t *db, int stmt, int nparams, const char *const *params, long long *n)
{
    PGresult *res = db_exec(db, stmt, nparams, params);
    if (!res)
        return false;
    *n = db_int(res, 0, "n");
    PQclear(res);
    return true;
}

int db_simple(db_t *db, const char *sql)
{
    db->failed_stmt = -1;
    for (int attempt = 0; attempt < 3; attempt++) {
        if (!ensure_connected(db)) {
            log_failure(db, sql, "");
            return -1;
        }
        PGresult *res = PQexec(db->conn, sql);
        if (result_ok(res)) {
            PQclear(res);
            db->last = DB_OK;
            return 0;
        }
        set_status(db, res);
        PQclear(res);
        /* Outside a transaction (BEGIN, SELECT 1), a session the server
         * ended (pg_terminate_backend, a restart) ran nothing: reconnect and
         * run it again, as db_exec does, instead of one 503 per worker. */
        bool dead = !db->conn || PQstatus(db->conn) != CONNECTION_OK;
        bool retry = !db->in_tx && attempt < 2 && db->last == DB_UNAVAILABLE && dead;
        log_failure(db, sql, retry ? "; reconnecting to run it again" : "");
        if (!retry)
            return -1;
        db_close(db);
    }
    return -1;
}

int db_begin(db_t *db)
{
    PQclear(db_variant_plain(db)); /* a failed RESET: BEGIN then finds the connection's state */
    if (db_simple(db, "BEGIN"))
        return -1;
    db->in_tx = true;
    return 0;
}

int db_commit(db_t *db)
{
    db->failed_stmt = -1;
    if (params_lost(db, "COMMIT")) {
        db_rollback(db);
        return -1;
    }
    int rc = db_simple(db, "COMMIT");
    db->in_tx = false;
    return rc;
}

void db_rollback(db_t *db)
{
    db->request_boundary = true; /* app.c: after every request */
    if (!db->in_tx)
        return;
    db->in_tx = false;
    if (db->conn && PQstatus(db->conn) == CONNECTION_OK) {
        PGresult *res = PQexec(db->conn, "ROLLBACK");
        PQclear(res);
    }
}

static int col(const PGresult *res, const char *name)
{
    int c = PQfnumber(res, name);
    if (c < 0)
        log_error("db: result has no column %s", name);
    return c;
}

bool db_isnull(const PGresult *res, int row, const char *name)
{
    int c = col(res, name);
    return c < 0 || PQgetisnull(res, row, c);
}

const char *db_value(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

bool db_columns(const PGresult *res, const char *const *names, int n, int *cols, const char *what)
{
    for (int i = 0; i < n; i++)
        if ((cols[i] = PQfnumber(res, names[i])) < 0) {
            log_error("db: %s's result has no column %s", what, names[i]);
            return false;
        }
    return true;
}

const char *db_str(const PGresult *res, int row, const char *name)
{
    int c = col(res, name);
    if (c < 0 || PQgetisnull(res, row, c))
        return NULL;
    return PQgetvalue(res, row, c);
}

long long db_int(const PGresult *res, int row, const char *name)
{
    const char *v = db_str(res, row, name);
    return v ? strtoll(v, NULL, 10) : 0;
}

double db_num(const PGresult *res, int row, const char *name)
{
    const char *v = db_str(res, row, name);
    return v ? strtod(v, NULL) : 0;
}

json_t *db_json(const PGresult *res, int row, const char *name, json_t *fallback)
{
    const char *text = db_str(res, row, name);
    json_t *v = text ? json_loads(text, 0, NULL) : NULL;
    if (!v)
        return fallback;
    json_decref(fallback);
    return v;
}

bool db_bool(const PGresult *res, int row, const char *name)
{
    const char *v = db_str(res, row, name);
    return v && v[0] == 't';
}
