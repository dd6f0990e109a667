/* A service's route table: method, pattern, handler, flags. Patterns are
 * literal segments and {id} (a positive integer, read into r->path_ids). */
#ifndef STVS_ROUTE_H
#define STVS_ROUTE_H
#include <stddef.h>

#include "http.h"

typedef void (*handler_fn)(req_t *r);

enum {
    ROUTE_AUTH = 1,          /* a valid access token is required (401 otherwise) */
    ROUTE_AUTH_OPTIONAL = 2, /* public, but a token (if sent, it must be valid) may show more */
    ROUTE_RAW_BODY = 4,      /* the body is an upload: any Content-Type (the handler checks it), up to the
                                service's max_body instead of MAX_BODY */
    ROUTE_NO_DB = 8,         /* the handler never queries: it takes no pool connection, so it never waits for
                                one (a fixed answer: JWKS, code tables, templates) */
    ROUTE_SLOW = 16,         /* the handler may take long (a workbook built, an upload read): when it waits for
                                a pool connection, it runs on its own thread, never on the thread that frees
                                one before that thread sends its own answer (dbpool.h) */
    ROUTE_ONE_AT_A_TIME = 32, /* a write of the row named by the path's first {id}: its requests wait for one
                                 another in this process before they take a pool connection, not in
                                 PostgreSQL on the row's lock (gate.h: a sign-up rush) */
};

typedef struct {
    const char *method;
    const char *pattern;
    handler_fn handler;
    unsigned flags;
} route_t;

typedef enum { ROUTE_FOUND, ROUTE_NOT_FOUND, ROUTE_BAD_METHOD } route_result;

/* On ROUTE_FOUND sets *found and fills r->path_ids; on ROUTE_BAD_METHOD
 * writes the Allow list ("GET, POST") into allow. */
route_result route_match(const route_t *routes, size_t n, req_t *r, const route_t **found, char *allow,
                         size_t allowlen);

#endif
