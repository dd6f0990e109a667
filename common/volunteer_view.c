#include "volunteer_view.h"

#include <string.h>

#include "db.h"
#include "http.h"
#include "mask.h"

json_t *volunteer_json(const PGresult *res, int row, bool full_phone)
{
    char masked[16];
    const char *phone = db_str(res, row, "phone");
    if (!phone)
        phone = "";
    if (!full_phone) {
        mask_phone(phone, masked, sizeof masked);
        phone = masked;
    }
    const char *source = db_str(res, row, "source"), *claim = db_str(res, row, "claim_status");
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:s?, s:s?,"
                     " s:f, s:s, s:s, s:s, s:s}",
                     "id", (json_int_t)db_int(res, row, "id"), "real_name", db_str(res, row, "real_name"), "phone",
                     phone, "id_number", db_str(res, row, "id_masked"), "gender", db_str(res, row, "gender"),
                     "political_status", db_str(res, row, "political_status"), "ethnicity",
                     db_str(res, row, "ethnicity"), "employer", db_str(res, row, "employer"), "title",
                     db_str(res, row, "title"), "education", db_str(res, row, "education"), "occupation",
                     db_str(res, row, "occupation"), "region", db_json(res, row, "region", json_null()), "service_categories",
                     db_json(res, row, "service_categories", json_null()), "service_fields",
                     db_json(res, row, "service_fields", json_null()), "grassroots_role", db_str(res, row, "grassroots_role"),
                     "skills", db_str(res, row, "skills"), "availability", db_str(res, row, "availability"),
                     "service_hours", db_num(res, row, "service_hours"), "created_at",
                     db_str(res, row, "created_at"), "updated_at", db_str(res, row, "updated_at"), "source",
                     source ? source : "self", "claim_status", claim ? claim : "claimed");
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
        reply_error(r, ERR_CLAIM_REQUIRED,
                    "this volunteer was imported by an organization: confirm the ID number with POST "
                    "/volunteers/me/claim first");
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
