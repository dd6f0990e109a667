/* An org's admins: list, add by phone (an active member of an approved org),
 * remove (never the last). A removed admin loses its rights at once: every
 * check reads org.admins, and changes check again under the org's row lock
 * (org_locked_or_reply), so a request already in flight when its caller was
 * removed does not take effect. */
#include <string.h>

#include "org.h"

/* A pending grant's phone may have no account yet: its user_id is null. */
static json_t *admin_json(const PGresult *res, int row)
{
    json_t *user_id = db_isnull(res, row, "user_id") ? json_null() : json_integer(db_int(res, row, "user_id"));
    return json_pack("{s:o, s:s, s:s?, s:s}", "user_id", user_id, "phone", db_str(res, row, "phone"), "real_name",
                     db_str(res, row, "real_name"), "status", db_str(res, row, "status"));
}

/* GET /orgs/{id}/admins: 200 {"items": [{user_id, phone, real_name, status}]}
 * to those who manage the org; 404 to anyone else. */
void h_admins_list(req_t *r)
{
    org_access a;
    if (!org_access_or_reply(r, r->path_ids[0], &a))
        return;
    if (!can_manage(&a)) {
        reply_error(r, ERR_NOT_FOUND, "no such organization roster");
        return;
    }
    PGresult *res = db_query_or_reply(r, SQL_ADMINS_LIST, 1, (const char *[]){id_str(r, a.id)});
    if (!res)
        return;
    json_t *items = json_array();
    for (int i = 0; i < PQntuples(res); i++)
        json_array_append_new(items, admin_json(res, i));
    PQclear(res);
    reply_json(r, 200, json_pack("{s:o}", "items", items));
}

typedef struct {
    const char *phone;
} admin_body;

static const field_spec admin_fields[] = {
    {"phone", F_STRING, FIELD_REQUIRED, 0, 0, offsetof(admin_body, phone), check_phone, NULL},
};

/* POST /orgs/{id}/admins {"phone"}: 201 with the admin; 403 for callers who
 * do not manage the org; 404; 409 org_not_approved (a pending or rejected
 * org), already_exists (already an admin); 422 not_member for every phone
 * that is not an active member's, the same bytes whether or not the phone has
 * an account or a volunteer (nothing about strangers leaks). */
void h_admin_add(req_t *r)
{
    admin_body b = {0};
    org_access a;
    if (!org_access_or_reply(r, r->path_ids[0], &a))
        return;
    if (!can_manage(&a)) {
        reply_error(r, ERR_FORBIDDEN, "only the organization's admins add admins");
        return;
    }
    if (!body_parse_or_reply(r, admin_fields, 1, &b) ||
        !org_locked_or_reply(r, a.id, &a, can_manage, "only the organization's admins add admins"))
        return;
    if (strcmp(a.status, "approved")) {
        reply_error(r, ERR_ORG_NOT_APPROVED, "only an approved organization adds admins");
        return;
    }
    const char *org = id_str(r, a.id);
    PGresult *res = db_query_or_reply(r, SQL_ADMIN_CANDIDATE, 2, (const char *[]){org, b.phone});
    if (!res)
        return;
    bool candidate = PQntuples(res) == 1;
    long long user_id = candidate ? db_int(res, 0, "user_id") : 0;
    bool is_admin = candidate && db_bool(res, 0, "is_admin");
    PQclear(res);
    if (!candidate) {
        field_error(r, "phone", "not_member", "only an active member of the organization can be made an admin");
        fields_failed_reply(r);
        return;
    }
    if (is_admin) {
        reply_error(r, ERR_ALREADY_EXISTS, "already an admin of this organization");
        return;
    }
    const char *user = id_str(r, user_id);
    if (!db_do_or_reply(r, SQL_ADMIN_ADD, 2, (const char *[]){org, user}))
        return;
    res = db_query_or_reply(r, SQL_ADMINS_LIST, 1, (const char *[]){org});
    if (!res)
        return;
    json_t *admin = NULL;
    for (int i = 0; i < PQntuples(res) && !admin; i++)
        if (db_int(res, i, "user_id") == user_id)
            admin = admin_json(res, i);
    PQclear(res);
    if (!admin) {
        reply_error(r, ERR_INTERNAL, NULL);
        return;
    }
    reply_json(r, 201, admin);
    db_commit_or_reply(r); /* a failed commit answers instead */
}

/* DELETE /orgs/{id}/admins/{user_id}: 204; 403; 404 (org, or not an
 * admin); 409 for the last admin. Under the org's row lock, so two removals
 * cannot both pass the last-admin check, and a caller removed meanwhile is
 * refused (403, or 404 when it no longer sees a pending org). */
void h_admin_remove(req_t *r)
{
    org_access a;
    if (!org_locked_or_reply(r, r->path_ids[0], &a, can_manage, "only the organization's admins remove admins"))
        return;
    const char *org = id_str(r, a.id), *user = id_str(r, r->path_ids[1]);
    PGresult *res = db_query_or_reply(r, SQL_ADMIN_COUNT, 2, (const char *[]){org, user});
    if (!res)
        return;
    long long admins = db_int(res, 0, "admins");
    bool is_admin = db_bool(res, 0, "is_admin");
    PQclear(res);
    if (!is_admin) {
        reply_error(r, ERR_NOT_FOUND, "not an admin of this organization");
        return;
    }
    if (admins <= 1) {
        reply_error(r, ERR_CONFLICT, "the last admin cannot be removed");
        return;
    }
    if (db_do_or_reply(r, SQL_ADMIN_REMOVE, 2, (const char *[]){org, user}) && db_commit_or_reply(r))
        reply_empty(r, 204);
}
