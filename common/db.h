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
struct db_variants;

typedef struct {
    const char *name;
    const char *sql;
    /* Planned for each call's parameters instead of prepared once: for
     * statements of optional filters ("$1 IS NULL OR ..."), whose one cached
     * plan cannot fit every combination. */
    bool plan_per_call;
    /* Written in variants (db_variant.c), or NULL: sql holds one "%s" where
     * the WHERE clause of the parameters' shape goes. */
    const struct db_variants *variants;
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
    SQL_COMMON_REGION_DISPLAYS,         /* region.c: every region's JSON, for the activity view */
    SQL_COMMON__END
};
extern const db_stmt common_sql[SQL_COMMON__END - DB_COMMON_STMT];
/* A service opts in per statement (service_t.common_sql): PREPARE needs
 * USAGE on every schema a statement names, which not every service's role
 * has (auth reads neither ref nor volunteer). */
#define DB_COMMON_BIT(stmt) (1u << ((stmt) - DB_COMMON_STMT))
#define COMMON_SQL_REGION DB_COMMON_BIT(SQL_COMMON_REGION)
#define COMMON_SQL_VOLUNTEER DB_COMMON_BIT(SQL_COMMON_VOLUNTEER_OF_USER)
#define COMMON_SQL_REGION_DISPLAYS DB_COMMON_BIT(SQL_COMMON_REGION_DISPLAYS)

/* A statement of optional filters written as a small closed set of texts,
 * one per shape of its parameters (which filters are present, and for some
 * their kind: a status, a region level), each text made of the service's
 * fragments (never of input) and prepared on a connection when first used,
 * then planned by PostgreSQL's plan cache like any prepared statement. Same
 * parameters, same numbering for every shape: an absent filter's parameter
 * is not in the text but keeps its type (types[]). */
#define DB_VARIANT_PART_MAX 4096 /* the bytes of one part of a text (where()) */
typedef struct db_variants {
    int nfilters;                                 /* the parameters shape() reads */
    unsigned (*shape)(const char *const *params); /* pure: the shape of these parameters */
    /* The shape's filters into buf, for the statement's part-th "%s" (0 or
     * 1: a page and its count are one text, and the two may read the
     * filtered rows differently): false when they do not fit. */
    bool (*where)(unsigned shape, int part, char *buf, size_t size); /* size: DB_VARIANT_PART_MAX */
    bool (*per_call)(unsigned shape); /* shapes kept on custom plans, or NULL: none */
    const unsigned *types;            /* every parameter's type OID (pg_type), filters then the others */
    int ntypes;
    const unsigned *checked; /* shapes parsed at connect, which between them use every fragment */
    int nchecked;
} db_variants;

/* The variants prepared on one session (db_variant.c): at most
 * DB_VARIANTS_KEPT; past that a shape runs unprepared (planned per call);
 * and whether the session is in plan_cache_mode = force_generic_plan. */
#define DB_VARIANTS_KEPT 64
typedef struct {
    const PGconn *conn; /* the session they belong to, with its backend's pid: */
    int backend_pid;    /* a new session (a reconnect, a fail-back) starts empty */
    int n;
    bool generic;
    struct {
        int stmt;
        unsigned shape;
    } kept[DB_VARIANTS_KEPT];
} db_variant_cache;

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
    db_variant_cache variants;
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
/* db_exec of a statement answering one row whose column "n" counts what it
 * did (a background job's batch: the stats fold, the list's refresh): true
 * with *n set, false when it failed (db.c logged it). */
bool db_exec_count(db_t *db, int stmt, int nparams, const char *const *params, long long *n);
/* A constant SQL string, no parameters (BEGIN, SELECT 1). Outside a
 * transaction, a dead connection is replaced and the statement run again,
 * as in db_exec. */
int db_simple(db_t *db, const char *sql);
int db_begin(db_t *db);
int db_commit(db_t *db);      /* refused (and rolled back) once param_arena has failed */
void db_rollback(db_t *db);   /* no-op outside a transaction; app.c calls it after every request */

/* db_variant.c, for db.c: runs a statement written in variants, preparing
 * its shape's text first on this session if need be (never NULL: a failed
 * result when something fails); and parses every shape of `checked` at connect
 * (NULL when they all parse, else the failed result). */
PGresult *db_variant_exec(db_t *db, int stmt, const db_stmt *st, int nparams, const char *const *params);
PGresult *db_variant_check(PGconn *conn, const db_stmt *st);
/* Before any other statement and BEGIN: the session back at the role's own
 * plan_cache_mode if a variant left it in force_generic_plan (NULL, or the
 * failed result). */
PGresult *db_variant_plain(db_t *db);
/* A statement's text for one shape into buf (also bench/sqldump.c): false
 * when it does not fit. */
bool db_variant_sql(const db_stmt *st, unsigned shape, char *buf, size_t size);

/* Column helpers: read by name; a NULL value reads as NULL / 0. db_value
 * reads by number (found once for many rows): its text, or NULL. */
const char *db_value(const PGresult *res, int row, int col);
/* The numbers of n named columns into cols, for a view read by number;
 * false (logged, naming what) when one is missing. */
bool db_columns(const PGresult *res, const char *const *names, int n, int *cols, const char *what);
const char *db_str(const PGresult *res, int row, const char *col);
/* A json column (to_json, json_agg, a region's display) as a new value;
 * fallback (which it takes) when the column is NULL or not JSON. */
json_t *db_json(const PGresult *res, int row, const char *col, json_t *fallback);
long long db_int(const PGresult *res, int row, const char *col);
double db_num(const PGresult *res, int row, const char *col);
bool db_bool(const PGresult *res, int row, const char *col);
bool db_isnull(const PGresult *res, int row, const char *col);

#endif
