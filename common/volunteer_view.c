#include "volunteer_view.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "http.h"
#include "mask.h"

/* VOLUNTEER_COLUMNS' names, in the order the object prints them. */
#define VOLUNTEER_NCOLUMNS 22
static const char *const column_names[VOLUNTEER_NCOLUMNS] = {
    "id", "real_name", "phone", "id_masked", "gender", "political_status", "ethnicity", "employer", "title",
    "education", "occupation", "region", "service_categories", "service_fields", "grassroots_role", "skills",
    "availability", "service_hours", "created_at", "updated_at", "source", "claim_status"};
enum {
    C_ID, C_REAL_NAME, C_PHONE, C_ID_MASKED, C_GENDER, C_OCCUPATION = 10, C_REGION, C_CATEGORIES, C_FIELDS,
    C_GRASSROOTS, C_AVAILABILITY = 16, C_HOURS, C_CREATED, C_UPDATED, C_SOURCE, C_CLAIM
};

void volunteer_write(json_out *o, const PGresult *res, int row, bool full_phone)
{
    int col[VOLUNTEER_NCOLUMNS];
    if (!db_columns(res, column_names, VOLUNTEER_NCOLUMNS, col, "a volunteer")) {
        o->failed = true;
        return;
    }
    char masked[16];
    const char *phone = db_value(res, row, col[C_PHONE]), *id = db_value(res, row, col[C_ID]);
    const char *source = db_value(res, row, col[C_SOURCE]), *claim = db_value(res, row, col[C_CLAIM]);
    if (!phone)
        phone = "";
    if (!full_phone) {
        mask_phone(phone, masked, sizeof masked);
        phone = masked;
    }
    jo_open(o, '{');
    jo_key(o, "id");
    jo_int(o, id ? strtoll(id, NULL, 10) : 0);
    jo_key(o, "real_name");
    jo_string(o, db_value(res, row, col[C_REAL_NAME]));
    jo_key(o, "phone");
    jo_string(o, phone);
    jo_key(o, "id_number"); /* masked: the only form a response carries */
    jo_string(o, db_value(res, row, col[C_ID_MASKED]));
    for (int i = C_GENDER; i <= C_OCCUPATION; i++) {
        jo_key(o, column_names[i]);
        jo_string(o, db_value(res, row, col[i]));
    }
    for (int i = C_REGION; i <= C_FIELDS; i++) {
        jo_key(o, column_names[i]);
        jo_raw(o, db_value(res, row, col[i]), "null");
    }
    for (int i = C_GRASSROOTS; i <= C_AVAILABILITY; i++) {
        jo_key(o, column_names[i]);
        jo_string(o, db_value(res, row, col[i]));
    }
    jo_key(o, "service_hours");
    jo_real_text(o, db_value(res, row, col[C_HOURS]));
    for (int i = C_CREATED; i <= C_UPDATED; i++) {
        jo_key(o, column_names[i]);
        jo_string(o, db_value(res, row, col[i]));
    }
    jo_key(o, "source");
    jo_string(o, source ? source : "self");
    jo_key(o, "claim_status");
    jo_string(o, claim ? claim : "claimed");
    jo_close(o, '}');
}

json_t *volunteer_json(const PGresult *res, int row, bool full_phone)
{
    json_out o;
    json_out_init(&o);
    volunteer_write(&o, res, row, full_phone);
    return json_out_tree(&o);
}

void reply_claim_required(req_t *r)
{
    reply_error(r, ERR_CLAIM_REQUIRED,
                "this volunteer was imported by an organization: confirm the ID number with POST "
                "/volunteers/me/claim first");
}

static long long volunteer_of_user_or_reply(req_t *r, const char *why, bool must_be_claimed)
{
    PGresult *res = db_query_or_reply(r, SQL_COMMON_VOLUNTEER_OF_USER, 1, (const char *[]){id_str(r, r->user_id)});
    if (!res)
        return 0;
    long long id = PQntuples(res) == 1 ? db_int(res, 0, "id") : 0;
    bool unclaimed = id && !db_isnull(res, 0, "claim_status") && !strcmp(db_str(res, 0, "claim_status"), "unclaimed");
    PQclear(res);
    if (!id) {
        reply_error(r, ERR_VOLUNTEER_REQUIRED, why);
    } else if (must_be_claimed && unclaimed) {
        reply_claim_required(r);
        id = 0;
    }
    return id;
}

long long volunteer_id_or_reply(req_t *r, const char *why)
{
    return volunteer_of_user_or_reply(r, why, false);
}

long long claimed_volunteer_id_or_reply(req_t *r, const char *why)
{
    return volunteer_of_user_or_reply(r, why, true);
}
