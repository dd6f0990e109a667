#include "volunteer_view.h"

#include "db.h"
#include "http.h"
#include "mask.h"

/* A JSON column (region, arrays) as a value; null when absent or bad. */
static json_t *json_col(const PGresult *res, int row, const char *col)
{
    const char *text = db_str(res, row, col);
    json_t *v = text ? json_loads(text, 0, NULL) : NULL;
    return v ? v : json_null();
}

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
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:s?, s:s?,"
                     " s:f, s:s, s:s}",
                     "id", (json_int_t)db_int(res, row, "id"), "real_name", db_str(res, row, "real_name"), "phone",
                     phone, "id_number", db_str(res, row, "id_masked"), "gender", db_str(res, row, "gender"),
                     "political_status", db_str(res, row, "political_status"), "ethnicity",
                     db_str(res, row, "ethnicity"), "employer", db_str(res, row, "employer"), "title",
                     db_str(res, row, "title"), "education", db_str(res, row, "education"), "occupation",
                     db_str(res, row, "occupation"), "region", json_col(res, row, "region"), "service_categories",
                     json_col(res, row, "service_categories"), "service_fields",
                     json_col(res, row, "service_fields"), "grassroots_role", db_str(res, row, "grassroots_role"),
                     "skills", db_str(res, row, "skills"), "availability", db_str(res, row, "availability"),
                     "service_hours", db_num(res, row, "service_hours"), "created_at",
                     db_str(res, row, "created_at"), "updated_at", db_str(res, row, "updated_at"));
}

long long volunteer_id_or_reply(req_t *r, const char *why)
{
    PGresult *res = db_query_or_reply(r, SQL_COMMON_VOLUNTEER_OF_USER, 1, (const char *[]){id_str(r, r->user_id)});
    if (!res)
        return 0;
    long long id = PQntuples(res) == 1 ? db_int(res, 0, "id") : 0;
    PQclear(res);
    if (!id)
        reply_error(r, ERR_VOLUNTEER_REQUIRED, why);
    return id;
}
