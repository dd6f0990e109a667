/* One PostgreSQL connection of a process's pool (dbpool.h). Every statement a service can
 * run is listed in its sql.c table and prepared once per connection (and
 * again after a reconnect, since prepared statements die with the session).
 * The statements common/'s own helpers run (a region lookup, the caller's
 * volunteer id) are common's: listed once in common/common_sql.c, prepared
 * on every connection of a service that opts in to them, alongside its own,
 * so layering goes one way (services call common, never the reverse). */
#ifndef STVS_DB_H
#define STVS_DB_H
#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "arena.h"

/* What a statement's refusals become for the client (http.h): which
 * constraint violation answers which problem, next to the SQL that can
 * raise it. */
struct db_refusal;

typedef struct {
    const char *name;
    const char *sql;
    /* Planned for each call's parameters instead of prepared once: for
     * statements of optional filters ("$1 IS NULL OR ..."), whose one cached
     * plan cannot fit every combination. */
    bool plan_per_call;
    /* The constraint violations this statement expects, or NULL: any
     * violation is then a bug (500). */
    const struct db_refusal *refusals;
} db_stmt;

/* common/'s statements: ids from DB_COMMON_STMT, apart from any service's
 * enum, run with db_exec like the service's own. */
#define DB_COMMON_STMT 1000
enum {
    SQL_COMMON_REGION = DB_COMMON_STMT, /* region.c: a GB/T 2260 code, its level and range */
    SQL_COMMON_VOLUNTEER_OF_USER,       /* volunteer_view.c: the volunteer id of a user */
    SQL_COMMON__END
};
extern const db_stmt common_sql[SQL_COMMON__END - DB_COMMON_STMT];
/* A service opts in per statement (service_t.common_sql): PREPARE needs
 * USAGE on every schema a statement names, which not every service's role
 * has (auth reads neither ref nor volunteer). */
#define DB_COMMON_BIT(stmt) (1u << ((stmt) - DB_COMMON_STMT))
#define COMMON_SQL_REGION DB_COMMON_BIT(SQL_COMMON_REGION)
#define COMMON_SQL_VOLUNTEER DB_COMMON_BIT(SQL_COMMON_VOLUNTEER_OF_USER)

typedef enum {
    DB_OK,
    DB_UNAVAILABLE,  /* connection lost, cannot connect, or statement timeout */
    DB_UNIQUE,       /* 23505 */
    DB_FOREIGN_KEY,  /* 23503 */
    DB_CHECK,        /* 23514 / 23502 */
    DB_SERIALIZATION,/* 40001 / 40P01 */
    DB_READ_ONLY,    /* 25006: a write reached a standby (a read pool, or a primary demoted): 503 */
    DB_ERROR,        /* anything else: a bug; the last value (metrics.c counts by class up to it) */
} db_status;

typedef struct {
    PGconn *conn;
    const char *conninfo;
    const char *app_name;
    const db_stmt *stmts;
    int nstmts;
    unsigned common; /* the COMMON_SQL_* statements prepared as well */
    bool in_tx;
    /* The arena the statements' parameters come from (the worker's request
     * arena), or NULL. Once it has failed an allocation, a NULL parameter
     * may stand for a value that could not be made: db_exec and db_commit
     * then refuse (DB_ERROR, so a 500) rather than run with SQL NULL. */
    const arena_t *param_arena;
    db_status last;
    bool connected_once; /* a later connect is a reconnect (metrics) */
    /* Fail-back (read pools): a conninfo with target_session_attrs=
     * prefer-standby lands on the primary while the standby is down and
     * libpq never moves it back. Between requests, at most every
     * db_failback_seconds, such a worker on a primary tries the standby. */
    bool prefer_standby;
    bool request_boundary; /* no statement ran since the last request ended */
    long failback_at;      /* monotonic second of the next try */
    int failed_stmt;    /* the statement last refused or failed (db_exec), -1 for BEGIN, COMMIT... */
    char sqlstate[6];
    char constraint[64];
} db_t;

void db_init(db_t *db, const char *conninfo, const char *app_name, const db_stmt *stmts, int nstmts,
             unsigned common);
/* Connects and prepares every statement (the service's, then the common
 * ones it opted in to). -1 when the database is down;
 * -2 when a statement fails to prepare (a bug: the caller should exit). */
int db_connect(db_t *db);
/* STVS_DB_FAILBACK_SECONDS (config.c sets it for every connection; 30). */
extern long db_failback_seconds;
/* Whether a conninfo (key=value or URI) asks for target_session_attrs=prefer-standby. */
bool db_prefers_standby(const char *conninfo);
/* Whether a worker should try its standby now: it prefers one, sits outside
 * a transaction at a request boundary, its server reports in_hot_standby
 * "off" (a primary; NULL before PostgreSQL 14: never) and the time has come. */
bool db_failback_due(const db_t *db, const char *in_hot_standby, long now);
void db_close(db_t *db);
/* Statement `stmt` of this connection (its service's, or a common one it
 * opted in to), or NULL. */
const db_stmt *db_statement(const db_t *db, int stmt);

/* Runs prepared statement `stmt` (the service's, or a SQL_COMMON_* it
 * opted in to) with text parameters (NULL = SQL NULL).
 * Returns a result the caller PQclear()s, or NULL with db->last set.
 * Outside a transaction, a statement that finds the connection dead is
 * retried on a fresh connection (the database came back), and one chosen as
 * a deadlock or serialization victim is run again (it ran nothing). */
PGresult *db_exec(db_t *db, int stmt, int nparams, const char *const *params);
/* A constant SQL string, no parameters (BEGIN, SELECT 1). Outside a
 * transaction, a dead connection is replaced and the statement run again,
 * as in db_exec. */
int db_simple(db_t *db, const char *sql);
int db_begin(db_t *db);
int db_commit(db_t *db);      /* refused (and rolled back) once param_arena has failed */
void db_rollback(db_t *db);   /* no-op outside a transaction; app.c calls it after every request */

/* Column helpers: read by name; a NULL value reads as NULL / 0. */
const char *db_str(const PGresult *res, int row, const char *col);
/* A json column (to_json, json_agg, ref.region_json) as a new value;
 * fallback (which it takes) when the column is NULL or not JSON. */
json_t *db_json(const PGresult *res, int row, const char *col, json_t *fallback);
long long db_int(const PGresult *res, int row, const char *col);
double db_num(const PGresult *res, int row, const char *col);
bool db_bool(const PGresult *res, int row, const char *col);
bool db_isnull(const PGresult *res, int row, const char *col);

#endif
