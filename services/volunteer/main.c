/* stvs-volunteer: volunteers, and the reference data (code tables, regions). */
#include <string.h>

#include "volunteer.h"

static const route_t routes[] = {
    {"GET",   "/meta/codes",                      h_meta_codes,         ROUTE_NO_DB},
    {"GET",   "/meta/regions",                    h_meta_regions,       0},
    {"POST",  "/volunteers",                      h_volunteer_create,   ROUTE_AUTH},
    {"GET",   "/volunteers",                      h_volunteer_list,     ROUTE_AUTH},
    {"GET",   "/volunteers/me",                   h_me_get,             ROUTE_AUTH},
    {"PATCH", "/volunteers/me",                   h_me_patch,           ROUTE_AUTH},
    {"POST",  "/volunteers/me/claim",             h_me_claim,           ROUTE_AUTH},
    {"GET",   "/volunteers/me/orgs",              h_me_orgs,            ROUTE_AUTH},
    {"GET",   "/volunteers/me/activities",        h_me_activities,      ROUTE_AUTH},
    {"GET",   "/volunteers/me/service-records",   h_me_service_records, ROUTE_AUTH},
    {"GET",   "/volunteers/me/service-records.xlsx", h_me_service_records_xlsx, ROUTE_AUTH | ROUTE_SLOW},
    {"GET",   "/volunteers/{id}",                 h_volunteer_get,      ROUTE_AUTH},
    {"GET",   "/volunteers/health",               app_health,           0},
};

unsigned char id_seal_key[32], id_index_key[32];

static int volunteer_init(const stvs_config *cfg)
{
    profile_init();
    return crypto_derive_key(cfg->data_key, "stvs/volunteer/id-seal/v1", id_seal_key) ||
                   crypto_derive_key(cfg->data_key, "stvs/volunteer/id-index/v1", id_index_key)
               ? -1
               : 0;
}

static void volunteer_cleanup(void)
{
    explicit_bzero(id_seal_key, sizeof id_seal_key);
    explicit_bzero(id_index_key, sizeof id_index_key);
}

int main(void)
{
    static const service_t svc = {
        .name = "volunteer",
        .routes = routes,
        .nroutes = sizeof routes / sizeof *routes,
        .stmts = volunteer_sql,
        .nstmts = SQL__MAX,
        .common_sql = COMMON_SQL_REGION | COMMON_SQL_VOLUNTEER | COMMON_SQL_REGION_DISPLAYS,
        .needs_data_key = true,
        .init = volunteer_init,
        .cleanup = volunteer_cleanup,
    };
    return app_run(&svc);
}
