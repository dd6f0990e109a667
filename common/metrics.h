/* Per-process counters for Prometheus (text format 0.0.4), served by
 * GET /metrics on the service's own FastCGI socket: DOCUMENT_URI exactly
 * "/metrics", never under /api/v1, so the public nginx server (which passes
 * only /api/v1/...) cannot reach it. Every counter is a C11 atomic bumped
 * with relaxed order: the request path takes no lock. Labels are bounded:
 * the route table's patterns (not raw paths), a fixed list of status codes,
 * the database's error classes. Names: docs/ARCHITECTURE.md, "Metrics". */
#ifndef STVS_METRICS_H
#define STVS_METRICS_H
#include <stdio.h>

#include "route.h"

/* Route labels beyond the table's rows: GET /metrics itself, and requests
 * no route took (404, 405, or refused before routing). */
enum { METRICS_ROUTE_SELF = -2, METRICS_ROUTE_NONE = -1 };

/* Once, before the workers start. Routes past the first 64 count as NONE. */
void metrics_init(const char *service, const route_t *routes, size_t nroutes, int threads, int db_connections);
/* route: an index into the table, or METRICS_ROUTE_*. */
void metrics_request(int route, int status, double seconds);
void metrics_busy(int delta);
void metrics_db_error(db_status st);
void metrics_db_connect(bool ok, bool again);
/* dbpool.c: busy connections (+1 taken, -1 given back), a request that had
 * to wait for one, and whether its wait ran out. */
void metrics_db_pool(int busy_delta, bool waited, bool timed_out);
/* listener.c: a FastCGI connection accepted (nginx keeps them: far fewer
 * than requests). */
void metrics_connection_accepted(void);

/* Writes the service's own lines (a gauge of its queue) during a scrape,
 * on the scrape's database connection. */
typedef void (*metrics_extra_fn)(FILE *out, db_t *db);
/* Answers GET /metrics: 200 text/plain; version=0.0.4. */
void metrics_reply(req_t *r, metrics_extra_fn extra);
/* The whole text (malloc'd, caller frees), for tests; NULL out of memory. */
char *metrics_text(metrics_extra_fn extra, db_t *db, size_t *len);

#endif
