/* Reference data: GET /meta/codes and GET /meta/regions[?parent=]. */
#include <string.h>

#include "volunteer.h"

/* GET /meta/codes: 200 with every code table. */
void h_meta_codes(req_t *r)
{
    reply_json(r, 200, codes_json());
    reply_header(r, "Cache-Control", "public, max-age=3600");
}

const char *check_region_code(const char *v, const char **message)
{
    bool ok = strlen(v) == 6;
    for (int i = 0; ok && i < 6; i++)
        ok = v[i] >= '0' && v[i] <= '9';
    *message = "must be a six-digit GB/T 2260 region code";
    return ok ? NULL : "invalid_format";
}

PGresult *region_or_reply(req_t *r, const char *code)
{
    return db_query_or_reply(r, SQL_REGION, 1, (const char *[]){code});
}

/* GET /meta/regions: 200 with the provinces, or with the children of
 * ?parent= (an empty list under a county); 404 for an unknown parent, 422
 * for a malformed one. */
void h_meta_regions(req_t *r)
{
    const char *parent = query_get(r, "parent"), *msg;
    PGresult *res;
    if (parent && check_region_code(parent, &msg))
        field_error(r, "parent", "invalid_format", msg);
    if (fields_failed_reply(r))
        return;
    if (parent) {
        res = region_or_reply(r, parent);
        if (!res)
            return;
        int found = PQntuples(res);
        PQclear(res);
        if (!found) {
            reply_error(r, ERR_NOT_FOUND, "no such region");
            return;
        }
        res = db_query_or_reply(r, SQL_REGIONS_CHILDREN, 1, (const char *[]){parent});
    } else {
        res = db_query_or_reply(r, SQL_REGIONS_TOP, 0, NULL);
    }
    if (!res)
        return;
    json_t *list = json_array();
    for (int i = 0; i < PQntuples(res); i++)
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:b}", "code", db_str(res, i, "code"), "name",
                                              db_str(res, i, "name"), "level", db_str(res, i, "level"), "dev_zone",
                                              db_bool(res, i, "dev_zone")));
    PQclear(res);
    reply_json(r, 200, list);
    reply_header(r, "Cache-Control", "public, max-age=3600");
}
