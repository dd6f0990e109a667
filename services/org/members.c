/* Membership: a volunteer applies, the org's admins (or its ancestors' admins,
 * or platform admins in scope) approve, reject or remove; a volunteer leaves;
 * and the roster. member_count is kept exact by a trigger (004_org.sql). */
#include <string.h>

#include "org.h"

static json_t *membership_json(const PGresult *res, int row)
{
    return json_pack("{s:{s:I, s:s}, s:I, s:s, s:s, s:s?}", "org", "id", (json_int_t)db_int(res, row, "org_id"),
                     "name", db_str(res, row, "org_name"), "volunteer_id",
                     (json_int_t)db_int(res, row, "volunteer_id"), "status", db_str(res, row, "status"),
                     "applied_at", db_str(res, row, "applied_at"), "joined_at", db_str(res, row, "joined_at"));
}

static void reply_membership(req_t *r, int status, long long org_id, long long volunteer_id)
{
    PGresult *res = db_row_or_reply(r, SQL_MEMBER_GET, 2, (const char *[]){id_str(r, org_id), id_str(r, volunteer_id)},
                                    "no such membership");
    if (!res)
        return;
    reply_json(r, status, membership_json(res, 0));
    PQclear(res);
}

/* POST /orgs/{id}/members: 201 pending; 401; 403 volunteer_required; 404;
 * 409 already_exists (pending or active) / org_not_approved. */
void h_member_apply(req_t *r)
{
    org_access a;
    if (r->body_len && !body_parse_or_reply(r, NULL, 0, NULL))
        return;
    if (!org_access_or_reply(r, r->path_ids[0], &a))
        return;
    long long vid = claimed_volunteer_id_or_reply(r, "only volunteers join organizations");
    if (!vid)
        return;
    if (strcmp(a.status, "approved")) {
        reply_error(r, ERR_ORG_NOT_APPROVED, "the organization is not approved");
        return;
    }
    PGresult *res = db_query_or_reply(r, SQL_MEMBER_APPLY, 2, (const char *[]){id_str(r, a.id), id_str(r, vid)});
    if (!res)
        return;
    if (PQntuples(res) == 1)
        reply_json(r, 201, membership_json(res, 0));
    else
        reply_error(r, ERR_ALREADY_EXISTS, "already a member or applicant of this organization");
    PQclear(res);
}

/* Approve or reject a pending application: 200 with the membership; 403;
 * 404 (org, or no such application); 409 when it is not pending. Under the
 * org's row lock, rights checked again after taking it. */
static void decide(req_t *r, const char *status)
{
    org_access a;
    if (r->body_len && !body_parse_or_reply(r, NULL, 0, NULL))
        return;
    if (!org_locked_or_reply(r, r->path_ids[0], &a, can_manage, "only the organization's admins decide applications"))
        return;
    const char *org = id_str(r, a.id), *vol = id_str(r, r->path_ids[1]);
    PGresult *res = db_query_or_reply(r, SQL_MEMBER_DECIDE, 3, (const char *[]){org, vol, status});
    if (!res)
        return;
    int decided = PQntuples(res);
    PQclear(res);
    if (decided) {
        reply_membership(r, 200, a.id, r->path_ids[1]);
        if (r->status == 200)
            db_commit_or_reply(r);
        return;
    }
    res = db_query_or_reply(r, SQL_MEMBER_GET, 2, (const char *[]){org, vol});
    if (!res)
        return;
    if (PQntuples(res))
        reply_error(r, ERR_CONFLICT, "the application is not pending");
    else
        reply_error(r, ERR_NOT_FOUND, "no such application");
    PQclear(res);
}

void h_member_approve(req_t *r) { decide(r, "active"); }
void h_member_reject(req_t *r) { decide(r, "rejected"); }

static void remove_member(req_t *r, long long org_id, long long volunteer_id)
{
    PGresult *res = db_query_or_reply(r, SQL_MEMBER_REMOVE, 2, (const char *[]){id_str(r, org_id), id_str(r, volunteer_id)});
    if (!res)
        return;
    bool removed = PQntuples(res) > 0;
    PQclear(res);
    if (!removed)
        reply_error(r, ERR_NOT_FOUND, "not a member of this organization");
    else if (!r->db->in_tx || db_commit_or_reply(r))
        reply_empty(r, 204);
}

/* DELETE /orgs/{id}/members/{volunteer_id}: 204; 403; 404. Under the org's
 * row lock, rights checked again after taking it. */
void h_member_remove(req_t *r)
{
    org_access a;
    if (!org_locked_or_reply(r, r->path_ids[0], &a, can_manage, "only the organization's admins remove members"))
        return;
    remove_member(r, a.id, r->path_ids[1]);
}

/* DELETE /orgs/{id}/members/me: 204; 403 volunteer_required; 404 when the
 * caller is not a member or applicant. */
void h_member_leave(req_t *r)
{
    long long vid = volunteer_id_or_reply(r, "only volunteers are members");
    if (!vid)
        return;
    remove_member(r, r->path_ids[0], vid);
}

/* Whether this thread's roster shows full phones (set by h_members_list for
 * the page it answers; each worker thread serves one request at a time). */
static _Thread_local bool roster_full_phones;

/* A roster row: the volunteer, its phone full or masked, and its membership
 * status. */
static json_t *member_row(req_t *r, const PGresult *res, int row)
{
    (void)r;
    json_t *v = volunteer_json(res, row, roster_full_phones);
    json_object_set_new(v, "membership_status", json_string(db_str(res, row, "membership_status")));
    return v;
}

const field_spec members_query_fields[MEMBERS_QUERY_FIELDS] = {
    QUERY_FIELD(members_query, status, F_STRING, 0, NULL, &CODES_MEMBERSHIP_STATUS),
    QUERY_FIELD(members_query, q, F_STRING, 50, NULL, NULL),
};

/* GET /orgs/{id}/members?status=pending|active&q=&page=: 200 paged volunteers
 * with membership_status (ID masked) to those who manage the org; 404 to
 * anyone else; 422. Phones follow the volunteer rule: full for the org's
 * admins and its ancestors' admins, masked for platform admins (unless also
 * such an admin). */
void h_members_list(req_t *r)
{
    members_query mq = {0};
    paging_t pg;
    org_access a;
    if (!query_parse_or_reply(r, members_query_fields, MEMBERS_QUERY_FIELDS, &mq, &pg) ||
        !org_access_or_reply(r, r->path_ids[0], &a))
        return;
    if (!can_manage(&a)) {
        reply_error(r, ERR_NOT_FOUND, "no such organization roster");
        return;
    }
    const char *params[5] = {id_str(r, a.id), mq.status, mq.q};
    roster_full_phones = a.own_admin || a.ancestor_admin;
    reply_page(r, SQL_MEMBERS_COUNT, SQL_MEMBERS_PAGE, 3, params, &pg, member_row);
}
