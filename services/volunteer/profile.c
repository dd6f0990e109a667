/* Registering a volunteer (POST /volunteers) and editing one's own profile
 * (PATCH /volunteers/me). Everything is validated into typed values first;
 * every bad field is reported in one 422. */
#include <string.h>

#include "idcard.h"
#include "log.h"
#include "mask.h"
#include "volunteer.h"
#include "volunteer_rules.h"

/* The rules live in common/volunteer_rules.c, shared with the import of
 * 附件2 rosters (services/import). */
typedef volunteer_input profile_body;
#define profile_fields VOLUNTEER_FIELDS
#define NFIELDS VOLUNTEER_NFIELDS

/* An edit takes the same fields, none required, and never the ID number. */
static field_spec patch_fields[VOLUNTEER_NFIELDS];

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

/* The caller's own profile (its phone in full), written straight out
 * (json_out.h: GET /volunteers/me is among the most read answers); false
 * after answering 404 (not a volunteer) or 503. */
static void own_write(json_out *o, const PGresult *res, int row) { volunteer_write(o, res, row, true); }

static bool reply_own_profile(req_t *r, int status)
{
    PGresult *res = db_row_or_reply(r, SQL_VOLUNTEER_BY_USER, 1, (const char *[]){id_str(r, r->user_id)},
                                    "the caller has not registered as a volunteer");
    if (!res)
        return false;
    reply_row_out(r, status, res, 0, own_write);
    PQclear(res);
    return r->status == status;
}

/* An account whose volunteer was imported and not yet claimed: 409
 * claim_required (answered; true). False when the caller may go on, or
 * after answering 503. */
static bool unclaimed_reply(req_t *r, bool *db_failed)
{
    PGresult *res = db_query_or_reply(r, SQL_COMMON_VOLUNTEER_OF_USER, 1, (const char *[]){id_str(r, r->user_id)});
    if (!res) {
        *db_failed = true;
        return false;
    }
    bool unclaimed = PQntuples(res) == 1 && !strcmp(db_str(res, 0, "claim_status"), "unclaimed");
    PQclear(res);
    if (unclaimed)
        reply_claim_required(r);
    return unclaimed;
}

/* POST /volunteers: 201 with Location, 400, 401, 409 already_exists /
 * claim_required (the account has an imported record to claim), 413, 415,
 * 422. The caller's phone becomes the volunteer's. */
void h_volunteer_create(req_t *r)
{
    profile_body b = {0};
    idcard id = {0};
    bool db_failed = false;
    if (unclaimed_reply(r, &db_failed) || db_failed || !body_object_or_reply(r))
        return;
    body_fields(r, profile_fields, NFIELDS, &b);
    if (b.id_number) {
        const char *msg, *code = volunteer_id_check(b.id_number, today_in_china(), &id, &msg);
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

    const char *params[19] = {
        id_str(r, r->user_id), b.real_name, sealed_hex, index_hex, masked,
        id.male ? "male" : "female", arena_printf(&r->arena, "%04d-%02d-%02d", id.year, id.month, id.day),
        b.political_status, b.ethnicity, b.employer, b.title, b.education, b.occupation, b.region_code,
        json_param(r, b.service_categories), json_param(r, b.service_fields), b.grassroots_role, b.skills,
        b.availability,
    };
    PGresult *res = db_query_or_reply(r, SQL_VOLUNTEER_INSERT, 19, params); /* 409 already_exists: sql.def */
    if (!res)
        return;
    long long id_new = db_int(res, 0, "id");
    PQclear(res);
    if (reply_own_profile(r, 201))
        reply_header(r, "Location", arena_printf(&r->arena, "/api/v1/volunteers/%lld", id_new));
}

/* GET /volunteers/me: 200, 401, 404 when the caller is not a volunteer. */
void h_me_get(req_t *r)
{
    reply_own_profile(r, 200);
}

/* PATCH /volunteers/me: 200, 400, 401, 404, 409 claim_required, 413, 415,
 * 422 (id_number is immutable; phone, service_hours, id... are unknown fields). */
void h_me_patch(req_t *r)
{
    profile_body b = {0};
    bool db_failed = false;
    if (unclaimed_reply(r, &db_failed) || db_failed || !body_object_or_reply(r))
        return;
    body_fields(r, patch_fields, NFIELDS, &b);
    if (b.region_code)
        check_region_exists(r, b.region_code, &db_failed);
    if (db_failed || fields_failed_reply(r))
        return;
    bool skills_sent = json_object_get(r->json, "skills"), availability_sent = json_object_get(r->json, "availability");
    const char *params[16] = {
        id_str(r, r->user_id), b.real_name, b.political_status, b.ethnicity, b.employer,
        b.title, b.education, b.occupation, b.region_code, json_param(r, b.service_categories),
        json_param(r, b.service_fields), b.grassroots_role, skills_sent ? "true" : "false", b.skills,
        availability_sent ? "true" : "false", b.availability,
    };
    PGresult *res = db_query_or_reply(r, SQL_VOLUNTEER_UPDATE, 16, params);
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

#define CLAIM_TRIES 5

static const field_spec claim_fields[] = {
    {"id_number", F_STRING, FIELD_REQUIRED, 1, 32, 0, NULL, NULL},
};

/* POST /volunteers/me/claim {"id_number"} (在线关联): 200 with the volunteer,
 * now claimed; 401; 404 when the caller has no volunteer record; 409
 * conflict when it is claimed already; 422 id_number_mismatch; 429 with
 * Retry-After on the 6th try within 24 h and every try after it in that
 * window, the right number too. Every try counts, right or wrong. */
void h_me_claim(req_t *r)
{
    const char *number = NULL;
    if (!body_parse_or_reply(r, claim_fields, 1, &number) || !db_begin_or_reply(r))
        return;
    const char *uid = id_str(r, r->user_id);
    PGresult *res = db_query_or_reply(r, SQL_CLAIM_STATE, 1, (const char *[]){uid});
    if (!res)
        return;
    if (PQntuples(res) != 1) {
        PQclear(res);
        reply_error(r, ERR_NOT_FOUND, "the caller has no volunteer record");
        return;
    }
    bool claimed = strcmp(db_str(res, 0, "claim_status"), "unclaimed") != 0;
    long long tries = db_int(res, 0, "tries"), retry = db_int(res, 0, "retry_after");
    char stored[65];
    snprintf(stored, sizeof stored, "%s", db_str(res, 0, "id_index"));
    PQclear(res);
    if (claimed) {
        reply_error(r, ERR_CONFLICT, "this volunteer record is claimed already");
        return;
    }
    if (tries >= CLAIM_TRIES) {
        reply_header(r, "Retry-After", id_str(r, retry > 0 ? retry : 1));
        reply_error(r, ERR_RATE_LIMITED, "too many tries: try again later");
        return;
    }
    if (!db_do_or_reply(r, SQL_CLAIM_ATTEMPT, 1, (const char *[]){uid}))
        return;
    /* the number as registration reads it: a lowercase x is an X */
    char norm[19] = "";
    unsigned char index[32];
    char index_hex[65];
    size_t n = strlen(number);
    bool same = false;
    if (n == 18) {
        memcpy(norm, number, 18);
        if (norm[17] == 'x')
            norm[17] = 'X';
        if (crypto_hmac_sha256(id_index_key, 32, norm, 18, index)) {
            reply_error(r, ERR_INTERNAL, NULL);
            return;
        }
        hex_encode(index, 32, index_hex);
        same = crypto_equal(index_hex, stored, 64);
        explicit_bzero(norm, sizeof norm);
    }
    if (!same) {
        if (db_commit_or_reply(r)) /* the try counts */
            reply_error(r, ERR_ID_NUMBER_MISMATCH, "this is not the ID number of your imported record");
        return;
    }
    if (!db_do_or_reply(r, SQL_CLAIM_DONE, 1, (const char *[]){uid}) || !db_commit_or_reply(r))
        return;
    h_me_get(r);
}
