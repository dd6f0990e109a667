/* Volunteer targets: the notices' defaults (county 1000, city 10000,
 * provinces none), overridden per region by a higher admin. */
#include <stdio.h>

#include "stats.h"

/* The region code of /stats/targets/{region_code}, as the route read it. */
static const char *path_code(req_t *r)
{
    return arena_printf(&r->arena, "%lld", r->path_ids[0]);
}

/* GET /stats/targets/{region_code}: 200 {region, volunteers (null: no
 * target), default}; 401; 403 (not a platform admin); 404 (unknown, or
 * outside the caller's scope). */
void h_target_get(req_t *r)
{
    stats_region reg;
    if (!stats_path_region_or_reply(r, path_code(r), &reg))
        return;
    PGresult *res = db_query_or_reply(r, SQL_TARGET_GET, 1, (const char *[]){reg.code});
    if (!res)
        return;
    bool is_default = db_bool(res, 0, "is_default");
    const char *col = is_default ? "default_volunteers" : "volunteers";
    json_t *body = json_pack("{s:o, s:o, s:b}", "region", stats_json_col(res, 0, "region"), "volunteers",
                             db_isnull(res, 0, col) ? json_null() : json_integer((json_int_t)db_int(res, 0, col)),
                             "default", is_default);
    PQclear(res);
    reply_json(r, 200, body);
}

typedef struct {
    opt_int volunteers;
} target_body;

static const field_spec target_fields[] = {
    {"volunteers", F_INT, FIELD_REQUIRED, 1, 1000000000, offsetof(target_body, volunteers), NULL, NULL},
};

/* PUT /stats/targets/{region_code} {"volunteers"}: 200 {region, volunteers,
 * default: false}; 400; 401; 403 (not a platform admin, or one whose scope
 * covers the region without strictly containing it); 404; 422. */
void h_target_put(req_t *r)
{
    stats_region reg;
    target_body b = {0};
    if (!stats_path_region_or_reply(r, path_code(r), &reg))
        return;
    if (!reg.strictly) {
        reply_error(r, ERR_FORBIDDEN, "a target is set by an admin of a wider region");
        return;
    }
    if (!body_parse_or_reply(r, target_fields, sizeof target_fields / sizeof *target_fields, &b))
        return;
    PGresult *res = stats_write_or_reply(r, SQL_TARGET_SET, 3,
                                         (const char *[]){id_str(r, r->user_id), reg.code, id_str(r, b.volunteers.v)});
    if (!res)
        return;
    if (PQntuples(res) != 1) { /* the grant went away since the scope check */
        PQclear(res);
        reply_error(r, ERR_FORBIDDEN, "a target is set by an admin of a wider region");
        return;
    }
    json_t *body = json_pack("{s:o, s:I, s:b}", "region", stats_json_col(res, 0, "region"), "volunteers",
                             (json_int_t)db_int(res, 0, "volunteers"), "default", 0);
    PQclear(res);
    reply_json(r, 200, body);
}
