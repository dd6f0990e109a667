/* What the stats service's files share. */
#ifndef STVS_STATS_H
#define STVS_STATS_H
#include "app.h"
#include "body.h"
#include "etag.h"
#include "region.h"

/* SQL_... for each statement of sql.def, in its order. */
enum stats_sql {
#define STMT(id, ...) id,
#include "sql.def"
#undef STMT
    SQL__MAX
};
extern const db_stmt stats_sql[SQL__MAX];

/* The region a request is about, once the caller's scope allows it. */
typedef struct {
    char code[7];      /* "000000" for the whole country */
    bool strictly;     /* a scope of the caller strictly contains it (may set its target) */
} stats_region;

/* ?param= (or the admin's own region when absent): 422 for a malformed or
 * unknown code (with any field errors collected before), 403 forbidden for
 * callers who are not platform admins, 404 outside their scope. False after
 * replying. */
bool stats_region_or_reply(req_t *r, const char *param, stats_region *out);
/* The same for a code from the path: unknown or malformed is 404. */
bool stats_path_region_or_reply(req_t *r, const char *code, stats_region *out);
/* A JSON column (a region's display JSON); null when absent. */
json_t *stats_json_col(const PGresult *res, int row, const char *col);
/* ?name=YYYY-MM: true with *year and *month set, or false (absent: no error;
 * malformed: a field error). */
bool query_month(req_t *r, const char *name, int *year, int *month);
/* ?name= an integer in [lo, hi]; absent: def. Malformed: a field error. */
long long query_int(req_t *r, const char *name, long long lo, long long hi, long long def);

/* The Accept header asks for the xlsx workbook. */
bool wants_xlsx(const req_t *r);
/* Replies the monthly report's rows (SQL_MONTHLY_REPORT) as an xlsx workbook;
 * false (nothing replied) when it cannot be written. */
bool monthly_report_xlsx(req_t *r, const PGresult *res, const char *region_code, int year, int month);

/* The service's init and cleanup hooks (primary.c): the reads' and the
 * writes' connections (STVS_STATS_DB, STVS_DB), and the fold thread. */
int stats_init(const stvs_config *cfg);
void stats_cleanup(void);
/* db_query_or_reply for a statement that writes: on the primary (STVS_DB)
 * even when the service reads elsewhere (STVS_STATS_DB). */
PGresult *stats_write_or_reply(req_t *r, int stmt, int nparams, const char *const *params);

/* The background fold of the summaries' stripes (fold.c), on the primary
 * whose conninfo it is given. */
int stats_fold_start(const char *conninfo);
void stats_fold_stop(void);

void h_overview(req_t *r);
void h_regions(req_t *r);
void h_target_get(req_t *r);
void h_target_put(req_t *r);
void h_quarterly(req_t *r);
void h_monthly_report(req_t *r);
void h_trend(req_t *r);
void h_public(req_t *r);

#endif
