/* The FastCGI service shell: configuration, worker threads (each with its own
 * FCGX_Request and arena, on connections nginx keeps) sharing a pool of
 * PostgreSQL connections (dbpool.h), the request's walk (parsing
 * in request.c, routing, the bearer check, the handler), buffered responses,
 * access logs, GET /metrics (metrics.c) and graceful SIGTERM (listener.c:
 * the backlog is drained, not reset). */
#ifndef STVS_APP_H
#define STVS_APP_H
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <stdio.h>

#include "config.h"
#include "route.h"
#include "token.h"

typedef struct {
    const char *name;            /* "auth": logs, application_name, /<name>/health */
    const route_t *routes;
    size_t nroutes;
    const db_stmt *stmts;
    int nstmts;
    unsigned common_sql;         /* COMMON_SQL_* (db.h): common's statements this service's role may run */
    bool needs_data_key;
    size_t max_body;             /* 0: MAX_BODY; what a ROUTE_RAW_BODY route may take */
    int (*init)(const stvs_config *cfg); /* service setup after the common config; 0 or -1 */
    void (*cleanup)(void);
    /* GET /metrics: the service's own lines after common's (import: its
     * job gauges), on the scrape's connection; NULL for none */
    void (*metrics)(FILE *out, db_t *db);
} service_t;

extern stvs_config app_config;
extern jwt_keys app_keys;

int app_run(const service_t *svc);
/* GET /<svc>/health: 200 {"status":"ok","db":"ok"}, 503 when the db is down. */
void app_health(req_t *r);

/* A service's own background thread (a purge, a fold, an import worker):
 * started with every signal blocked, since the main thread sigwaits for
 * SIGTERM. 0, or -1 with the failure logged naming `what`. */
int app_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg, const char *what);

/* A background thread that works every `period_s` seconds until stopped
 * (the stats fold, the activity list's status refresh). */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool started, stop;
    int period_s;
} app_ticker;
#define APP_TICKER(seconds) {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .period_s = (seconds)}
/* Starts fn(arg) on its own thread (app_thread_start); 0 or -1. */
int app_ticker_start(app_ticker *t, void *(*fn)(void *), void *arg, const char *what);
/* In the thread: sleeps one period or until stopped; true when stopped. */
bool app_ticker_wait(app_ticker *t);
/* In the thread, between steps of a long round: whether it is stopped. */
bool app_ticker_stopped(app_ticker *t);
/* Stops the thread and waits for it; nothing when it never started. */
void app_ticker_stop(app_ticker *t);

#endif
