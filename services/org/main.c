/* stvs-org: the team tree, approval, admins, membership and rosters. */
#include "org.h"

static const route_t routes[] = {
    {"POST",   "/orgs",                              h_org_create,     ROUTE_AUTH},
    {"GET",    "/orgs",                              h_org_list,       0},
    {"GET",    "/orgs/health",                       app_health,       0},
    {"GET",    "/orgs/{id}",                         h_org_get,        ROUTE_AUTH_OPTIONAL},
    {"PATCH",  "/orgs/{id}",                         h_org_patch,      ROUTE_AUTH},
    {"GET",    "/orgs/{id}/children",                h_org_children,   ROUTE_AUTH_OPTIONAL},
    {"POST",   "/orgs/{id}/approve",                 h_org_approve,    ROUTE_AUTH},
    {"POST",   "/orgs/{id}/reject",                  h_org_reject,     ROUTE_AUTH},
    {"GET",    "/orgs/{id}/admins",                  h_admins_list,    ROUTE_AUTH},
    {"POST",   "/orgs/{id}/admins",                  h_admin_add,      ROUTE_AUTH},
    {"DELETE", "/orgs/{id}/admins/{id}",             h_admin_remove,   ROUTE_AUTH},
    {"GET",    "/orgs/{id}/members",                 h_members_list,   ROUTE_AUTH},
    {"GET",    "/orgs/{id}/members.xlsx",            h_members_xlsx,   ROUTE_AUTH | ROUTE_SLOW},
    {"POST",   "/orgs/{id}/members",                 h_member_apply,   ROUTE_AUTH},
    {"DELETE", "/orgs/{id}/members/me",              h_member_leave,   ROUTE_AUTH},
    {"DELETE", "/orgs/{id}/members/{id}",            h_member_remove,  ROUTE_AUTH},
    {"POST",   "/orgs/{id}/members/{id}/approve",    h_member_approve, ROUTE_AUTH},
    {"POST",   "/orgs/{id}/members/{id}/reject",     h_member_reject,  ROUTE_AUTH},
    {"POST",   "/orgs/{id}/link-requests",           h_link_request_create,  ROUTE_AUTH},
    {"GET",    "/orgs/{id}/link-requests",           h_link_requests_list,   ROUTE_AUTH},
    {"POST",   "/orgs/{id}/link-requests/{id}/approve", h_link_request_approve, ROUTE_AUTH},
    {"POST",   "/orgs/{id}/link-requests/{id}/reject",  h_link_request_reject,  ROUTE_AUTH},
};

static int org_init(const stvs_config *cfg)
{
    (void)cfg;
    orgs_init();
    return 0;
}

int main(void)
{
    static const service_t svc = {
        .name = "org",
        .routes = routes,
        .nroutes = sizeof routes / sizeof *routes,
        .stmts = org_sql,
        .nstmts = SQL__MAX,
        .common_sql = COMMON_SQL_REGION | COMMON_SQL_VOLUNTEER,
        .init = org_init,
    };
    return app_run(&svc);
}
