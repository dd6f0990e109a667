#include "activity_view.h"

#include "db.h"

json_t *activity_json(const PGresult *res, int row)
{
    return json_pack("{s:I, s:{s:I, s:s}, s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:f,"
                     " s:s, s:s, s:s?, s:b, s:s?, s:s, s:s}",
                     "id", (json_int_t)db_int(res, row, "id"), "org", "id", (json_int_t)db_int(res, row, "org_id"),
                     "name", db_str(res, row, "org_name"), "title", db_str(res, row, "title"), "description",
                     db_str(res, row, "description"), "service_category", db_str(res, row, "service_category"),
                     "themes", db_json(res, row, "themes", json_array()), "region",
                     db_json(res, row, "region", json_null()), "address",
                     db_str(res, row, "address"), "starts_at", db_str(res, row, "starts_at"), "ends_at",
                     db_str(res, row, "ends_at"), "signup_starts_at", db_str(res, row, "signup_starts_at"),
                     "signup_ends_at", db_str(res, row, "signup_ends_at"), "capacity",
                     (json_int_t)db_int(res, row, "capacity"), "signed_up", (json_int_t)db_int(res, row, "signed_up"),
                     "status", db_str(res, row, "status"), "service_hours", db_num(res, row, "service_hours"),
                     "contact_name", db_str(res, row, "contact_name"), "contact_phone",
                     db_str(res, row, "contact_phone"), "requirements", db_str(res, row, "requirements"),
                     "members_only", db_bool(res, row, "members_only"), "cancel_reason",
                     db_str(res, row, "cancel_reason"), "created_at", db_str(res, row, "created_at"), "updated_at",
                     db_str(res, row, "updated_at"));
}
