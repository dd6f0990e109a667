/* Orgs: registration, the public list and detail, children, edits and
 * approval. */
#include <string.h>
#include <time.h>

#include "datetime.h"
#include "request.h"
#include "org.h"

bool can_manage(const org_access *a) { return a->own_admin || a->ancestor_admin || a->platform_admin; }
bool can_approve(const org_access *a) { return !a->own_admin && (a->ancestor_admin || a->platform_admin); }

int org_access_load(req_t *r, long long org_id, org_access *a)
{
    memset(a, 0, sizeof *a);
    PGresult *res = db_query_or_reply(r, SQL_ORG_ACCESS, 2, (const char *[]){id_str(r, org_id), id_str(r, r->user_id)});
    if (!res)
        return -1;
    bool found = PQntuples(res) == 1;
    if (found) {
        a->id = org_id;
        snprintf(a->status, sizeof a->status, "%s", db_str(res, 0, "status"));
        snprintf(a->level, sizeof a->level, "%s", db_str(res, 0, "level"));
        snprintf(a->region_code, sizeof a->region_code, "%s", db_str(res, 0, "region_code"));
        a->own_admin = db_bool(res, 0, "own_admin");
        a->ancestor_admin = db_bool(res, 0, "ancestor_admin");
        a->platform_admin = db_bool(res, 0, "platform_admin");
    }
    PQclear(res);
    return found && (!strcmp(a->status, "approved") || can_manage(a));
}

bool org_access_or_reply(req_t *r, long long org_id, org_access *a)
{
    int visible = org_access_load(r, org_id, a);
    if (visible == 0)
        reply_error(r, ERR_NOT_FOUND, "no such organization");
    return visible == 1;
}

static bool org_right_or_reply(req_t *r, long long org_id, org_access *a, org_right right, const char *denied)
{
    if (!org_access_or_reply(r, org_id, a))
        return false;
    if (!right(a)) {
        reply_error(r, ERR_FORBIDDEN, denied);
        return false;
    }
    return true;
}

bool org_locked_or_reply(req_t *r, long long org_id, org_access *a, org_right right, const char *denied)
{
    if (!org_right_or_reply(r, org_id, a, right, denied))
        return false;
    const char *id = id_str(r, org_id);
    return db_begin_or_reply(r) && db_do_or_reply(r, SQL_ORG_LOCK_ANCESTORS, 1, &id) &&
           db_do_or_reply(r, SQL_ORG_LOCK, 1, &id) && org_right_or_reply(r, org_id, a, right, denied);
}

json_t *org_json(const PGresult *res, int row)
{
    json_t *parent = db_isnull(res, row, "parent_id")
                         ? json_null()
                         : json_pack("{s:I, s:s}", "id", (json_int_t)db_int(res, row, "parent_id"), "name",
                                     db_str(res, row, "parent_name"));
    json_t *leader = db_isnull(res, row, "leader_name")
                         ? json_null()
                         : json_pack("{s:s, s:s?}", "name", db_str(res, row, "leader_name"), "title",
                                     db_str(res, row, "leader_title"));
    return json_pack("{s:I, s:s, s:o, s:s, s:o, s:s, s:s?, s:b, s:s, s:s, s:s, s:o, s:o, s:o, s:s?, s:I, s:I, s:s}",
                     "id", (json_int_t)db_int(res, row, "id"), "name", db_str(res, row, "name"), "former_names",
                     db_json(res, row, "former_names", json_array()), "level",
                     db_str(res, row, "level"), "parent", parent, "status", db_str(res, row, "status"),
                     "reject_reason", db_str(res, row, "reject_reason"), "registered_with_civil_affairs",
                     db_bool(res, row, "registered_with_civil_affairs"), "supervisor_type",
                     db_str(res, row, "supervisor_type"), "supervisor_name", db_str(res, row, "supervisor_name"),
                     "founded_on", db_str(res, row, "founded_on"), "service_categories",
                     db_json(res, row, "service_categories", json_array()), "region",
                     db_json(res, row, "region", json_null()), "leader",
                     leader, "description", db_str(res, row, "description"), "member_count",
                     (json_int_t)db_int(res, row, "member_count"), "activity_count",
                     (json_int_t)db_int(res, row, "activity_count"), "created_at", db_str(res, row, "created_at"));
}

json_t *org_json_or_reply(req_t *r, long long org_id, char etag[ETAG_MAX])
{
    PGresult *res = db_row_or_reply(r, SQL_ORG_GET, 1, (const char *[]){id_str(r, org_id)}, "no such organization");
    if (!res)
        return NULL;
    json_t *o = org_json(res, 0);
    if (o && etag)
        org_etag(r, db_int(res, 0, "version"), o, etag);
    PQclear(res);
    if (!o)
        reply_error(r, ERR_INTERNAL, NULL);
    return o;
}

void reply_org(req_t *r, int status, long long org_id)
{
    char etag[ETAG_MAX];
    json_t *o = org_json_or_reply(r, org_id, etag);
    if (!o)
        return;
    reply_json(r, status, o); /* a failed commit answers instead, without the ETag */
    if (!r->db->in_tx || db_commit_or_reply(r))
        reply_header(r, "ETag", etag);
}

static json_t *org_row(req_t *r, const PGresult *res, int row)
{
    (void)r;
    return org_json(res, row);
}

/* --- registration and edits ---------------------------------------------- */

typedef struct {
    const char *name, *level, *supervisor_type, *supervisor_name, *founded_on, *region_code, *description;
    opt_int parent_id;
    opt_bool registered_with_civil_affairs;
    const json_t *service_categories, *leader;
} org_body;

typedef struct {
    const char *name, *title, *employer, *phone;
} leader_body;

#define F(name, type, flags, min, max, check, table) {#name, type, flags, min, max, offsetof(org_body, name), check, table}
static const field_spec org_fields[] = {
    F(name, F_STRING, FIELD_REQUIRED, ORG_NAME_MIN, ORG_NAME_MAX, NULL, NULL),
    F(level, F_STRING, FIELD_REQUIRED, 0, 0, NULL, &CODES_ORG_LEVEL),
    F(parent_id, F_INT, FIELD_NULLABLE, 1, 999999999999999999, NULL, NULL),
    F(registered_with_civil_affairs, F_BOOL, FIELD_REQUIRED, 0, 0, NULL, NULL),
    F(supervisor_type, F_STRING, FIELD_REQUIRED, 0, 0, NULL, &CODES_SUPERVISOR_TYPE),
    F(supervisor_name, F_STRING, FIELD_REQUIRED, ORG_SUPERVISOR_NAME_MIN, ORG_SUPERVISOR_NAME_MAX, NULL, NULL),
    F(founded_on, F_STRING, FIELD_REQUIRED, 0, 0, check_past_date, NULL),
    F(service_categories, F_ARRAY, FIELD_REQUIRED, ORG_CATEGORIES_MIN, ORG_CATEGORIES_MAX, NULL, &CODES_SERVICE_CATEGORY),
    F(region_code, F_STRING, FIELD_REQUIRED, 0, 0, check_region_code, NULL),
    F(leader, F_OBJECT, FIELD_NULLABLE, 0, 0, NULL, NULL),
    F(description, F_STRING, FIELD_NULLABLE | FIELD_MULTILINE, 0, ORG_DESCRIPTION_MAX, NULL, NULL),
};
#undef F
#define NFIELDS (sizeof org_fields / sizeof *org_fields)
#define L(name, flags, min, max, check) {#name, F_STRING, flags, min, max, offsetof(leader_body, name), check, NULL}
static const field_spec leader_fields[] = {
    L(name, FIELD_REQUIRED, ORG_LEADER_NAME_MIN, ORG_LEADER_NAME_MAX, NULL),
    L(title, FIELD_NULLABLE, 0, ORG_LEADER_TITLE_MAX, NULL),
    L(employer, FIELD_NULLABLE, 0, ORG_LEADER_EMPLOYER_MAX, NULL),
    L(phone, FIELD_NULLABLE, 0, 0, check_phone),
};
#undef L

/* PATCH takes every field of POST but parent_id, which is no field of it
 * (422 unknown_field): a parent never changes. */
static field_spec patch_fields[NFIELDS];
static size_t npatch_fields;

void orgs_init(void)
{
    static const char *const immutable[] = {NULL};
    field_spec all[NFIELDS];
    fields_for_patch(org_fields, NFIELDS, immutable, all);
    for (size_t i = 0; i < NFIELDS; i++)
        if (strcmp(all[i].name, "parent_id"))
            patch_fields[npatch_fields++] = all[i];
}

/* Checks the body against a field table, the leader object and the region
 * (any level). False after replying 503. */
static bool org_body_check(req_t *r, const field_spec *fields, size_t n, org_body *b, leader_body *l)
{
    region_info region;
    body_fields(r, fields, n, b);
    if (b->leader)
        body_fields_of(r, b->leader, "leader.", leader_fields, sizeof leader_fields / sizeof *leader_fields, l);
    if (b->region_code) {
        if (!region_lookup_or_reply(r, b->region_code, &region))
            return false;
        if (!region.found)
            field_error(r, "region_code", "invalid_choice", "no such region");
    }
    return true;
}

/* A new level must stay below the parent's and above every child's; adds a
 * field error when not. False after replying 503. */
static bool level_fits_or_reply(req_t *r, long long org_id, const char *level)
{
    PGresult *res = db_query_or_reply(r, SQL_LEVEL_NEIGHBOURS, 1, (const char *[]){id_str(r, org_id)});
    if (!res)
        return false;
    bool fits = db_isnull(res, 0, "parent_level") || org_level_under(level, db_str(res, 0, "parent_level"));
    json_t *children = req_own(r, db_json(res, 0, "child_levels", json_array()));
    PQclear(res);
    if (!children) {
        reply_error(r, ERR_INTERNAL, NULL);
        return false;
    }
    size_t i;
    json_t *child;
    json_array_foreach(children, i, child)
        fits = fits && org_level_under(json_string_value(child), level);
    if (!fits)
        field_error(r, "level", ORG_WRONG_LEVEL, "must stay below the parent's level and above its children's");
    return true;
}

/* POST /orgs: 201 pending with Location; 400, 401, 403 volunteer_required,
 * 409 already_exists / org_not_approved (the parent), 413, 415, 422 (a
 * parent the caller cannot see is an unknown parent_id). The caller becomes
 * its first admin. */
void h_org_create(req_t *r)
{
    org_body b = {0};
    leader_body l = {0};
    org_access parent = {0};
    if (!body_object_or_reply(r) || !org_body_check(r, org_fields, NFIELDS, &b, &l) || fields_failed_reply(r))
        return;
    long long vid = claimed_volunteer_id_or_reply(r, "only volunteers register organizations");
    if (!vid)
        return;
    if (b.parent_id.set) {
        int visible = org_access_load(r, b.parent_id.v, &parent);
        if (visible < 0)
            return;
        if (!visible) {
            field_error(r, "parent_id", "invalid_choice", "no such organization");
            fields_failed_reply(r);
            return;
        }
        if (strcmp(parent.status, "approved")) {
            reply_error(r, ERR_ORG_NOT_APPROVED, "the parent organization is not approved");
            return;
        }
        if (!org_level_under(b.level, parent.level)) {
            field_error(r, "level", ORG_WRONG_LEVEL, "must be below the parent's level (总队 → 支队/大队 → 队 → 分队)");
            fields_failed_reply(r);
            return;
        }
    }
    const char *params[15] = {b.name, b.level, b.parent_id.set ? id_str(r, b.parent_id.v) : NULL,
                              b.registered_with_civil_affairs.v ? "true" : "false", b.supervisor_type,
                              b.supervisor_name, b.founded_on, json_param(r, b.service_categories), b.region_code,
                              l.name, l.title, l.employer, l.phone, b.description, id_str(r, r->user_id)};
    PGresult *res = db_query_or_reply(r, SQL_ORG_INSERT, 15, params); /* 409 already_exists: sql.def */
    if (!res)
        return;
    long long id = db_int(res, 0, "id");
    PQclear(res);
    reply_org(r, 201, id);
    if (r->status == 201)
        reply_header(r, "Location", arena_printf(&r->arena, "/api/v1/orgs/%lld", id));
}

/* Who may PATCH: its own admins (any field), and its approvers (level and
 * region_code only). */
static bool can_patch(const org_access *a) { return a->own_admin || can_approve(a); }

/* Is the body only level and region_code (what approvers change)? */
static bool only_approver_fields(const json_t *body)
{
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)body, key, value)
        if (strcmp(key, "level") && strcmp(key, "region_code"))
            return false;
    return true;
}

/* A platform admin moving an org: its scope must cover the new region too.
 * False after replying 403 (or 503). */
static bool scope_covers_or_reply(req_t *r, const char *region_code)
{
    PGresult *res = db_query_or_reply(r, SQL_SCOPE_COVERS, 2, (const char *[]){id_str(r, r->user_id), region_code});
    if (!res)
        return false;
    bool covers = db_bool(res, 0, "covers");
    PQclear(res);
    if (!covers)
        reply_error(r, ERR_FORBIDDEN, "the new region is outside your scope");
    return covers;
}

/* PATCH /orgs/{id} (If-Match optional): 200 with the org and its new ETag.
 * 403 forbidden for callers who are neither its admins nor its approvers, for
 * approvers sending other fields than level and region_code, and for a
 * platform admin moving it out of its scope; 403 approval_required when its
 * own admins change the level or region of an approved org; 404; 409
 * already_exists (the name, after normalising); 412 precondition_failed; 422
 * (parent_id immutable, status unknown, wrong_level). Runs under the org's row
 * lock, with the rights checked again after taking it; writes only the
 * fields sent, in one UPDATE. */
void h_org_patch(req_t *r)
{
    org_body b = {0};
    leader_body l = {0};
    org_access a;
    if (!org_access_or_reply(r, r->path_ids[0], &a))
        return;
    if (!can_patch(&a)) {
        reply_error(r, ERR_FORBIDDEN, "only the organization's admins edit it");
        return;
    }
    if (!body_object_or_reply(r) || !org_body_check(r, patch_fields, npatch_fields, &b, &l) || fields_failed_reply(r))
        return;
    if (!a.own_admin && !only_approver_fields(r->json)) {
        reply_error(r, ERR_FORBIDDEN, "approvers change only the level and region_code; its own admins edit the rest");
        return;
    }
    if (!org_locked_or_reply(r, a.id, &a, can_patch, "only the organization's admins edit it"))
        return;
    char etag[ETAG_MAX];
    if (!req_own(r, org_json_or_reply(r, a.id, etag)))
        return;
    if (!if_match_ok(r->if_match, etag)) {
        reply_error(r, ERR_PRECONDITION_FAILED, "the organization has changed since this ETag (If-Match)");
        return;
    }
    bool level_changes = b.level && strcmp(b.level, a.level);
    bool region_changes = b.region_code && strcmp(b.region_code, a.region_code);
    if ((level_changes || region_changes) && !strcmp(a.status, "approved") && a.own_admin) {
        reply_error(r, ERR_APPROVAL_REQUIRED,
                    "the level and region of an approved organization change only by its approvers");
        return;
    }
    if (region_changes && !a.own_admin && !a.ancestor_admin && !scope_covers_or_reply(r, b.region_code))
        return;
    if ((level_changes && !level_fits_or_reply(r, a.id, b.level)) || fields_failed_reply(r))
        return;
    bool leader_sent = json_object_get(r->json, "leader"), description_sent = json_object_get(r->json, "description");
    const char *registered = !b.registered_with_civil_affairs.set ? NULL
                             : b.registered_with_civil_affairs.v   ? "true"
                                                                   : "false";
    const char *params[16] = {id_str(r, a.id), b.name, b.level, registered, b.supervisor_type, b.supervisor_name,
                              b.founded_on, json_param(r, b.service_categories), b.region_code,
                              leader_sent ? "true" : "false", l.name, l.title, l.employer, l.phone,
                              description_sent ? "true" : "false", b.description};
    if (db_do_or_reply(r, SQL_ORG_UPDATE, 16, params)) /* 409 already_exists: sql.def */
        reply_org(r, 200, a.id);
}

/* --- reading ------------------------------------------------------------- */

/* GET /orgs/{id}: 200 when approved, or to its admins and approvers; 404. */
void h_org_get(req_t *r)
{
    org_access a;
    if (!org_access_or_reply(r, r->path_ids[0], &a))
        return;
    reply_org(r, 200, a.id);
}

typedef struct {
    const char *region, *q, *level, *status;
    opt_int parent_id;
} org_query;
static const field_spec org_query_fields[] = {
    QUERY_FIELD(org_query, region, F_STRING, 0, NULL, NULL), /* region_param_or_reply */
    QUERY_FIELD(org_query, q, F_STRING, 50, NULL, NULL),
    QUERY_FIELD(org_query, level, F_STRING, 0, NULL, &CODES_ORG_LEVEL),
    QUERY_FIELD(org_query, parent_id, F_ID, 0, NULL, NULL),
    QUERY_FIELD(org_query, status, F_STRING, 0, NULL, &CODES_ORG_STATUS),
};

/* GET /orgs?region=&q=&level=&parent_id=&status=&page=: 200 paged approved
 * orgs (no status, or approved: public). status=pending|rejected needs a
 * bearer token (401) and lists only the orgs in that status the caller may
 * decide (can_approve): an empty page for a caller who may decide none.
 * 422 (an unknown status among them). */
void h_org_list(req_t *r)
{
    org_query oq = {0};
    paging_t pg;
    region_info region;
    query_fields(r, org_query_fields, sizeof org_query_fields / sizeof *org_query_fields, &oq, &pg);
    bool queue = oq.status && (!strcmp(oq.status, "pending") || !strcmp(oq.status, "rejected"));
    if (queue && !request_bearer_or_reply(r, &app_keys, time(NULL)))
        return;
    if (!region_param_or_reply(r, "region", oq.region, &region) || fields_failed_reply(r))
        return;
    const char *params[9] = {region.found ? region.lo : NULL, region.found ? region.hi : NULL, oq.q, oq.level,
                             oq.parent_id.set ? id_str(r, oq.parent_id.v) : NULL};
    if (!queue) {
        reply_page(r, SQL_ORGS_COUNT, SQL_ORGS_PAGE, 5, params, &pg, org_row);
        return;
    }
    params[5] = oq.status;
    params[6] = id_str(r, r->user_id);
    reply_page(r, SQL_ORGS_QUEUE_COUNT, SQL_ORGS_QUEUE_PAGE, 7, params, &pg, org_row);
}

/* GET /orgs/{id}/children?page=: 200 paged; pending and rejected children
 * only to those with rights on the parent; 404 for an invisible parent. */
void h_org_children(req_t *r)
{
    paging_t pg;
    org_access a;
    if (!query_parse_or_reply(r, NULL, 0, NULL, &pg) || !org_access_or_reply(r, r->path_ids[0], &a))
        return;
    const char *params[4] = {id_str(r, a.id), can_manage(&a) ? "true" : "false"};
    reply_page(r, SQL_CHILDREN_COUNT, SQL_CHILDREN_PAGE, 2, params, &pg, org_row);
}

/* --- approval ------------------------------------------------------------ */

/* Approvers (can_approve) decide, under the org's row lock with their
 * rights checked again after taking it. */
static void decide(req_t *r, const char *status, const char *reason)
{
    org_access a;
    if (!org_access_or_reply(r, r->path_ids[0], &a))
        return;
    if (a.own_admin) {
        reply_error(r, ERR_FORBIDDEN, "an organization's own admins cannot decide its registration");
        return;
    }
    if (!org_locked_or_reply(r, a.id, &a, can_approve, "only the parent's admins or a platform admin in scope decide"))
        return;
    const char *params[4] = {id_str(r, a.id), status, reason, id_str(r, r->user_id)};
    PGresult *res = db_query_or_reply(r, SQL_ORG_DECIDE, 4, params);
    if (!res)
        return;
    int decided = PQntuples(res);
    PQclear(res);
    if (!decided) {
        reply_error(r, ERR_CONFLICT, "the organization is not pending");
        return;
    }
    reply_org(r, 200, a.id);
}

/* POST /orgs/{id}/approve: 200, 401, 403, 404, 409 (not pending). */
void h_org_approve(req_t *r)
{
    if (r->body_len && !body_parse_or_reply(r, NULL, 0, NULL))
        return;
    decide(r, "approved", NULL);
}

typedef struct {
    const char *reason;
} reject_body;
static const field_spec reject_fields[] = {
    {"reason", F_STRING, FIELD_REQUIRED | FIELD_MULTILINE, 1, 500, offsetof(reject_body, reason), NULL, NULL},
};

/* POST /orgs/{id}/reject {"reason"}: 200, 401, 403, 404, 409, 422. */
void h_org_reject(req_t *r)
{
    reject_body b = {0};
    if (!body_parse_or_reply(r, reject_fields, 1, &b))
        return;
    decide(r, "rejected", b.reason);
}
