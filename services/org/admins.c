/* An org's admins: list, add by phone, remove (never the last). A removed
 * admin loses its rights at once: every check reads org.admins. */
#include <string.h>

#include "org.h"

/* GET /orgs/{id}/admins: 200 {"items": [{user_id, phone, real_name}]} to
 * those who manage the org; 404 to anyone else. */
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
        json_array_append_new(items, json_pack("{s:o, s:s, s:s?, s:s}", "user_id",
                                               db_isnull(res, i, "user_id") ? json_null()
                                                                            : json_integer(db_int(res, i, "user_id")),
                                               "phone", db_str(res, i, "phone"), "real_name",
                                               db_str(res, i, "real_name"), "status", db_str(res, i, "status")));
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
 * do not manage the org; 404; 409 already an admin; 422 when the phone is
 * not a volunteer's. */
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
    if (!body_parse_or_reply(r, admin_fields, 1, &b))
        return;
    PGresult *res = db_query_or_reply(r, SQL_USER_BY_PHONE, 1, (const char *[]){b.phone});
    if (!res)
        return;
    bool volunteer = PQntuples(res) == 1 && !db_isnull(res, 0, "volunteer_id");
    long long user_id = volunteer ? db_int(res, 0, "user_id") : 0;
    PQclear(res);
    if (!volunteer) {
        field_error(r, "phone", "not_volunteer", "the phone does not belong to a registered volunteer");
        fields_failed_reply(r);
        return;
    }
    res = db_query_or_reply(r, SQL_ADMIN_ADD, 2, (const char *[]){id_str(r, a.id), id_str(r, user_id)});
    if (!res)
        return;
    bool added = PQntuples(res) == 1;
    PQclear(res);
    if (!added) {
        reply_error(r, ERR_ALREADY_EXISTS, "already an admin of this organization");
        return;
    }
    res = db_query_or_reply(r, SQL_ADMINS_LIST, 1, (const char *[]){id_str(r, a.id)});
    if (!res)
        return;
    json_t *admin = NULL;
    for (int i = 0; i < PQntuples(res) && !admin; i++)
        if (db_int(res, i, "user_id") == user_id)
            admin = json_pack("{s:I, s:s, s:s?}", "user_id", (json_int_t)user_id, "phone", db_str(res, i, "phone"),
                              "real_name", db_str(res, i, "real_name"));
    PQclear(res);
    reply_json(r, 201, admin);
}

/* DELETE /orgs/{id}/admins/{user_id}: 204; 403; 404 (org, or not an
 * admin); 409 for the last admin. The org row is locked so two removals
 * cannot both pass the last-admin check. */
void h_admin_remove(req_t *r)
{
    org_access a;
    if (!org_access_or_reply(r, r->path_ids[0], &a))
        return;
    if (!can_manage(&a)) {
        reply_error(r, ERR_FORBIDDEN, "only the organization's admins remove admins");
        return;
    }
    const char *org = id_str(r, a.id), *user = id_str(r, r->path_ids[1]);
    if (!db_begin_or_reply(r) || !db_do_or_reply(r, SQL_ORG_LOCK, 1, (const char *[]){org}))
        return;
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
