/* Volunteer targets: the notices' defaults (county 1000, city 10000,
 * provinces none), overridden per region by a higher admin. */
#include <stdio.h>

#include "stats.h"

/* The region code of /stats/targets/{region_code}, as the route read it. */
static const char *path_code(req_t *r)
{
    return arena_printf(&r->arena, "%lld", r->path_ids[0]);
}

/* A target's ETag: its row version, "0" while unset; every write takes a
 * new one from a sequence (migration 016), so a tag is never reused for
 * another state: a strong validator. */
static const char *target_etag(req_t *r, long long version)
{
    return arena_printf(&r->arena, "\"%lld\"", version);
}

/* GET /stats/targets/{region_code}: 200 {region, volunteers (null: no
 * target), default} and its ETag; 401; 403 (not a platform admin); 404
 * (unknown, or outside the caller's scope). */
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
    const char *etag = target_etag(r, db_int(res, 0, "version"));
    PQclear(res);
    reply_json(r, 200, body);
    if (etag)
        reply_header(r, "ETag", etag);
    else
        reply_error(r, ERR_INTERNAL, NULL);
}

/* With If-Match: *version is the version the header matches (the
 * target's current one, read on the primary), which the write then requires
 * again; NULL without If-Match. False after replying (412, or an error). */
static bool if_match_or_reply(req_t *r, const char *code, const char **version)
{
    *version = NULL;
    if (!r->if_match)
        return true;
    PGresult *res = stats_write_or_reply(r, SQL_TARGET_GET, 1, (const char *[]){code});
    if (!res)
        return false;
    long long current = db_int(res, 0, "version");
    PQclear(res);
    const char *etag = target_etag(r, current);
    *version = id_str(r, current);
    if (!etag || !*version) { /* a NULL version would write unchecked */
        reply_error(r, ERR_INTERNAL, NULL);
        return false;
    }
    if (!if_match_ok(r->if_match, etag)) {
        reply_error(r, ERR_PRECONDITION_FAILED, "the target has changed since this ETag (If-Match); GET it again");
        return false;
    }
    return true;
}

typedef struct {
    opt_int volunteers;
} target_body;

static const field_spec target_fields[] = {
    {"volunteers", F_INT, FIELD_REQUIRED, 1, 1000000000, offsetof(target_body, volunteers), NULL, NULL},
};

/* PUT /stats/targets/{region_code} {"volunteers"} (If-Match optional): 200
 * {region, volunteers, default: false} and its new ETag; 400; 401; 403 (not
 * a platform admin, or one whose scope covers the region without strictly
 * containing it); 404; 412 precondition_failed (nothing written); 422. */
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
    const char *version;
    if (!if_match_or_reply(r, reg.code, &version))
        return;
    /* The write compares version again on the locked row: 412 (sql.def)
     * when another PUT came in between. */
    PGresult *res = stats_write_or_reply(
        r, SQL_TARGET_SET, 4, (const char *[]){id_str(r, r->user_id), reg.code, id_str(r, b.volunteers.v), version});
    if (!res)
        return;
    if (PQntuples(res) != 1) { /* the grant went away since the scope check */
        PQclear(res);
        reply_error(r, ERR_FORBIDDEN, "a target is set by an admin of a wider region");
        return;
    }
    json_t *body = json_pack("{s:o, s:I, s:b}", "region", stats_json_col(res, 0, "region"), "volunteers",
                             (json_int_t)db_int(res, 0, "volunteers"), "default", 0);
    const char *etag = target_etag(r, db_int(res, 0, "version"));
    PQclear(res);
    reply_json(r, 200, body);
    if (etag)
        reply_header(r, "ETag", etag);
    else
        reply_error(r, ERR_INTERNAL, NULL);
}
