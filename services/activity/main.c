/* stvs-activity: publish, find, sign up, record hours, publicize. */
#include "activity.h"

static const route_t routes[] = {
    {"POST",   "/activities",                        h_activity_create, ROUTE_AUTH},
    {"GET",    "/activities",                        h_activity_list,   0},
    {"GET",    "/activities/health",                 app_health,        0},
    {"GET",    "/activities/{id}",                   h_activity_get,    0},
    {"PATCH",  "/activities/{id}",                   h_activity_patch,  ROUTE_AUTH},
    {"POST",   "/activities/{id}/cancel",            h_activity_cancel, ROUTE_AUTH},
    {"POST",   "/activities/{id}/signups",           h_signup_create,   ROUTE_AUTH | ROUTE_ONE_AT_A_TIME},
    {"DELETE", "/activities/{id}/signups/me",        h_signup_withdraw, ROUTE_AUTH | ROUTE_ONE_AT_A_TIME},
    {"GET",    "/activities/{id}/signups",           h_signups_list,    ROUTE_AUTH},
    {"GET",    "/activities/{id}/signups.xlsx",      h_signups_xlsx,    ROUTE_AUTH | ROUTE_SLOW},
    {"POST",   "/activities/{id}/service-records",   h_records_post,    ROUTE_AUTH},
    {"PUT",    "/activities/{id}/report",            h_report_put,      ROUTE_AUTH},
    {"GET",    "/activities/{id}/report",            h_report_get,      0},
};

static int activity_init(const stvs_config *cfg)
{
    publish_init();
    return listing_refresh_start(cfg->db_conninfo);
}

int main(void)
{
    static const service_t svc = {
        .name = "activity",
        .routes = routes,
        .nroutes = sizeof routes / sizeof *routes,
        .stmts = activity_sql,
        .nstmts = SQL__MAX,
        .common_sql = COMMON_SQL_REGION | COMMON_SQL_VOLUNTEER | COMMON_SQL_REGION_DISPLAYS,
        .init = activity_init,
        .cleanup = listing_refresh_stop,
    };
    return app_run(&svc);
}
