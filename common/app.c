#include "app.h"

#include <errno.h>
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "dbpool.h"
#include "gate.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "request.h"

#define API_PREFIX "/api/v1"

stvs_config app_config;
jwt_keys app_keys;
/* The process's database connections, shared by its workers (dbpool.h). */
static dbpool_t pool;

/* A worker's stack: handlers keep little on it (arenas and libpq hold the
 * data), and 64 threads of glibc's 8 MiB would reserve half a GiB. jansson's
 * deepest allowed body (2048 levels) needs 520-640 KiB to parse (release
 * build): 2 MiB leaves room. Only touched pages count in RSS. */
#ifdef __SANITIZE_ADDRESS__
#define WORKER_STACK (4u << 20) /* ASan's redzones make every frame larger */
#else
#define WORKER_STACK (2u << 20)
#endif

typedef struct {
    const service_t *svc;
    listener_t *listener;
    int route_ix; /* the route table row that took the request, or METRICS_ROUTE_* */
    const route_t *route; /* its row, for the pool's job (run_route) */
    pthread_t thread;
    FCGX_Request fcgi;
    req_t req; /* req.db: a pool connection while a handler runs, else NULL */
} worker_t;

static const char *param(worker_t *w, const char *name) { return FCGX_GetParam(name, w->fcgi.envp); }

static bool request_id_ok(const char *id)
{
    size_t n = 0;
    for (; id[n]; n++) {
        char c = id[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.') || n >= 128)
            return false;
    }
    return n > 0;
}

static void set_request_id(req_t *r, const char *given)
{
    unsigned char rnd[16];
    if (given && request_id_ok(given)) {
        snprintf(r->request_id, sizeof r->request_id, "%s", given);
        return;
    }
    if (crypto_random(rnd, sizeof rnd) != 0)
        memset(rnd, 0, sizeof rnd);
    hex_encode(rnd, sizeof rnd, r->request_id);
}

/* The pool's jobs (dbpool.h): they may run on the thread that freed the
 * connection rather than on the request's own, so they touch only the
 * request (w) and the connection. */
static void lend_db(req_t *r, db_t *db)
{
    r->db = db;
    db->param_arena = &r->arena; /* db_exec refuses to run once it failed an allocation */
}

static void return_db(req_t *r)
{
    db_rollback(r->db); /* a handler that returned early mid-transaction */
    r->db->param_arena = NULL; /* the request's arena is reset after its answer */
    r->db = NULL;
}

static void run_route(void *arg, db_t *db)
{
    worker_t *w = arg;
    lend_db(&w->req, db);
    w->route->handler(&w->req);
    return_db(&w->req);
}

static void run_metrics(void *arg, db_t *db)
{
    worker_t *w = arg;
    lend_db(&w->req, db);
    metrics_reply(&w->req, w->svc->metrics);
    return_db(&w->req);
}

/* GET and HEAD wait as reads (served before writes: dbpool.h). */
static dbpool_class pool_class(const req_t *r)
{
    return !strcmp(r->method, "GET") || !strcmp(r->method, "HEAD") ? DBPOOL_READ : DBPOOL_WRITE;
}

/* Paths outside the public API, reached only on the service's own socket:
 * GET /metrics (nginx's public server passes /api/v1/... alone). */
static bool serve_internal(worker_t *w, req_t *r, const char *uri)
{
    if (strcmp(uri, "/metrics") || strcmp(r->method, "GET"))
        return false;
    r->method = "GET";
    r->path = "/metrics";
    w->route_ix = METRICS_ROUTE_SELF;
    /* the service's own lines may query (import: its queue), if a connection
     * is free now: a scrape never waits on a busy pool (NULL: they skip it) */
    if (!w->svc->metrics || !dbpool_run(&pool, DBPOOL_READ, false, 0, run_metrics, w))
        metrics_reply(r, w->svc->metrics);
    return true;
}

/* libfcgi's input stream as request_body_or_reply's reader. */
static int read_fcgi(void *stream, char *buf, int n) { return FCGX_GetStr(buf, n, stream); }

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* The route's handler on a pool connection. A ROUTE_ONE_AT_A_TIME route
 * first waits for its row's gate (gate.h); the two waits together last no
 * longer than STVS_DB_WAIT_MS. False: it did not start in that time. */
static bool run_on_db(worker_t *w, req_t *r, const route_t *route)
{
    bool slow = route->flags & ROUTE_SLOW;
    if (!(route->flags & ROUTE_ONE_AT_A_TIME) || r->npath_ids < 1)
        return dbpool_run(&pool, pool_class(r), slow, app_config.db_wait_ms, run_route, w);
    struct timespec t0;
    gate_pass pass;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (!gate_enter(&pass, r->path_ids[0], app_config.db_wait_ms))
        return false;
    long left = app_config.db_wait_ms - (long)ms_since(&t0);
    bool ran = dbpool_run(&pool, pool_class(r), slow, left > 0 ? left : 1, run_route, w);
    gate_leave(&pass, ran ? r->status : 503);
    return ran;
}

static void dispatch(worker_t *w, req_t *r)
{
    const char *uri = param(w, "DOCUMENT_URI");
    r->method = param(w, "REQUEST_METHOD");
    r->content_type = param(w, "CONTENT_TYPE");
    r->authorization = param(w, "HTTP_AUTHORIZATION");
    r->if_match = param(w, "HTTP_IF_MATCH");
    r->accept = param(w, "HTTP_ACCEPT");
    r->remote_addr = param(w, "REMOTE_ADDR");
    if (!r->method)
        r->method = "GET";
    if (!uri)
        uri = "";
    w->route_ix = METRICS_ROUTE_NONE;
    if (serve_internal(w, r, uri))
        return;
    if (!strncmp(uri, API_PREFIX "/", strlen(API_PREFIX) + 1))
        uri += strlen(API_PREFIX);
    /* copies: FCGX_Finish_r frees the params before the access log line */
    r->method = arena_strndup(&r->arena, r->method, strlen(r->method));
    r->path = arena_strndup(&r->arena, uri, strlen(uri));
    if (!r->method || !r->path) {
        r->method = r->path = "?";
        reply_error(r, ERR_INTERNAL, NULL);
        return;
    }
    request_query(r, param(w, "QUERY_STRING"));
    /* a ROUTE_RAW_BODY route (an upload) may take up to the service's max_body;
     * every other route is held to MAX_BODY once it is known (below) */
    size_t max_body = w->svc->max_body > MAX_BODY ? w->svc->max_body : MAX_BODY;
    if (!request_body_or_reply(r, param(w, "CONTENT_LENGTH"), max_body, read_fcgi, w->fcgi.in))
        return;
    const route_t *route = NULL;
    char allow[64];
    switch (route_match(w->svc->routes, w->svc->nroutes, r, &route, allow, sizeof allow)) {
    case ROUTE_NOT_FOUND:
        reply_error(r, ERR_NOT_FOUND, "no such resource");
        return;
    case ROUTE_BAD_METHOD:
        reply_header(r, "Allow", allow);
        reply_error(r, ERR_METHOD_NOT_ALLOWED, arena_printf(&r->arena, "allowed: %s", allow));
        return;
    case ROUTE_FOUND:
        w->route = route;
        w->route_ix = (int)(route - w->svc->routes);
        break;
    }
    if ((route->flags & ROUTE_RAW_BODY) == 0 && r->body_len > MAX_BODY) {
        reply_error(r, ERR_PAYLOAD_TOO_LARGE, "the body is over 1 MiB");
        return;
    }
    if (r->body_len && !(route->flags & ROUTE_RAW_BODY) && !request_is_json(r->content_type)) {
        reply_error(r, ERR_UNSUPPORTED_MEDIA_TYPE, "send the body as application/json");
        return;
    }
    bool wants_token = (route->flags & ROUTE_AUTH) || ((route->flags & ROUTE_AUTH_OPTIONAL) && r->authorization);
    if (wants_token && !request_bearer_or_reply(r, &app_keys, time(NULL)))
        return;
    if (fields_failed_reply(r)) /* the query string's own faults (request_query) */
        return;
    /* only now a database connection: what came before is CPU-only work */
    if (route->flags & ROUTE_NO_DB) {
        route->handler(r);
    } else if (!run_on_db(w, r, route)) {
        log_msg("warn", r->request_id, "no database connection came free within %ld ms", app_config.db_wait_ms);
        reply_header(r, "Retry-After", "5");
        reply_error(r, ERR_UNAVAILABLE, "the service is busy; try again shortly");
        return;
    }
    if (!r->replied) {
        log_msg("error", r->request_id, "handler for %s %s returned without a reply", r->method, route->pattern);
        reply_error(r, ERR_INTERNAL, NULL);
    }
    if (arena_failed(&r->arena) && r->status < 500) {
        /* something the handler built is missing (a NULL from the arena): its
         * answer cannot be trusted (db_exec and db_commit refused to run once
         * the arena had failed, so no NULL reached the database) */
        log_msg("error", r->request_id, "the request ran out of memory; answering 500 instead of %d", r->status);
        r->nheaders = 0;
        reply_error(r, ERR_INTERNAL, NULL);
    }
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    }
    return "Status";
}

/* libfcgi's own printf knows no %zu and is slow: headers are formatted here
 * and written in one piece. */
static void send_response(worker_t *w, req_t *r)
{
    char head[2048];
    size_t n = 0;
    bool cache_set = false;
    char *body = r->resp ? json_dumps(r->resp, REPLY_JSON_FLAGS) : NULL;
    if (r->resp && !body) { /* out of memory, or a non-UTF-8 string slipped in */
        r->status = 500;
        r->content_type_out = "application/problem+json";
        body = strdup("{\"type\":\"about:blank\",\"title\":\"Internal server error\",\"status\":500,"
                      "\"code\":\"internal\",\"detail\":\"Internal server error\"}");
    }
#define HEAD(...) (n += (size_t)snprintf(head + n, n < sizeof head ? sizeof head - n : 0, __VA_ARGS__))
    HEAD("Status: %d %s\r\nX-Request-Id: %s\r\n", r->status, reason(r->status), r->request_id);
    for (int i = 0; i < r->nheaders; i++) {
        HEAD("%s: %s\r\n", r->headers[i].name, r->headers[i].value);
        cache_set |= !strcasecmp(r->headers[i].name, "Cache-Control");
    }
    if (!cache_set) /* answers carry personal data and tokens */
        HEAD("Cache-Control: no-store\r\n");
    size_t body_len = body ? strlen(body) : 0;
    if (body)
        HEAD("Content-Type: %s; charset=utf-8\r\nContent-Length: %zu\r\n", r->content_type_out, body_len);
    else if (r->resp_bytes)
        HEAD("Content-Type: %s\r\nContent-Length: %zu\r\n", r->content_type_out, r->resp_bytes_len);
    HEAD("\r\n");
#undef HEAD
    if (n >= sizeof head) { /* cannot happen with our header set; never send a cut header */
        log_msg("error", r->request_id, "response header too long");
        n = (size_t)snprintf(head, sizeof head, "Status: 500\r\nX-Request-Id: %s\r\n\r\n", r->request_id);
        body_len = 0;
        r->resp_bytes = NULL;
    }
    FCGX_PutStr(head, (int)n, w->fcgi.out);
    if (body_len)
        FCGX_PutStr(body, (int)body_len, w->fcgi.out);
    else if (r->resp_bytes)
        FCGX_PutStr(r->resp_bytes, (int)r->resp_bytes_len, w->fcgi.out);
    free(body);
}

static void request_reset(req_t *r)
{
    json_decref(r->json);
    json_decref(r->resp);
    json_decref(r->field_errors);
    arena_t arena = r->arena;
    arena_reset(&arena);
    memset(r, 0, sizeof *r);
    r->arena = arena;
}

/* The next request for this worker: on the connection nginx kept from the
 * last one (fastcgi_keep_conn: libfcgi keeps it open), or on a connection
 * taken from the listener (listener.c does the accepting, so that a stop can
 * drain the backlog and let kept connections go) handed to libfcgi, which
 * reads the request from it. False once the listener is draining, nginx has
 * closed the kept connection and the queue is empty. libfcgi has no call to
 * adopt a connection: it is set in FCGX_Request's ipcFd, with
 * keepConnection so that FCGX_Accept_r's opening Finish keeps it (fields
 * fcgiapp.h marks internal; the same in every 2.4 release). */
static bool next_request(worker_t *w)
{
    for (;;) {
        if (w->fcgi.ipcFd >= 0) {
            listener_wait_kept(w->listener, w->fcgi.ipcFd);
        } else {
            int fd = listener_accept(w->listener);
            if (fd < 0)
                return false;
            w->fcgi.ipcFd = fd;
            w->fcgi.keepConnection = 1; /* FCGX_Accept_r's opening Finish must not close it; BEGIN sets it */
        }
        if (FCGX_Accept_r(&w->fcgi) == 0)
            return true;
        /* the peer closed before a whole request came (libfcgi closed it,
         * and its own accept on listen_sock -1 failed): take the next */
    }
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    req_t *r = &w->req;
    if (FCGX_InitRequest(&w->fcgi, -1, 0) != 0) {
        log_error("FCGX_InitRequest failed");
        return NULL;
    }
    while (next_request(w)) {
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        metrics_busy(1);
        set_request_id(r, param(w, "HTTP_X_REQUEST_ID"));
        dispatch(w, r); /* the pool has its connection back before the answer is sent */
        send_response(w, r);
        FCGX_Finish_r(&w->fcgi);
        double ms = ms_since(&t0);
        metrics_request(w->route_ix, r->status, ms / 1e3);
        metrics_busy(-1);
        log_access(r->request_id, r->method, r->path, r->status, ms);
        request_reset(r);
    }
    FCGX_Free(&w->fcgi, 1);
    return NULL;
}

int app_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg, const char *what)
{
    sigset_t all, old;
    sigfillset(&all);
    if (pthread_sigmask(SIG_BLOCK, &all, &old) != 0) {
        log_error("cannot block signals for the %s thread", what);
        return -1;
    }
    int rc = pthread_create(thread, NULL, fn, arg);
    if (pthread_sigmask(SIG_SETMASK, &old, NULL) != 0) /* cannot fail with these arguments */
        log_error("cannot restore the signal mask after starting the %s thread", what);
    if (rc != 0) {
        log_error("cannot start the %s thread: %s", what, strerror(rc));
        return -1;
    }
    return 0;
}

int app_ticker_start(app_ticker *t, void *(*fn)(void *), void *arg, const char *what)
{
    if (app_thread_start(&t->thread, fn, arg, what) != 0)
        return -1;
    t->started = true;
    return 0;
}

bool app_ticker_wait(app_ticker *t)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += t->period_s;
    pthread_mutex_lock(&t->mu);
    int rc = 0;
    while (!t->stop && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&t->cv, &t->mu, &until);
    bool stop = t->stop;
    pthread_mutex_unlock(&t->mu);
    return stop;
}

bool app_ticker_stopped(app_ticker *t)
{
    pthread_mutex_lock(&t->mu);
    bool stop = t->stop;
    pthread_mutex_unlock(&t->mu);
    return stop;
}

void app_ticker_stop(app_ticker *t)
{
    if (!t->started)
        return;
    pthread_mutex_lock(&t->mu);
    t->stop = true;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->thread, NULL);
    t->started = false;
}

void app_health(req_t *r)
{
    bool up = db_simple(r->db, "SELECT 1") == 0;
    reply_json(r, up ? 200 : 503, json_pack("{s:s, s:s}", "status", up ? "ok" : "unavailable", "db", up ? "ok" : "down"));
}

static int load_public_key(void)
{
    size_t len;
    char err[128];
    char *pem = read_file(app_config.public_key_file, 16384, &len);
    if (!pem) {
        log_error("configuration: STVS_JWT_PUBLIC_KEY_FILE cannot be read (%s)", strerror(errno));
        return -1;
    }
    int rc = jwt_keys_load(&app_keys, pem, len, app_config.issuer, app_config.audience, err, sizeof err);
    free(pem);
    if (rc)
        log_error("configuration: STVS_JWT_PUBLIC_KEY_FILE: %s", err);
    return rc;
}

/* The signals that stop a service: blocked in every thread, sigwaited by main. */
static void stop_signals(sigset_t *stop)
{
    sigemptyset(stop);
    sigaddset(stop, SIGTERM);
    sigaddset(stop, SIGINT);
    sigaddset(stop, SIGUSR1);
}

/* SIGTERM or SIGINT: stop taking connections (the socket's path goes, so
 * nginx tries its next upstream), serve what is already queued and in
 * flight, then return. */
static void wait_and_drain(listener_t *l, worker_t *workers, int started)
{
    sigset_t stop;
    int sig = 0;
    stop_signals(&stop);
    if (started == app_config.threads) {
        log_info("listening on %s with %d threads and %d database connections", app_config.listen, started,
                 app_config.db_connections);
        sigwait(&stop, &sig);
        log_info("signal %d: no new connections; serving the queued and in-flight requests", sig);
    }
    listener_stop(l);
    for (int i = 0; i < started; i++) {
        pthread_join(workers[i].thread, NULL);
        arena_free(&workers[i].req.arena);
    }
}

int app_run(const service_t *svc)
{
    int rc = 1, started = 0;
    bool pool_made = false;
    worker_t *workers = NULL;
    pthread_attr_t attr;
    listener_t listener = {.fd = -1, .wake = {-1, -1}};
    sigset_t stop;
    log_init(svc->name);
    if (config_load_common(&app_config, svc->needs_data_key) || load_public_key())
        return 1;
    if (svc->init && svc->init(&app_config))
        goto out;
    if (FCGX_Init() != 0) {
        log_error("FCGX_Init failed");
        goto out;
    }
    /* FCGX_Init installs SIGTERM/SIGUSR1 handlers: block them everywhere
     * and wait for them in wait_and_drain. */
    stop_signals(&stop);
    signal(SIGPIPE, SIG_IGN);
    if (pthread_sigmask(SIG_BLOCK, &stop, NULL) != 0)
        goto out;
    if (listener_open(&listener, app_config.listen) != 0)
        goto out;
    metrics_init(svc->name, svc->routes, svc->nroutes, app_config.threads, app_config.db_connections);
    if (dbpool_init(&pool, app_config.db_connections, app_config.db_conninfo, svc->name, svc->stmts, svc->nstmts,
                    svc->common_sql) != 0)
        goto out;
    pool_made = true;
    if (dbpool_connect(&pool) == -2)
        goto out; /* a statement does not prepare: a bug, not an outage */
    workers = calloc((size_t)app_config.threads, sizeof *workers);
    if (!workers || pthread_attr_init(&attr) != 0)
        goto out;
    if (pthread_attr_setstacksize(&attr, WORKER_STACK) != 0)
        log_error("cannot set the worker stack size; using the default");
    for (int i = 0; i < app_config.threads; i++) {
        worker_t *w = &workers[i];
        w->svc = svc;
        w->listener = &listener;
        if (pthread_create(&w->thread, &attr, worker_main, w) != 0) {
            log_error("pthread_create failed");
            break;
        }
        started++;
    }
    pthread_attr_destroy(&attr);
    wait_and_drain(&listener, workers, started);
    rc = started == app_config.threads ? 0 : 1;
    log_info("stopped");
out:
    listener_close(&listener);
    free(workers);
    if (pool_made)
        dbpool_free(&pool);
    if (svc->cleanup)
        svc->cleanup();
    jwt_keys_free(&app_keys);
    return rc;
}
