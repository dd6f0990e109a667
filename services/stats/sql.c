/* The stats service's statement table, prepared once per connection: the
 * rows are sql.def's, the SQL fragments they share are defined here. */
#include "stats.h"

/* Sums over a region's summary rows (all months and stripes). */
#define ORGS "(orgs_pending + orgs_approved)"
/* Quarter bounds in China from $2 year and $3 quarter. */
#define QUARTER_CTE                                                                                            \
    "WITH q AS (SELECT stats.month_start(make_date($2::int, $3::int * 3 - 2, 1)) AS q0,"                      \
    "                  stats.month_start((make_date($2::int, $3::int * 3 - 2, 1) + interval '3 months')::date) AS q1)"
#define QUARTER_ACTIVITIES                                                                                     \
    " FROM activity.activities a WHERE a.org_id = o.id AND a.cancelled_at IS NULL"                             \
    " AND a.starts_at >= q.q0 AND a.starts_at < q.q1"
#define QUARTER_ORGS                                                                                           \
    " FROM q, org.orgs o"                                                                                      \
    " WHERE o.status = 'approved' AND o.region_code BETWEEN (SELECT lo FROM ref.region_range($1))"            \
    "   AND (SELECT hi FROM ref.region_range($1)) AND (NOT $4::bool OR stats.org_idle(o.id, q.q0, q.q1))"
/* The sign-ups of region $1 not folded yet (stats.participant_log, a few seconds of them). */
#define DELTAS(cond)                                                                                           \
    "(SELECT coalesce(sum(d.participants), 0) FROM stats.participant_log d, ref.region_range($1) dr"       \
    " WHERE d.region_code BETWEEN dr.lo AND dr.hi AND " cond ")"
/* Transitions of region $1's activities (not cancelled) between the start
 * of the current month and now: the exact tail of each status count. */
#define TAIL(expr)                                                                                             \
    "(SELECT count(*) FROM activity.activities a WHERE a.cancelled_at IS NULL"                                 \
    "   AND " expr " >= stats.month_start(t.m0) AND " expr " <= t.at AND a.region_code BETWEEN rr.lo AND rr.hi)"

#define STMT(id, ...) [id] = {__VA_ARGS__},
const db_stmt stats_sql[SQL__MAX] = {
#include "sql.def"
};
#undef STMT
