/* A process's PostgreSQL connections (STVS_DB_CONNECTIONS, 4), shared by its
 * request threads (STVS_THREADS, 64): app.c's dispatch hands the handler to
 * dbpool_run just before it would touch the database, so a thread that waits
 * on nginx, on a kept FastCGI connection or on a client's body holds none.
 * Each connection has the service's statements prepared and keeps its own
 * reconnect and fail-back logic (db.c).
 *
 * Requests that find every connection busy queue, first come first served
 * within their class, reads (GET) before writes: in a sign-up rush the
 * writes pile up here (one activity's sign-ups wait for one another before
 * they get here, gate.h), and a read that queued behind them all would wait
 * for the whole rush. The
 * thread that finishes a job on a connection runs the next queued job itself
 * (up to DBPOOL_RUNS_FOR_OTHERS of them, then it hands the connection over):
 * handing the connection to a sleeping waiter left it idle until the
 * scheduler ran that thread, on two busy cores the login pair's -22%
 * (bench/ANALYSIS.md, round two). A slow job (an export) is always handed
 * the connection, so that no quick request's answer waits for it. A job waits no longer than its wait_ms to
 * start (then dbpool_run returns false: app.c answers 503); one that started
 * is always waited for. A try (wait_ms 0: a metrics scrape) runs on a free
 * connection or not at all, and runs no queued job after its own: it hands
 * the connection on, so that nobody else's handler delays its answer. */
#ifndef STVS_DBPOOL_H
#define STVS_DBPOOL_H
#include <pthread.h>
#include <stdbool.h>

#include "db.h"

/* After running this many queued jobs for others, a thread hands the
 * connection to the next waiter and sends its own answer: its own request
 * waits for at most this many handlers. */
#define DBPOOL_RUNS_FOR_OTHERS 4

typedef struct dbpool_waiter dbpool_waiter;
typedef enum { DBPOOL_READ, DBPOOL_WRITE } dbpool_class;
/* The work that needs a connection; it leaves the connection as it found it
 * (app.c's rolls back what a handler left open). It may run on another
 * thread than dbpool_run's caller, which sleeps meanwhile: it must not use
 * the caller's thread-local state. */
typedef void dbpool_job(void *arg, db_t *db);

typedef struct {
    pthread_mutex_t lock;
    db_t *conns;
    db_t **idle;              /* a stack of the free connections: the warmest on top */
    int n, nidle;
    /* jobs waiting for a connection, oldest first: [DBPOOL_READ], then [DBPOOL_WRITE] */
    dbpool_waiter *first[2], *last[2];
} dbpool_t;

/* n connections, none connected yet. 0, or -1 out of memory. */
int dbpool_init(dbpool_t *p, int n, const char *conninfo, const char *app_name, const db_stmt *stmts, int nstmts,
                unsigned common);
/* Connects each (a database that is down is no error: each connects again at
 * its first statement); -2 when a statement does not prepare (a bug). */
int dbpool_connect(dbpool_t *p);
/* Runs job(arg, db) on a connection: at once on a free one, else once its
 * turn comes, on this thread or (unless slow) on the one that freed the
 * connection; true when it has run. False, without running it, when its
 * turn did not come within wait_ms (at once when wait_ms is 0). */
bool dbpool_run(dbpool_t *p, dbpool_class class, bool slow, long wait_ms, dbpool_job *job, void *arg);
/* Closes every connection; the pool must be idle. */
void dbpool_free(dbpool_t *p);

#endif
