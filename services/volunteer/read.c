/* Reading volunteers: one by id (with its visibility rules), the platform
 * admins' list, and the caller's own orgs, activities and service records. */
#include <string.h>

#include "volunteer.h"

/* GET /volunteers/{id}: 200 to the volunteer, to admins of an org (or an
 * ancestor org) it has joined or applied to (full phone), and to platform
 * admins whose region covers it (phone masked); 404 to anyone else. */
void h_volunteer_get(req_t *r)
{
    const char *id = id_str(r, r->path_ids[0]);
    const char *caller = id_str(r, r->user_id);
    PGresult *res = db_row_or_reply(r, SQL_VOLUNTEER_BY_ID, 2, (const char *[]){id, caller}, "no such volunteer");
    if (!res)
        return;
    bool full_phone = db_bool(res, 0, "is_self") || db_bool(res, 0, "org_admin");
    bool visible = full_phone || db_bool(res, 0, "admin_in_scope");
    json_t *v = visible ? volunteer_json(res, 0, full_phone) : NULL;
    PQclear(res);
    if (!visible)
        reply_error(r, ERR_NOT_FOUND, "no such volunteer");
    else if (!v)
        reply_error(r, ERR_INTERNAL, NULL);
    else
        reply_json(r, 200, v);
}

/* "{a,b,c}": codes are digits only, so no quoting is needed. */
static const char *pg_array(req_t *r, const code_range *ranges, int n, bool hi)
{
    char *buf = arena_alloc(&r->arena, (size_t)n * 7 + 3);
    if (!buf)
        return NULL; /* the arena has failed: db_exec refuses to run */
    size_t o = 0;
    buf[o++] = '{';
    for (int i = 0; i < n; i++) {
        if (i)
            buf[o++] = ',';
        memcpy(buf + o, hi ? ranges[i].hi : ranges[i].lo, 6);
        o += 6;
    }
    buf[o++] = '}';
    buf[o] = '\0';
    return buf;
}

#define MAX_SCOPES 64

/* Platform admins see phones masked (API.md, Volunteers). */
static json_t *masked_volunteer_row(req_t *r, const PGresult *res, int row)
{
    (void)r;
    return volunteer_json(res, row, false);
}

typedef struct {
    const char *region, *q, *service_category;
} volunteer_query;
static const field_spec volunteer_query_fields[] = {
    QUERY_FIELD(volunteer_query, region, F_STRING, 0, NULL, NULL), /* region_param_or_reply */
    QUERY_FIELD(volunteer_query, q, F_STRING, 50, NULL, NULL),
    QUERY_FIELD(volunteer_query, service_category, F_STRING, 0, NULL, &CODES_SERVICE_CATEGORY),
};

/* GET /volunteers?region=&q=&service_category=&page=&page_size=: 200 paged,
 * 401, 403 for callers who are not platform admins, 422. */
void h_volunteer_list(req_t *r)
{
    volunteer_query vq = {0};
    paging_t pg;
    region_info want_region;
    code_range want, scope[MAX_SCOPES], ranges[MAX_SCOPES];
    query_fields(r, volunteer_query_fields, sizeof volunteer_query_fields / sizeof *volunteer_query_fields, &vq, &pg);
    if (!region_param_or_reply(r, "region", vq.region, &want_region) || fields_failed_reply(r))
        return;
    memcpy(want.lo, want_region.lo, sizeof want.lo);
    memcpy(want.hi, want_region.hi, sizeof want.hi);

    const char *caller = id_str(r, r->user_id);
    PGresult *res = db_query_or_reply(r, SQL_ADMIN_SCOPE, 1, (const char *[]){caller});
    if (!res)
        return;
    int nscope = PQntuples(res) < MAX_SCOPES ? PQntuples(res) : MAX_SCOPES;
    for (int i = 0; i < nscope; i++) {
        snprintf(scope[i].lo, sizeof scope[i].lo, "%s", db_str(res, i, "lo"));
        snprintf(scope[i].hi, sizeof scope[i].hi, "%s", db_str(res, i, "hi"));
    }
    PQclear(res);
    if (!nscope) {
        reply_error(r, ERR_FORBIDDEN, "only platform admins list volunteers");
        return;
    }
    int n = region_ranges_within(scope, nscope, vq.region ? &want : NULL, ranges);
    /* n == 0 (the request lies outside the scope) selects nothing: an empty page */
    const char *params[6] = {pg_array(r, ranges, n, false), pg_array(r, ranges, n, true), vq.q, vq.service_category};
    reply_page(r, SQL_VOLUNTEER_COUNT, SQL_VOLUNTEER_PAGE, 4, params, &pg, masked_volunteer_row);
}

static bool is_volunteer_or_reply(req_t *r)
{
    return volunteer_id_or_reply(r, "the caller has not registered as a volunteer") != 0;
}

/* GET /volunteers/me/orgs: 200 {"items": [{org, status, joined_at}]}, 401, 403. */
void h_me_orgs(req_t *r)
{
    const char *uid = id_str(r, r->user_id);
    if (!is_volunteer_or_reply(r))
        return;
    PGresult *res = db_query_or_reply(r, SQL_MY_ORGS, 1, (const char *[]){uid});
    if (!res)
        return;
    json_t *items = json_array();
    for (int i = 0; i < PQntuples(res); i++)
        json_array_append_new(items, json_pack("{s:{s:I, s:s}, s:s, s:s?, s:s}", "org", "id",
                                               (json_int_t)db_int(res, i, "org_id"), "name", db_str(res, i, "name"),
                                               "status", db_str(res, i, "status"), "joined_at",
                                               db_str(res, i, "joined_at"), "applied_at", db_str(res, i, "applied_at")));
    PQclear(res);
    reply_json(r, 200, json_pack("{s:o}", "items", items));
}

static json_t *my_signup_row(req_t *r, const PGresult *res, int row)
{
    (void)r;
    return json_pack("{s:o, s:s, s:s, s:o}", "activity", activity_json(res, row), "status",
                     db_str(res, row, "signup_status"), "created_at", db_str(res, row, "signup_created_at"), "hours",
                     db_isnull(res, row, "recorded_hours") ? json_null() : json_real(db_num(res, row, "recorded_hours")));
}

typedef struct {
    const char *filter, *q;
} my_activities_query;
static const field_spec my_activities_query_fields[] = {
    QUERY_FIELD(my_activities_query, filter, F_STRING, 0, NULL, &CODES_SIGNUP_FILTER),
    QUERY_FIELD(my_activities_query, q, F_STRING, 50, NULL, NULL),
};

/* GET /volunteers/me/activities?filter=all|upcoming|ended&q=: 200 paged
 * sign-ups {activity, status, created_at, hours}; 401, 403, 422. */
void h_me_activities(req_t *r)
{
    my_activities_query mq = {0};
    paging_t pg;
    if (!query_parse_or_reply(r, my_activities_query_fields,
                              sizeof my_activities_query_fields / sizeof *my_activities_query_fields, &mq, &pg) ||
        !is_volunteer_or_reply(r))
        return;
    if (!region_displays_ready_or_reply(r))
        return;
    const char *params[5] = {id_str(r, r->user_id), mq.filter ? mq.filter : "all", mq.q};
    reply_page(r, SQL_MY_ACTIVITIES_COUNT, SQL_MY_ACTIVITIES_PAGE, 3, params, &pg, my_signup_row);
}

/* GET /volunteers/me/service-records: 200 {"total_hours", "items":
 * [{activity {id, title, org}, date, hours}]}; 401, 403. */
void h_me_service_records(req_t *r)
{
    if (!is_volunteer_or_reply(r))
        return;
    PGresult *res = db_query_or_reply(r, SQL_MY_SERVICE_RECORDS, 1,
                                      (const char *[]){id_str(r, r->user_id)});
    if (!res)
        return;
    json_t *items = json_array();
    for (int i = 0; i < PQntuples(res); i++)
        json_array_append_new(items, json_pack("{s:{s:I, s:s, s:{s:I, s:s}}, s:s, s:f}", "activity", "id",
                                               (json_int_t)db_int(res, i, "id"), "title", db_str(res, i, "title"),
                                               "org", "id", (json_int_t)db_int(res, i, "org_id"), "name",
                                               db_str(res, i, "org_name"), "date", db_str(res, i, "date"), "hours",
                                               db_num(res, i, "hours")));
    double total = PQntuples(res) ? db_num(res, 0, "total_hours") : 0.0;
    PQclear(res);
    reply_json(r, 200, json_pack("{s:f, s:o}", "total_hours", total, "items", items));
}
