/* Registering a volunteer (POST /volunteers) and editing one's own profile
 * (PATCH /volunteers/me). Everything is validated into typed values first;
 * every bad field is reported in one 422. */
#include <stdlib.h>
#include <string.h>

#include "idcard.h"
#include "log.h"
#include "mask.h"
#include "volunteer.h"

#define MIN_AGE 18

typedef struct {
    const char *real_name, *id_number, *political_status, *ethnicity, *employer, *title, *education, *occupation,
        *region_code, *grassroots_role, *skills, *availability;
    const json_t *service_categories, *service_fields;
} profile_body;

#define F(name, type, flags, min, max, check, table)                                                           \
    {#name, type, flags, min, max, offsetof(profile_body, name), check, table}
static const field_spec profile_fields[] = {
    F(real_name, F_STRING, FIELD_REQUIRED, 1, 50, NULL, NULL),
    F(id_number, F_STRING, FIELD_REQUIRED, 0, 0, NULL, NULL), /* checked by idcard_parse */
    F(political_status, F_STRING, FIELD_REQUIRED, 0, 0, NULL, &CODES_POLITICAL_STATUS),
    F(ethnicity, F_STRING, FIELD_REQUIRED, 0, 0, NULL, &CODES_ETHNICITY),
    F(employer, F_STRING, FIELD_REQUIRED, 1, 100, NULL, NULL),
    F(title, F_STRING, FIELD_REQUIRED, 0, 0, NULL, &CODES_TITLE),
    F(education, F_STRING, FIELD_REQUIRED, 0, 0, NULL, &CODES_EDUCATION),
    F(occupation, F_STRING, FIELD_REQUIRED, 0, 0, NULL, &CODES_OCCUPATION),
    F(region_code, F_STRING, FIELD_REQUIRED, 0, 0, check_region_code, NULL),
    F(service_categories, F_ARRAY, FIELD_REQUIRED, 1, 8, NULL, &CODES_SERVICE_CATEGORY),
    F(service_fields, F_ARRAY, FIELD_REQUIRED, 1, 9, NULL, &CODES_SERVICE_FIELD),
    F(grassroots_role, F_STRING, FIELD_REQUIRED, 0, 0, NULL, &CODES_GRASSROOTS_ROLE),
    F(skills, F_STRING, FIELD_NULLABLE | FIELD_MULTILINE, 0, 500, NULL, NULL),
    F(availability, F_STRING, FIELD_NULLABLE | FIELD_MULTILINE, 0, 200, NULL, NULL),
};
#undef F
#define NFIELDS (sizeof profile_fields / sizeof *profile_fields)

/* An edit takes the same fields, none required, and never the ID number. */
static field_spec patch_fields[NFIELDS];

void profile_init(void)
{
    static const char *const immutable[] = {"id_number", NULL};
    fields_for_patch(profile_fields, NFIELDS, immutable, patch_fields);
}

/* A region must exist and be county level (or a city without counties). */
static void check_region_exists(req_t *r, const char *code, bool *db_failed)
{
    region_info info;
    if (!region_lookup_or_reply(r, code, &info))
        *db_failed = true;
    else if (!info.found)
        field_error(r, "region_code", "invalid_choice", "no such region");
    else if (!info.county_level)
        field_error(r, "region_code", "wrong_level", "must be a county-level region (区/县)");
}

static json_t *own_profile_or_reply(req_t *r, int status_if_missing)
{
    const char *uid = id_str(r, r->user_id);
    PGresult *res = db_query_or_reply(r, SQL_VOLUNTEER_BY_USER, 1, (const char *[]){uid});
    if (!res)
        return NULL;
    json_t *v = PQntuples(res) == 1 ? volunteer_json(res, 0, true) : NULL;
    PQclear(res);
    if (!v)
        reply_error(r, status_if_missing == 403 ? ERR_VOLUNTEER_REQUIRED : ERR_NOT_FOUND,
                    "the caller has not registered as a volunteer");
    return v;
}

/* POST /volunteers: 201 with Location, 400, 401, 409 already_exists, 413,
 * 415, 422. The caller's phone becomes the volunteer's. */
void h_volunteer_create(req_t *r)
{
    profile_body b = {0};
    idcard id = {0};
    bool db_failed = false;
    if (!body_object_or_reply(r))
        return;
    body_fields(r, profile_fields, NFIELDS, &b);
    if (b.id_number) {
        const char *msg, *code = idcard_parse(b.id_number, today_in_china(), MIN_AGE, &id, &msg);
        if (code)
            field_error(r, "id_number", code, msg);
    }
    if (b.region_code)
        check_region_exists(r, b.region_code, &db_failed);
    if (db_failed || fields_failed_reply(r))
        return;

    unsigned char sealed[18 + GCM_OVERHEAD], index[32];
    char sealed_hex[2 * sizeof sealed + 1], index_hex[65], masked[20];
    if (crypto_seal(id_seal_key, id.number, 18, "volunteer.id_number", sealed) ||
        crypto_hmac_sha256(id_index_key, 32, id.number, 18, index)) {
        reply_error(r, ERR_INTERNAL, NULL);
        return;
    }
    hex_encode(sealed, sizeof sealed, sealed_hex);
    hex_encode(index, sizeof index, index_hex);
    mask_id_number(id.number, masked, sizeof masked);
    explicit_bzero(&id.number, sizeof id.number);

    char *categories = json_dumps(b.service_categories, JSON_COMPACT);
    char *fields = json_dumps(b.service_fields, JSON_COMPACT);
    const char *params[19] = {
        id_str(r, r->user_id), b.real_name, sealed_hex, index_hex, masked,
        id.male ? "male" : "female", arena_printf(&r->arena, "%04d-%02d-%02d", id.year, id.month, id.day),
        b.political_status, b.ethnicity, b.employer, b.title, b.education, b.occupation, b.region_code, categories,
        fields, b.grassroots_role, b.skills, b.availability,
    };
    PGresult *res = categories && fields ? db_exec(r->db, SQL_VOLUNTEER_INSERT, 19, params) : NULL;
    free(categories);
    free(fields);
    if (!res) {
        if (r->db->last != DB_UNIQUE)
            reply_db_error(r);
        else if (!strcmp(r->db->constraint, "volunteers_user_unique"))
            reply_error(r, ERR_ALREADY_EXISTS, "the caller is already a volunteer");
        else
            reply_error(r, ERR_ALREADY_EXISTS, "this ID number is already registered");
        return;
    }
    long long id_new = db_int(res, 0, "id");
    PQclear(res);
    json_t *v = own_profile_or_reply(r, 404);
    if (!v)
        return;
    reply_json(r, 201, v);
    reply_header(r, "Location", arena_printf(&r->arena, "/api/v1/volunteers/%lld", id_new));
}

/* GET /volunteers/me: 200, 401, 404 when the caller is not a volunteer. */
void h_me_get(req_t *r)
{
    json_t *v = own_profile_or_reply(r, 404);
    if (v)
        reply_json(r, 200, v);
}

/* PATCH /volunteers/me: 200, 400, 401, 404, 413, 415, 422 (id_number is
 * immutable; phone, service_hours, id... are unknown fields). */
void h_me_patch(req_t *r)
{
    profile_body b = {0};
    bool db_failed = false;
    if (!body_object_or_reply(r))
        return;
    body_fields(r, patch_fields, NFIELDS, &b);
    if (b.region_code)
        check_region_exists(r, b.region_code, &db_failed);
    if (db_failed || fields_failed_reply(r))
        return;
    bool skills_sent = json_object_get(r->json, "skills"), availability_sent = json_object_get(r->json, "availability");
    char *categories = b.service_categories ? json_dumps(b.service_categories, JSON_COMPACT) : NULL;
    char *fields = b.service_fields ? json_dumps(b.service_fields, JSON_COMPACT) : NULL;
    const char *params[16] = {
        id_str(r, r->user_id), b.real_name, b.political_status, b.ethnicity, b.employer,
        b.title, b.education, b.occupation, b.region_code, categories, fields, b.grassroots_role,
        skills_sent ? "true" : "false", b.skills, availability_sent ? "true" : "false", b.availability,
    };
    PGresult *res = db_query_or_reply(r, SQL_VOLUNTEER_UPDATE, 16, params);
    free(categories);
    free(fields);
    if (!res)
        return;
    int updated = PQntuples(res);
    PQclear(res);
    if (!updated) {
        reply_error(r, ERR_NOT_FOUND, "the caller has not registered as a volunteer");
        return;
    }
    h_me_get(r);
}
