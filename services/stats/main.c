/* stvs-stats: statistics for 科协 staff (API.md "Statistics for 科协 staff").
 * Reads the summaries of migration 012 (docs/stats.md); its role may only
 * SELECT, and set targets through stats.set_target(). It may read a standby
 * (STVS_STATS_DB) and writes on the primary (primary.c). */
#include "stats.h"

static const route_t routes[] = {
    {"GET", "/stats/overview",       h_overview,       ROUTE_AUTH},
    {"GET", "/stats/regions",        h_regions,        ROUTE_AUTH},
    {"GET", "/stats/targets/{id}",   h_target_get,     ROUTE_AUTH},
    {"PUT", "/stats/targets/{id}",   h_target_put,     ROUTE_AUTH},
    {"GET", "/stats/quarterly",      h_quarterly,      ROUTE_AUTH},
    {"GET", "/stats/monthly-report", h_monthly_report, ROUTE_AUTH | ROUTE_SLOW},
    {"GET", "/stats/trend",          h_trend,          ROUTE_AUTH},
    {"GET", "/stats/public",         h_public,         0},
    {"GET", "/stats/health",         app_health,       0},
};

int main(void)
{
    static const service_t svc = {
        .name = "stats",
        .routes = routes,
        .nroutes = sizeof routes / sizeof *routes,
        .stmts = stats_sql,
        .nstmts = SQL__MAX,
        .common_sql = COMMON_SQL_REGION, /* region.c's lookup (?region=, /stats/targets/{code}) */
        .init = stats_init,       /* reads through STVS_STATS_DB when set, writes through STVS_DB */
        .cleanup = stats_cleanup,
    };
    return app_run(&svc);
}
