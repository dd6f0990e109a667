/* Every statement the stats service runs, prepared once per connection.
 * Each answer is one statement, so it reads one snapshot: the summaries
 * (stats.counts, kept by triggers in the writers' transactions) and the
 * exact tails agree with each other (docs/stats.md). */
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
/* Transitions of region $1's activities (not cancelled) between the start
 * of the current month and now: the exact tail of each status count. */
/* The sign-ups' deltas of region $1 not folded yet (stats.participant_deltas). */
#define DELTAS(cond)                                                                                           \
    "(SELECT coalesce(sum(d.participants), 0) FROM stats.participant_deltas d, ref.region_range($1) dr"       \
    " WHERE d.region_code BETWEEN dr.lo AND dr.hi AND " cond ")"
#define TAIL(expr)                                                                                             \
    "(SELECT count(*) FROM activity.activities a WHERE a.cancelled_at IS NULL"                                 \
    "   AND " expr " >= stats.month_start(t.m0) AND " expr " <= t.at AND a.region_code BETWEEN rr.lo AND rr.hi)"

const db_stmt stats_sql[SQL__MAX] = {
    /* $1 caller, $2 region or NULL (then the caller's widest own region).
     * is_admin false: not a platform admin. */
    [SQL_SCOPE] = {"scope",
        "SELECT d.code, EXISTS (SELECT 1 FROM auth.platform_admins a WHERE a.user_id = $1) AS is_admin,"
        "   EXISTS (SELECT 1 FROM auth.platform_admins a CROSS JOIN LATERAL ref.region_range(a.region_code) s"
        "           WHERE a.user_id = $1 AND d.code BETWEEN s.lo AND s.hi) AS in_scope,"
        "   EXISTS (SELECT 1 FROM auth.platform_admins a CROSS JOIN LATERAL ref.region_range(a.region_code) s"
        "           WHERE a.user_id = $1 AND d.code BETWEEN s.lo AND s.hi AND d.code <> a.region_code) AS strictly"
        " FROM (SELECT coalesce($2::text, (SELECT a.region_code FROM auth.platform_admins a WHERE a.user_id = $1"
        "       ORDER BY length(rtrim(a.region_code, '0')), a.region_code LIMIT 1)) AS code) d"},

    /* $1 region. Statuses from the transition counts (docs/stats.md):
     * with a = least(signup_starts_at, starts_at), b = least(signup_ends_at,
     * starts_at), a <= b <= starts_at < ends_at, and N(x) the activities
     * whose x <= now: ended N(ends_at), ongoing N(starts_at) - N(ends_at),
     * signup_closed N(b) - N(starts_at), recruiting N(a) - N(b), upcoming
     * total - N(a). N(x) = summary months before this one + this month's tail.
     * n is MATERIALIZED: each tail is counted once, not once per use. */
    [SQL_OVERVIEW] = {"overview",
        "WITH t AS (SELECT now() AS at, stats.month_of(now()) AS m0),"
        " c AS (SELECT coalesce(sum(volunteers), 0) AS volunteers,"
        "   coalesce(sum(volunteers) FILTER (WHERE month = t.m0), 0) AS volunteers_new,"
        "   coalesce(sum(" ORGS "), 0) AS orgs, coalesce(sum(orgs_approved), 0) AS approved,"
        "   coalesce(sum(orgs_pending), 0) AS pending, coalesce(sum(corps), 0) AS corps,"
        "   coalesce(sum(detachment), 0) AS detachment, coalesce(sum(brigade), 0) AS brigade,"
        "   coalesce(sum(team), 0) AS team, coalesce(sum(squad), 0) AS squad,"
        "   coalesce(sum(activities), 0) AS activities, coalesce(sum(cancelled), 0) AS cancelled,"
        "   coalesce(sum(activities) FILTER (WHERE month >= date_trunc('quarter', t.m0)"
        "            AND month < date_trunc('quarter', t.m0) + interval '3 months'), 0) AS this_quarter,"
        "   coalesce(sum(participants), 0) AS signups_folded, coalesce(sum(service_hours), 0) AS service_hours,"
        "   coalesce(sum(activities) FILTER (WHERE month < t.m0), 0) AS started,"
        "   coalesce(sum(recruiting_from) FILTER (WHERE month < t.m0), 0) AS a_from,"
        "   coalesce(sum(closed_from) FILTER (WHERE month < t.m0), 0) AS b_from,"
        "   coalesce(sum(ended) FILTER (WHERE month < t.m0), 0) AS ended"
        "   FROM t LEFT JOIN stats.counts ON region_code = $1),"
        " n AS MATERIALIZED (SELECT c.*, c.started + " TAIL("a.starts_at") " AS n_s,"
        "   c.a_from + " TAIL("least(a.signup_starts_at, a.starts_at)") " AS n_a,"
        "   c.b_from + " TAIL("least(a.signup_ends_at, a.starts_at)") " AS n_b,"
        "   c.ended + " TAIL("a.ends_at") " AS n_e"
        "   FROM c, t, ref.region_range($1) rr)"
        " SELECT n.*, n.signups_folded + " DELTAS("1 = 1") " AS signups, n.n_e AS st_ended, n.n_s - n.n_e AS st_ongoing, n.n_b - n.n_s AS st_signup_closed,"
        "   n.n_a - n.n_b AS st_recruiting, n.activities - n.n_a AS st_upcoming,"
        "   (SELECT display::text FROM ref.regions WHERE code = $1) AS region, ref.rfc3339(now()) AS as_of"
        " FROM n"},

    /* $1 parent: its children (the provinces for 000000), zeros included. */
    [SQL_REGIONS] = {"regions",
        "WITH t AS (SELECT date_trunc('quarter', stats.month_of(now()))::date AS q0)"
        " SELECT g.code, g.display::text AS region, coalesce(c.volunteers, 0) AS volunteers,"
        "   coalesce(tg.volunteers, stats.default_target(g.code)) AS target, coalesce(c.orgs, 0) AS orgs,"
        "   coalesce(c.this_quarter, 0) AS activities_this_quarter, coalesce(c.service_hours, 0) AS service_hours,"
        "   ref.rfc3339(now()) AS as_of"
        " FROM t CROSS JOIN ref.regions g"
        " LEFT JOIN stats.targets tg ON tg.region_code = g.code"
        " LEFT JOIN LATERAL (SELECT sum(x.volunteers) AS volunteers, sum(x.orgs_pending + x.orgs_approved) AS orgs,"
        "   sum(x.activities) FILTER (WHERE x.month >= t.q0 AND x.month < (t.q0 + interval '3 months')::date)"
        "     AS this_quarter, sum(x.service_hours) AS service_hours"
        "   FROM stats.counts x WHERE x.region_code = g.code) c ON true"
        " WHERE g.parent_code = $1 OR ($1 = '000000' AND g.parent_code IS NULL)"
        " ORDER BY g.code"},

    /* $1 region: its target, or the notices' default (NULL: none). */
    [SQL_TARGET_GET] = {"target_get",
        "SELECT g.display::text AS region, t.volunteers, t.volunteers IS NULL AS is_default,"
        "   stats.default_target(g.code) AS default_volunteers"
        " FROM ref.regions g LEFT JOIN stats.targets t ON t.region_code = g.code WHERE g.code = $1"},

    /* $1 caller, $2 region, $3 volunteers: no row when the caller's scope
     * does not strictly contain the region (checked again in the function). */
    [SQL_TARGET_SET] = {"target_set",
        "SELECT s.region_code, s.volunteers, ref.region_json(s.region_code)::text AS region"
        " FROM stats.set_target($1::bigint, $2::text, $3::int) s"},

    /* $1 region, $2 year, $3 quarter, $4 below: how many approved orgs
     * (with no activity that quarter when below) from the summaries:
     * approved orgs minus active_orgs of the quarter (docs/stats.md). */
    [SQL_QUARTERLY_COUNT] = {"quarterly_count",
        "SELECT coalesce(sum(orgs_approved), 0) - CASE WHEN $4::bool THEN coalesce(sum(active_orgs)"
        "   FILTER (WHERE month = make_date($2::int, $3::int * 3 - 2, 1)), 0) ELSE 0 END AS total"
        " FROM stats.counts WHERE region_code = $1"},
    /* The page: approved orgs in index order (orgs_status_region), walked
     * until the page is full; "no activity" is stats.org_idle(), a probe of
     * activities_stats_org_starts (see its comment in migration 012). */
    [SQL_QUARTERLY_PAGE] = {"quarterly_page",
        QUARTER_CTE " SELECT o.id, o.name, o.level, ref.region_json(o.region_code)::text AS region,"
        "   (SELECT count(*)" QUARTER_ACTIVITIES ") AS activities" QUARTER_ORGS
        " ORDER BY o.region_code, o.id LIMIT $5 OFFSET $6"},

    /* $1 region, $2 month (its first day): a row per child region and the
     * region's own total last. Totals are as of the end of the month. */
    [SQL_MONTHLY_REPORT] = {"monthly_report",
        "WITH k AS (SELECT g.code, g.display::text AS region, false AS is_total FROM ref.regions g"
        "           WHERE g.parent_code = $1 OR ($1 = '000000' AND g.parent_code IS NULL)"
        "           UNION ALL SELECT $1, (SELECT display::text FROM ref.regions WHERE code = $1), true)"
        " SELECT k.code, k.region, k.is_total,"
        "   coalesce(sum(c.orgs_pending + c.orgs_approved) FILTER (WHERE c.month = $2::date), 0) AS orgs_new,"
        "   coalesce(sum(c.orgs_pending + c.orgs_approved), 0) AS orgs_total,"
        "   coalesce(sum(c.volunteers) FILTER (WHERE c.month = $2::date), 0) AS volunteers_new,"
        "   coalesce(sum(c.volunteers), 0) AS volunteers_total,"
        "   coalesce(sum(c.activities) FILTER (WHERE c.month = $2::date), 0) AS activities_held,"
        "   coalesce(sum(c.participants) FILTER (WHERE c.month = $2::date), 0)"
        "     + (SELECT coalesce(sum(d.participants), 0) FROM stats.participant_deltas d, ref.region_range(k.code) kr"
        "        WHERE d.region_code BETWEEN kr.lo AND kr.hi AND d.month = $2::date) AS participants,"
        "   coalesce(sum(c.service_hours) FILTER (WHERE c.month = $2::date), 0) AS service_hours,"
        "   ref.rfc3339(now()) AS as_of"
        " FROM k LEFT JOIN stats.counts c ON c.region_code = k.code AND c.month <= $2::date"
        " GROUP BY k.code, k.region, k.is_total ORDER BY k.is_total, k.code"},

    /* $1 region, $2 first month, $3 last month: one row per month. */
    [SQL_TREND] = {"trend",
        "SELECT to_char(m, 'YYYY-MM') AS month, coalesce(sum(c.volunteers), 0) AS volunteers_new,"
        "   coalesce(sum(c.activities), 0) AS activities_held, coalesce(sum(c.service_hours), 0) AS service_hours,"
        "   ref.rfc3339(now()) AS as_of"
        " FROM generate_series($2::date, $3::date, interval '1 month') m"
        " LEFT JOIN stats.counts c ON c.region_code = $1 AND c.month = m::date"
        " GROUP BY m ORDER BY m"},

    [SQL_PUBLIC] = {"public",
        "SELECT coalesce(sum(volunteers), 0) AS volunteers, coalesce(sum(" ORGS "), 0) AS orgs,"
        "   coalesce(sum(activities), 0) AS activities, coalesce(sum(service_hours), 0) AS service_hours,"
        "   ref.rfc3339(now()) AS as_of"
        " FROM stats.counts WHERE region_code = '000000'"},
};
