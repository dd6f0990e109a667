#include "metrics.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

#define MAX_ROUTES 64
#define NSLOTS (MAX_ROUTES + 2) /* the table's rows, then SELF, then NONE */

typedef atomic_uint_fast64_t counter;

static const int codes[] = {200, 201, 202, 204, 304, 400, 401, 403, 404, 405, 409,
                            412, 413, 415, 422, 429, 500, 502, 503, 504};
#define NCODES (sizeof codes / sizeof *codes)
/* upper bounds in seconds; the last slot is +Inf */
static const double bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NBOUNDS (sizeof bounds / sizeof *bounds)

static struct {
    const char *service;
    const route_t *routes;
    size_t nroutes;
    int threads, db_connections;
    double start_time;
    counter requests[NSLOTS][NCODES + 1]; /* the last column: any other status */
    counter buckets[NSLOTS][NBOUNDS + 1];
    counter micros[NSLOTS];
    atomic_int busy;
    counter db_errors[DB_ERROR + 1];
    counter db_connects, db_connect_failures, db_reconnects;
    atomic_int db_pool_busy;
    counter db_pool_waits, db_pool_timeouts, fcgi_connections;
} m;

void metrics_init(const char *service, const route_t *routes, size_t nroutes, int threads, int db_connections)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    m.service = service;
    m.routes = routes;
    m.nroutes = nroutes < MAX_ROUTES ? nroutes : MAX_ROUTES;
    m.threads = threads;
    m.db_connections = db_connections;
    m.start_time = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static int slot(int route)
{
    if (route >= 0 && (size_t)route < m.nroutes)
        return route;
    return route == METRICS_ROUTE_SELF ? MAX_ROUTES : MAX_ROUTES + 1;
}

void metrics_request(int route, int status, double seconds)
{
    int s = slot(route);
    size_t c = 0, b = 0;
    while (c < NCODES && codes[c] != status)
        c++;
    while (b < NBOUNDS && seconds > bounds[b])
        b++;
    atomic_fetch_add_explicit(&m.requests[s][c], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m.buckets[s][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m.micros[s], (uint_fast64_t)(seconds * 1e6 + 0.5), memory_order_relaxed);
}

void metrics_db_pool(int busy_delta, bool waited, bool timed_out)
{
    atomic_fetch_add_explicit(&m.db_pool_busy, busy_delta, memory_order_relaxed);
    if (waited)
        atomic_fetch_add_explicit(&m.db_pool_waits, 1, memory_order_relaxed);
    if (timed_out)
        atomic_fetch_add_explicit(&m.db_pool_timeouts, 1, memory_order_relaxed);
}

void metrics_connection_accepted(void) { atomic_fetch_add_explicit(&m.fcgi_connections, 1, memory_order_relaxed); }

void metrics_busy(int delta) { atomic_fetch_add_explicit(&m.busy, delta, memory_order_relaxed); }

void metrics_db_error(db_status st)
{
    if (st > DB_OK && st <= DB_ERROR)
        atomic_fetch_add_explicit(&m.db_errors[st], 1, memory_order_relaxed);
}

void metrics_db_connect(bool ok, bool again)
{
    atomic_fetch_add_explicit(ok ? &m.db_connects : &m.db_connect_failures, 1, memory_order_relaxed);
    if (ok && again)
        atomic_fetch_add_explicit(&m.db_reconnects, 1, memory_order_relaxed);
}

static uint_fast64_t get(counter *c) { return atomic_load_explicit(c, memory_order_relaxed); }

/* The route's labels: method and pattern (patterns hold no quote or backslash). */
static void route_labels(FILE *out, int s)
{
    if (s < MAX_ROUTES)
        fprintf(out, "method=\"%s\",route=\"%s\"", m.routes[s].method, m.routes[s].pattern);
    else
        fprintf(out, "method=\"GET\",route=\"%s\"", s == MAX_ROUTES ? "/metrics" : "unmatched");
}

static bool slot_used(int s)
{
    for (size_t b = 0; b <= NBOUNDS; b++)
        if (get(&m.buckets[s][b]))
            return true;
    return false;
}

static void write_requests(FILE *out)
{
    fputs("# HELP stvs_http_requests_total Requests answered, by route pattern and status code.\n"
          "# TYPE stvs_http_requests_total counter\n", out);
    for (int s = 0; s < NSLOTS; s++) {
        if (s >= (int)m.nroutes && s < MAX_ROUTES)
            continue;
        for (size_t c = 0; c <= NCODES; c++) {
            uint_fast64_t n = get(&m.requests[s][c]);
            if (!n)
                continue;
            fputs("stvs_http_requests_total{", out);
            route_labels(out, s);
            if (c < NCODES)
                fprintf(out, ",code=\"%d\"} %llu\n", codes[c], (unsigned long long)n);
            else
                fprintf(out, ",code=\"other\"} %llu\n", (unsigned long long)n);
        }
    }
    fputs("# HELP stvs_http_request_duration_seconds Time from accepting a request to its last byte handed to "
          "libfcgi.\n# TYPE stvs_http_request_duration_seconds histogram\n", out);
    for (int s = 0; s < NSLOTS; s++) {
        if ((s >= (int)m.nroutes && s < MAX_ROUTES) || !slot_used(s))
            continue;
        uint_fast64_t cum = 0;
        for (size_t b = 0; b <= NBOUNDS; b++) {
            cum += get(&m.buckets[s][b]);
            fputs("stvs_http_request_duration_seconds_bucket{", out);
            route_labels(out, s);
            if (b < NBOUNDS)
                fprintf(out, ",le=\"%g\"} %llu\n", bounds[b], (unsigned long long)cum);
            else
                fprintf(out, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
        }
        fputs("stvs_http_request_duration_seconds_sum{", out);
        route_labels(out, s);
        fprintf(out, "} %.6f\n", (double)get(&m.micros[s]) / 1e6);
        fputs("stvs_http_request_duration_seconds_count{", out);
        route_labels(out, s);
        fprintf(out, "} %llu\n", (unsigned long long)cum);
    }
}

static const char *db_class(db_status st)
{
    switch (st) {
    case DB_UNAVAILABLE: return "unavailable";
    case DB_UNIQUE: return "unique_violation";
    case DB_FOREIGN_KEY: return "foreign_key_violation";
    case DB_CHECK: return "check_violation";
    case DB_SERIALIZATION: return "serialization_failure";
    case DB_READ_ONLY: return "read_only";
    case DB_ERROR: return "error";
    case DB_OK: break;
    }
    return "ok";
}

static void write_process(FILE *out)
{
    fprintf(out,
            "# HELP stvs_service_info The service this process runs.\n# TYPE stvs_service_info gauge\n"
            "stvs_service_info{service=\"%s\"} 1\n"
            "# HELP process_start_time_seconds Start time of the process since the epoch.\n"
            "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %.3f\n"
            "# HELP stvs_worker_threads Request threads of this process.\n# TYPE stvs_worker_threads gauge\n"
            "stvs_worker_threads %d\n"
            "# HELP stvs_worker_threads_busy Request threads serving a request now.\n"
            "# TYPE stvs_worker_threads_busy gauge\nstvs_worker_threads_busy %d\n",
            m.service ? m.service : "?", m.start_time, m.threads,
            atomic_load_explicit(&m.busy, memory_order_relaxed));
    fputs("# HELP stvs_db_errors_total Failed database statements, by class.\n"
          "# TYPE stvs_db_errors_total counter\n", out);
    for (int st = DB_UNAVAILABLE; st <= DB_ERROR; st++)
        fprintf(out, "stvs_db_errors_total{class=\"%s\"} %llu\n", db_class((db_status)st),
                (unsigned long long)get(&m.db_errors[st]));
    fprintf(out,
            "# HELP stvs_db_connects_total Database connections made (every statement prepared).\n"
            "# TYPE stvs_db_connects_total counter\nstvs_db_connects_total %llu\n"
            "# HELP stvs_db_connect_failures_total Database connections that failed.\n"
            "# TYPE stvs_db_connect_failures_total counter\nstvs_db_connect_failures_total %llu\n"
            "# HELP stvs_db_reconnects_total Connections made again after one was lost.\n"
            "# TYPE stvs_db_reconnects_total counter\nstvs_db_reconnects_total %llu\n",
            (unsigned long long)get(&m.db_connects), (unsigned long long)get(&m.db_connect_failures),
            (unsigned long long)get(&m.db_reconnects));
    fprintf(out,
            "# HELP stvs_db_pool_connections Database connections of this process's pool.\n"
            "# TYPE stvs_db_pool_connections gauge\nstvs_db_pool_connections %d\n"
            "# HELP stvs_db_pool_busy Pool connections a request holds now.\n"
            "# TYPE stvs_db_pool_busy gauge\nstvs_db_pool_busy %d\n"
            "# HELP stvs_db_pool_waits_total Requests that found no free connection and waited.\n"
            "# TYPE stvs_db_pool_waits_total counter\nstvs_db_pool_waits_total %llu\n"
            "# HELP stvs_db_pool_timeouts_total Requests answered 503 after waiting STVS_DB_WAIT_MS in vain.\n"
            "# TYPE stvs_db_pool_timeouts_total counter\nstvs_db_pool_timeouts_total %llu\n"
            "# HELP stvs_fcgi_connections_total FastCGI connections accepted (nginx keeps them for many requests).\n"
            "# TYPE stvs_fcgi_connections_total counter\nstvs_fcgi_connections_total %llu\n",
            m.db_connections, atomic_load_explicit(&m.db_pool_busy, memory_order_relaxed),
            (unsigned long long)get(&m.db_pool_waits), (unsigned long long)get(&m.db_pool_timeouts),
            (unsigned long long)get(&m.fcgi_connections));
}

char *metrics_text(metrics_extra_fn extra, db_t *db, size_t *len)
{
    char *text = NULL;
    FILE *out = open_memstream(&text, len);
    if (!out)
        return NULL;
    write_process(out);
    write_requests(out);
    if (extra)
        extra(out, db);
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

void metrics_reply(req_t *r, metrics_extra_fn extra)
{
    size_t len = 0;
    char *text = metrics_text(extra, r->db, &len);
    if (!text) {
        reply_error(r, ERR_INTERNAL, NULL);
        return;
    }
    reply_bytes(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
    free(text);
}
