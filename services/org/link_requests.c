/* 在线关联 of teams (v1.1): a team that predates the platform and has no
 * active admin is claimed by a volunteer's link request, which an admin of
 * its parent or a platform admin in scope (its approvers) answers; approval
 * makes the requester an active admin. */
#include <string.h>

#include "org.h"

static const code_entry status_entries[] = {{"pending", "待处理"}, {"approved", "已同意"}, {"rejected", "已拒绝"}};
static const code_table LINK_STATUS = {"link_request_status", status_entries, 3};

typedef struct {
    const char *note;
} link_body;
static const field_spec link_fields[] = {
    {"note", F_STRING, FIELD_NULLABLE | FIELD_MULTILINE, 0, 500, offsetof(link_body, note), NULL, NULL},
};
typedef struct {
    const char *reason;
} decide_body;
static const field_spec decide_fields[] = {
    {"reason", F_STRING, FIELD_NULLABLE | FIELD_MULTILINE, 0, 500, offsetof(decide_body, reason), NULL, NULL},
};

static json_t *link_json(const PGresult *res, int row)
{
    return json_pack("{s:I, s:I, s:s, s:s?, s:s?, s:{s:I, s:s?}, s:s, s:s?}", "id", (json_int_t)db_int(res, row, "id"),
                     "org_id", (json_int_t)db_int(res, row, "org_id"), "status", db_str(res, row, "status"), "note",
                     db_str(res, row, "note"), "reason", db_str(res, row, "reason"), "requester", "user_id",
                     (json_int_t)db_int(res, row, "user_id"), "real_name", db_str(res, row, "real_name"),
                     "created_at", db_str(res, row, "created_at"), "decided_at", db_str(res, row, "decided_at"));
}

static json_t *link_row(req_t *r, const PGresult *res, int row)
{
    (void)r;
    return link_json(res, row);
}

/* The approvers of an org: admins of an ancestor, platform admins in scope. */
static bool approver_or_reply(req_t *r, org_access *a)
{
    if (!org_access_or_reply(r, r->path_ids[0], a))
        return false;
    if (!a->ancestor_admin && !a->platform_admin) {
        reply_error(r, ERR_NOT_FOUND, "no such link request list");
        return false;
    }
    return true;
}

/* POST /orgs/{id}/link-requests {"note"}: 201 {id, status pending, ...};
 * 401; 403 volunteer_required; 404; 409 conflict (the team has an active
 * admin), already_exists (a pending request of the caller), claim_required;
 * 422. */
void h_link_request_create(req_t *r)
{
    org_access a;
    link_body b = {0};
    if (r->body_len ? !body_parse_or_reply(r, link_fields, 1, &b) : false)
        return;
    if (!org_access_or_reply(r, r->path_ids[0], &a))
        return;
    if (!claimed_volunteer_id_or_reply(r, "only volunteers ask to manage a team"))
        return;
    const char *oid = id_str(r, a.id);
    PGresult *res = db_query_or_reply(r, SQL_LINK_HAS_ADMIN, 1, (const char *[]){oid});
    if (!res)
        return;
    bool has = db_bool(res, 0, "has");
    PQclear(res);
    if (has) {
        reply_error(r, ERR_CONFLICT, "this organization has an active admin on the platform: ask its admins");
        return;
    }
    res = db_query_or_reply(r, SQL_LINK_INSERT, 3, (const char *[]){oid, id_str(r, r->user_id), b.note});
    if (!res)
        return;
    json_t *j = link_json(res, 0);
    long long rid = db_int(res, 0, "id");
    PQclear(res);
    reply_json(r, 201, j);
    reply_header(r, "Location", arena_printf(&r->arena, "/api/v1/orgs/%lld/link-requests/%lld", a.id, rid));
}

typedef struct {
    const char *status;
} link_query;
static const field_spec link_query_fields[] = {QUERY_FIELD(link_query, status, F_STRING, 0, NULL, &LINK_STATUS)};

/* GET /orgs/{id}/link-requests?status=&page=: 200 paged, newest first, to
 * its approvers; 401; 404 to anyone else; 422. */
void h_link_requests_list(req_t *r)
{
    org_access a;
    link_query q = {0};
    paging_t pg;
    if (!query_parse_or_reply(r, link_query_fields, sizeof link_query_fields / sizeof *link_query_fields, &q, &pg) ||
        !approver_or_reply(r, &a))
        return;
    const char *params[4] = {id_str(r, a.id), q.status};
    reply_page(r, SQL_LINK_COUNT, SQL_LINK_PAGE, 2, params, &pg, link_row);
}

static void decide(req_t *r, const char *status)
{
    org_access a;
    decide_body b = {0};
    if (r->body_len ? !body_parse_or_reply(r, decide_fields, 1, &b) : false)
        return;
    if (!approver_or_reply(r, &a) || !db_begin_or_reply(r))
        return;
    const char *oid = id_str(r, a.id);
    PGresult *res = db_query_or_reply(r, SQL_LINK_DECIDE, 5,
                                      (const char *[]){oid, id_str(r, r->path_ids[1]), status, b.reason,
                                                       id_str(r, r->user_id)});
    if (!res)
        return;
    if (PQntuples(res) != 1) {
        PQclear(res);
        reply_error(r, ERR_CONFLICT, "no pending link request with this id: decided already, or none");
        return;
    }
    /* answered now; a failure below (or of the commit) replaces the answer */
    reply_json(r, 200, link_json(res, 0));
    const char *uid = id_str(r, db_int(res, 0, "user_id"));
    PQclear(res);
    if (!strcmp(status, "approved") && !db_do_or_reply(r, SQL_LINK_MAKE_ADMIN, 2, (const char *[]){oid, uid}))
        return;
    db_commit_or_reply(r);
}

/* POST /orgs/{id}/link-requests/{rid}/approve: 200 with the request, now
 * approved, and the requester an active admin; 401; 404; 409 (decided). */
void h_link_request_approve(req_t *r) { decide(r, "approved"); }

/* POST /orgs/{id}/link-requests/{rid}/reject {"reason"}: 200; 401; 404; 409. */
void h_link_request_reject(req_t *r) { decide(r, "rejected"); }
