/* stvs-import: 集体注册, rosters from the official spreadsheets (API.md,
 * "Bulk registration"). Requests check an upload and queue it; worker
 * threads of this process (jobs.c, STVS_IMPORT_WORKERS, default 2) do the
 * validation and the commit. */
#include <string.h>

#include "import.h"

static const route_t routes[] = {
    {"POST", "/imports",                          h_import_create,       ROUTE_AUTH | ROUTE_RAW_BODY | ROUTE_SLOW},
    {"GET",  "/imports",                          h_import_list,         ROUTE_AUTH},
    {"GET",  "/imports/templates/volunteers.xlsx", h_template_volunteers, ROUTE_NO_DB},
    {"GET",  "/imports/templates/orgs.xlsx",      h_template_orgs,       ROUTE_NO_DB},
    {"GET",  "/imports/health",                   app_health,            0},
    {"GET",  "/imports/{id}",                     h_import_get,          ROUTE_AUTH},
    {"GET",  "/imports/{id}/rows",                h_import_rows,         ROUTE_AUTH},
    {"POST", "/imports/{id}/commit",              h_import_commit,       ROUTE_AUTH},
    {"GET",  "/imports/{id}/errors.xlsx",         h_import_errors_xlsx,  ROUTE_AUTH | ROUTE_SLOW},
};

unsigned char id_seal_key[32], id_index_key[32], import_key[32];

static int import_init(const stvs_config *cfg)
{
    long workers;
    /* the volunteer service's keys: an imported ID number is sealed and
     * indexed exactly as a registered one */
    if (crypto_derive_key(cfg->data_key, "stvs/volunteer/id-seal/v1", id_seal_key) ||
        crypto_derive_key(cfg->data_key, "stvs/volunteer/id-index/v1", id_index_key) ||
        crypto_derive_key(cfg->data_key, "stvs/import/at-rest/v1", import_key) ||
        config_int("STVS_IMPORT_WORKERS", 2, 1, 16, &workers))
        return -1;
    return jobs_start(cfg, (int)workers);
}

static void import_cleanup(void)
{
    jobs_stop();
    explicit_bzero(id_seal_key, sizeof id_seal_key);
    explicit_bzero(id_index_key, sizeof id_index_key);
    explicit_bzero(import_key, sizeof import_key);
}

int main(void)
{
    static const service_t svc = {
        .name = "import",
        .routes = routes,
        .nroutes = sizeof routes / sizeof *routes,
        .stmts = import_sql,
        .nstmts = SQL__MAX,
        .needs_data_key = true,
        .max_body = IMPORT_MAX_BODY,
        .init = import_init,
        .cleanup = import_cleanup,
        .metrics = jobs_metrics,
    };
    return app_run(&svc);
}
