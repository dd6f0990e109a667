/* A request as a handler sees it, and the helpers that answer it. The
 * response is buffered: nothing goes out until the handler returns, so
 * any path can still turn into an error. */
#ifndef STVS_HTTP_H
#define STVS_HTTP_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "db.h"
#include "errors.h"
#include "json_out.h"

#define MAX_BODY (1024 * 1024)
#define MAX_PATH_PARAMS 4
#define MAX_QUERY_PARAMS 32
#define MAX_EXTRA_HEADERS 6
#define MAX_FIELD_ERRORS 100 /* entries of a 422's errors; past that errors_truncated */

typedef struct {
    const char *name, *value;
} kv_t;

typedef struct req {
    arena_t arena;      /* owns every string below */
    db_t *db;           /* this worker's connection */

    const char *method;
    const char *path;   /* after the /api/v1 prefix, e.g. /auth/me */
    const char *content_type;
    const char *authorization;
    const char *if_match;    /* the If-Match header, or NULL (valid until the response is sent) */
    const char *accept;      /* the Accept header, or NULL (valid until the response is sent) */
    const char *remote_addr; /* from nginx's $remote_addr, never a client header */
    char request_id[129];
    const char *body;
    size_t body_len;
    json_t *json;       /* parsed body (owned; freed at request end) */

    long long path_ids[MAX_PATH_PARAMS];
    int npath_ids;
    kv_t query[MAX_QUERY_PARAMS];
    int nquery;

    /* set by the bearer check on ROUTE_AUTH routes */
    long long user_id;
    const char *session_id;

    /* collected field errors, flushed by fields_failed_reply(): at most
     * MAX_FIELD_ERRORS kept, nfield_errors counts them all */
    json_t *field_errors;
    size_t nfield_errors;

    /* response */
    int status;
    json_t *resp;       /* owned */
    const void *resp_bytes; /* or a body that is not JSON (in the arena) */
    size_t resp_bytes_len;
    const char *content_type_out;
    kv_t headers[MAX_EXTRA_HEADERS];
    int nheaders;
    bool replied;
} req_t;

/* Answers. Each marks the request replied; a handler returns right after.
 * A later answer replaces an earlier one (body and status; headers stay). */
void reply_json(req_t *r, int status, json_t *body);   /* steals body */
/* How a reply's JSON is printed: as json_out prints it. */
#define REPLY_JSON_FLAGS JSON_OUT_DUMP_FLAGS
void reply_empty(req_t *r, int status);
/* A JSON body written with json_out (the writer stays the caller's to
 * free); 500 when the writer failed. */
void reply_json_out(req_t *r, int status, const json_out *body);
/* Answers status with row of res written by write (json_out.h). */
typedef void (*row_write_fn)(json_out *o, const PGresult *res, int row);
void reply_row_out(req_t *r, int status, const PGresult *res, int row, row_write_fn write);
/* A body that is not JSON (a spreadsheet): copied into the arena. */
void reply_bytes(req_t *r, int status, const char *content_type, const void *data, size_t n);
void reply_error(req_t *r, err_code e, const char *detail);
void reply_header(req_t *r, const char *name, const char *value); /* value copied */

/* A statement's expected refusal (its db_stmt's .refusals, a list ended by
 * {0}): a violation of class status, of the named constraint or of any
 * (NULL), answers error with detail; with field, a 422 naming that field
 * (its code: error's code, its message: detail). In sql.def rows:
 *   .refusals = DB_REFUSALS({DB_UNIQUE, "orgs_name_unique", ERR_ALREADY_EXISTS, "a name taken", NULL})
 */
typedef struct db_refusal {
    db_status status; /* DB_UNIQUE, DB_FOREIGN_KEY or DB_CHECK; DB_OK ends the list */
    const char *constraint;
    err_code error;
    const char *detail;
    const char *field;
} db_refusal;
#define DB_REFUSALS(...) ((const db_refusal[]){__VA_ARGS__, {0}})
/* The refusal of list that the database's answer (status, constraint)
 * matches, or NULL. */
const db_refusal *db_refusal_find(const db_refusal *list, db_status status, const char *constraint);

/* After a failed database call: the failing statement's refusal when one
 * matches; else 503 when the database is down or read-only (a standby), 422 for a check the handler
 * let through, 500 for anything else. */
void reply_db_error(req_t *r);

/* Database calls that answer themselves when they fail (reply_db_error), so
 * a handler just returns. */
PGresult *db_query_or_reply(req_t *r, int stmt, int nparams, const char *const *params); /* caller PQclear()s */
bool db_do_or_reply(req_t *r, int stmt, int nparams, const char *const *params);         /* rows not needed */
bool db_begin_or_reply(req_t *r);
bool db_commit_or_reply(req_t *r);
/* The result of a statement that finds one row (the caller PQclear()s), or
 * NULL after answering: 404 with detail missing when it found none. */
PGresult *db_row_or_reply(req_t *r, int stmt, int nparams, const char *const *params, const char *missing);

/* Turns row `row` of a result into JSON (a new value; NULL when it cannot). */
typedef json_t *(*row_json_fn)(req_t *r, const PGresult *res, int row);
/* The one row stmt finds for id, as row() shows it, or NULL after answering
 * (404 missing, the database's error, or 500 when row() made nothing). */
json_t *row_or_reply(req_t *r, int stmt, long long id, row_json_fn row, const char *missing);

/* The request owns v (a new reference) until it ends: for JSON a handler
 * builds and does not answer with. Returns v; NULL for a NULL v, or when it
 * could not be taken (out of memory: v is released, the arena failed). */
json_t *req_own(req_t *r, json_t *v);
/* v as compact JSON text in the request's arena: a statement's json
 * parameter. NULL for a NULL v (SQL NULL); out of memory, NULL with the
 * arena failed (db_exec then refuses to run). json_text takes jansson's
 * dump flags. */
char *json_param(req_t *r, const json_t *v);
char *json_text(req_t *r, const json_t *v, size_t flags);

/* Field errors: collect, then one 422 naming every bad field (the first
 * MAX_FIELD_ERRORS of them, then "errors_truncated": true). */
void field_error(req_t *r, const char *field, const char *code, const char *message);
bool fields_failed_reply(req_t *r); /* true (and replied 422) when any error was collected */

const char *query_get(const req_t *r, const char *name); /* first value, decoded, or NULL */
/* "%lld" in the request's arena. NULL only when the arena is out of memory,
 * which marks it failed: db_exec then refuses every statement (a 500), so
 * the NULL never runs as SQL NULL, and dispatch answers 500 whatever the
 * handler replied. */
const char *id_str(req_t *r, long long id);

/* Paging ?page=&page_size= (defaults 1 and 20, page_size ≤ PAGE_SIZE_MAX),
 * read by query_fields() (body.h) from its own field table. */
#define PAGE_SIZE_MAX 100
#define SQL_NUMBER_(n) #n
#define SQL_NUMBER(n) SQL_NUMBER_(n)
/* A page's ids, at most PAGE_SIZE_MAX, said to the planner: on a generic
 * plan LIMIT $n is guessed at 10% of the matches, and a list whose status
 * matches half the table then joined its "page" of 5,825 ids to the whole
 * table by hash (status=ended: 102 ms, 2 ms with this; docs/query-plans.md,
 * session 6). Wraps a subquery that has its own LIMIT $n. */
#define PAGE_IDS_AT_MOST(subquery) "(SELECT * FROM (" subquery ") page LIMIT " SQL_NUMBER(PAGE_SIZE_MAX) ")"
typedef struct {
    long long page, page_size, offset;
} paging_t;

/* API.md v1.1: a list may cap its count. Past PAGE_TOTAL_CAP matches the
 * answer says total 10000 and "total_capped": true. CAPPED_COUNT wraps a
 * list's FROM ... WHERE so that its count stops at the cap + 1 rows instead
 * of counting every match (the pages are unaffected). */
#define PAGE_TOTAL_CAP 10000
#define PAGE_COUNT_LIMIT "10001" /* the cap + 1: a count that reaches it is capped */
#define CAPPED_COUNT(from_where) "SELECT count(*) AS total FROM (SELECT 1" from_where " LIMIT " PAGE_COUNT_LIMIT ") capped"

/* Answers 200 {"items", "total", "page", "page_size"}: count_stmt counts the
 * rows its nfilter parameters select, page_stmt takes the same parameters
 * plus LIMIT and OFFSET (params needs room for them) and each row becomes
 * row_json(r, res, row). A total over PAGE_TOTAL_CAP is answered as the cap
 * with "total_capped": true. */
void reply_page(req_t *r, int count_stmt, int page_stmt, int nfilter, const char **params, const paging_t *pg,
                row_json_fn row_json);

/* A page and its capped count in one statement (one round trip): the
 * count's one row LEFT JOINed to the page's rows, so every row has "total"
 * and an empty page is one row whose columns of the page are NULL.
 * COUNTED_PAGE_OF takes the count as a whole SELECT of one row, one column
 * total (at most PAGE_COUNT_LIMIT), for a count not made by CAPPED_COUNT. */
#define COUNTED_PAGE_OF(count, page) "SELECT c.total, p.* FROM (" count ") c LEFT JOIN (" page ") p ON true"
#define COUNTED_PAGE(count_from_where, page) COUNTED_PAGE_OF(CAPPED_COUNT(count_from_where), page)
/* reply_page for a COUNTED_PAGE statement, written straight out
 * (json_out.h): write_items writes the result's items (its rows whose
 * columns of the page are not NULL), each a value of the open array. */
typedef void (*items_write_fn)(json_out *o, const PGresult *res);
void reply_counted_page(req_t *r, int stmt, int nfilter, const char **params, const paging_t *pg,
                        items_write_fn write_items);

#endif
