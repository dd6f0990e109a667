/* GET /metrics' text: labels from the route table's patterns, cumulative
 * histogram buckets, the fixed status list, the database's classes. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "metrics.h"

static void h(req_t *r) { (void)r; }

static const route_t routes[] = {
    {"GET", "/things/{id}", h, 0},
    {"POST", "/things", h, 0},
};

static bool has(const char *text, const char *line) { return strstr(text, line) != NULL; }

static void extra(FILE *out, db_t *db)
{
    (void)db;
    fputs("# TYPE svc_own gauge\nsvc_own 7\n", out);
}

int main(void)
{
    metrics_init("unit", routes, NELEM(routes), 3, 2);
    metrics_request(0, 200, 0.003);
    metrics_request(0, 200, 0.2);
    metrics_request(0, 404, 20);
    metrics_request(1, 418, 0.001);
    metrics_request(METRICS_ROUTE_NONE, 404, 0.001);
    metrics_request(METRICS_ROUTE_SELF, 200, 0.001);
    metrics_request(57, 200, 0.001); /* past the table: unmatched */
    metrics_busy(2);
    metrics_busy(-1);
    metrics_db_error(DB_READ_ONLY);
    metrics_db_error(DB_OK); /* not an error: not counted */
    metrics_db_connect(true, false);
    metrics_db_connect(true, true);
    metrics_db_connect(false, true);
    metrics_db_pool(1, false, false); /* taken */
    metrics_db_pool(1, false, false);
    metrics_db_pool(-1, false, false); /* given back */
    metrics_db_pool(0, true, false);  /* waited, handed one */
    metrics_db_pool(0, true, true);   /* waited in vain */
    metrics_connection_accepted();

    size_t len = 0;
    char *t = metrics_text(extra, NULL, &len);
    CHECK("the text is made", t && len == strlen(t));
    if (!t)
        return CHECK_DONE();
    CHECK("requests count by pattern and code",
          has(t, "stvs_http_requests_total{method=\"GET\",route=\"/things/{id}\",code=\"200\"} 2\n") &&
              has(t, "stvs_http_requests_total{method=\"GET\",route=\"/things/{id}\",code=\"404\"} 1\n"));
    CHECK("a status off the list counts as other",
          has(t, "stvs_http_requests_total{method=\"POST\",route=\"/things\",code=\"other\"} 1\n"));
    CHECK("no route and an index past the table count as unmatched",
          has(t, "stvs_http_requests_total{method=\"GET\",route=\"unmatched\",code=\"404\"} 1\n") &&
              has(t, "stvs_http_requests_total{method=\"GET\",route=\"unmatched\",code=\"200\"} 1\n"));
    CHECK("the scrape counts under /metrics",
          has(t, "stvs_http_requests_total{method=\"GET\",route=\"/metrics\",code=\"200\"} 1\n"));
    CHECK("buckets are cumulative",
          has(t, "stvs_http_request_duration_seconds_bucket{method=\"GET\",route=\"/things/{id}\",le=\"0.005\"} 1\n") &&
              has(t, "stvs_http_request_duration_seconds_bucket{method=\"GET\",route=\"/things/{id}\",le=\"0.25\"} 2\n") &&
              has(t, "stvs_http_request_duration_seconds_bucket{method=\"GET\",route=\"/things/{id}\",le=\"10\"} 2\n") &&
              has(t, "stvs_http_request_duration_seconds_bucket{method=\"GET\",route=\"/things/{id}\",le=\"+Inf\"} 3\n"));
    CHECK("count is the +Inf bucket, sum in seconds",
          has(t, "stvs_http_request_duration_seconds_count{method=\"GET\",route=\"/things/{id}\"} 3\n") &&
              has(t, "stvs_http_request_duration_seconds_sum{method=\"GET\",route=\"/things/{id}\"} 20.203000\n"));
    CHECK("threads and busy threads", has(t, "stvs_worker_threads 3\n") && has(t, "stvs_worker_threads_busy 1\n"));
    CHECK("database classes", has(t, "stvs_db_errors_total{class=\"read_only\"} 1\n") &&
                                  has(t, "stvs_db_errors_total{class=\"unavailable\"} 0\n"));
    CHECK("connects, failures and reconnects", has(t, "stvs_db_connects_total 2\n") &&
                                                    has(t, "stvs_db_connect_failures_total 1\n") &&
                                                    has(t, "stvs_db_reconnects_total 1\n"));
    CHECK("the pool: size, busy, waits, timeouts", has(t, "stvs_db_pool_connections 2\n") &&
                                                       has(t, "stvs_db_pool_busy 1\n") &&
                                                       has(t, "stvs_db_pool_waits_total 2\n") &&
                                                       has(t, "stvs_db_pool_timeouts_total 1\n"));
    CHECK("accepted FastCGI connections", has(t, "stvs_fcgi_connections_total 1\n"));
    CHECK("every family has its TYPE line",
          has(t, "# TYPE stvs_http_requests_total counter\n") &&
              has(t, "# TYPE stvs_http_request_duration_seconds histogram\n") &&
              has(t, "# TYPE process_start_time_seconds gauge\n"));
    CHECK("the service's own lines come last", len > 20 && !strcmp(t + len - strlen("svc_own 7\n"), "svc_own 7\n"));
    free(t);
    return CHECK_DONE();
}
