/* Reference data: GET /meta/codes and GET /meta/regions[?parent=]. */
#include <string.h>

#include "volunteer.h"

/* GET /meta/codes: 200 with every code table. */
void h_meta_codes(req_t *r)
{
    reply_json(r, 200, codes_json());
    reply_header(r, "Cache-Control", "public, max-age=3600");
}

typedef struct {
    const char *parent;
} regions_query;
static const field_spec regions_query_fields[] = {
    QUERY_FIELD(regions_query, parent, F_STRING, 0, check_region_code, NULL),
};

/* GET /meta/regions: 200 with the provinces, or with the children of
 * ?parent= (an empty list under a county); 404 for an unknown parent, 422
 * for a malformed one. */
void h_meta_regions(req_t *r)
{
    regions_query rq = {0};
    PGresult *res;
    region_info info;
    if (!query_parse_or_reply(r, regions_query_fields, 1, &rq, NULL))
        return;
    const char *parent = rq.parent;
    if (parent) {
        if (!region_lookup_or_reply(r, parent, &info))
            return;
        if (!info.found) {
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
