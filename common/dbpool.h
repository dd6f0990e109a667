/* A process's PostgreSQL connections (STVS_DB_CONNECTIONS, 4), shared by its
 * request threads (STVS_THREADS, 64): app.c's dispatch takes one just before
 * a handler runs and gives it back when the request ends, so a thread that
 * waits on nginx, on a kept FastCGI connection or on a client's body holds
 * none. Each connection has the service's statements prepared and keeps its
 * own reconnect and fail-back logic (db.c). Waiters are served first come,
 * first served within their class, reads (GET) before writes: in a sign-up
 * rush every connection may be held by sign-ups queued on one activity's
 * row lock, and a read that queued behind them all would wait for the whole
 * rush (bench/ANALYSIS.md, the rush). One that finds none free within its
 * wait gets NULL (app.c answers 503 unavailable): no request waits forever. */
#ifndef STVS_DBPOOL_H
#define STVS_DBPOOL_H
#include <pthread.h>

#include "db.h"

typedef struct dbpool_waiter dbpool_waiter;
typedef enum { DBPOOL_READ, DBPOOL_WRITE } dbpool_class;

typedef struct {
    pthread_mutex_t lock;
    pthread_condattr_t clock; /* CLOCK_MONOTONIC, for each waiter's condition variable */
    db_t *conns;
    db_t **idle;              /* a stack of the free connections: the warmest on top */
    int n, nidle;
    /* requests waiting for a connection, oldest first: [DBPOOL_READ], then [DBPOOL_WRITE] */
    dbpool_waiter *first[2], *last[2];
} dbpool_t;

/* n connections, none connected yet. 0, or -1 out of memory. */
int dbpool_init(dbpool_t *p, int n, const char *conninfo, const char *app_name, const db_stmt *stmts, int nstmts,
                unsigned common);
/* Connects each (a database that is down is no error: each connects again at
 * its first statement); -2 when a statement does not prepare (a bug). */
int dbpool_connect(dbpool_t *p);
/* A free connection, waiting up to wait_ms for one; NULL when none came
 * (at once when wait_ms is 0). */
db_t *dbpool_take(dbpool_t *p, dbpool_class class, long wait_ms);
/* Back to the pool (after db_rollback): to the oldest waiting read, else the
 * oldest waiting write, if any. */
void dbpool_give(dbpool_t *p, db_t *db);
/* Closes every connection; the pool must be idle. */
void dbpool_free(dbpool_t *p);

#endif
