/* The numbers of one region: the overview, its children, its trend, and
 * the national figures of the home page. */
#include <stdio.h>

#include "datetime.h"
#include "stats.h"

static json_t *int_col(const PGresult *res, int row, const char *col)
{
    return json_integer((json_int_t)db_int(res, row, col));
}

static json_t *hours_col(const PGresult *res, int row, const char *col)
{
    return json_real(db_num(res, row, col));
}

/* GET /stats/overview?region=: 200 {region, as_of, volunteers, orgs,
 * activities, signups, service_hours}; 401; 403 (not a platform admin);
 * 404 (outside the caller's scope); 422 (malformed or unknown region). */
void h_overview(req_t *r)
{
    stats_region reg;
    if (!stats_region_or_reply(r, "region", &reg))
        return;
    PGresult *res = db_query_or_reply(r, SQL_OVERVIEW, 1, (const char *[]){reg.code});
    if (!res)
        return;
    json_t *by_level = json_pack("{s:o, s:o, s:o, s:o, s:o}", "corps", int_col(res, 0, "corps"), "detachment",
                                 int_col(res, 0, "detachment"), "brigade", int_col(res, 0, "brigade"), "team",
                                 int_col(res, 0, "team"), "squad", int_col(res, 0, "squad"));
    json_t *by_status = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "upcoming", int_col(res, 0, "st_upcoming"),
                                  "recruiting", int_col(res, 0, "st_recruiting"), "signup_closed",
                                  int_col(res, 0, "st_signup_closed"), "ongoing", int_col(res, 0, "st_ongoing"),
                                  "ended", int_col(res, 0, "st_ended"), "cancelled", int_col(res, 0, "cancelled"));
    /* cancelled activities count only in by_status.cancelled (API.md) */
    json_t *body = json_pack(
        "{s:o, s:s, s:{s:o, s:o}, s:{s:o, s:o, s:o, s:o}, s:{s:o, s:o, s:o}, s:o, s:o}", "region",
        stats_json_col(res, 0, "region"), "as_of", db_str(res, 0, "as_of"), "volunteers", "total",
        int_col(res, 0, "volunteers"), "new_this_month", int_col(res, 0, "volunteers_new"), "orgs", "total",
        int_col(res, 0, "orgs"), "approved", int_col(res, 0, "approved"), "pending", int_col(res, 0, "pending"),
        "by_level", by_level, "activities", "total",
        int_col(res, 0, "activities"), "this_quarter",
        int_col(res, 0, "this_quarter"), "by_status", by_status, "signups", int_col(res, 0, "signups"),
        "service_hours", hours_col(res, 0, "service_hours"));
    PQclear(res);
    reply_json(r, 200, body);
}

/* GET /stats/regions?parent=: 200 {"items": [...], "as_of"}, one item per
 * child region, zeros included; 401; 403; 404; 422. */
void h_regions(req_t *r)
{
    stats_region reg;
    if (!stats_region_or_reply(r, "parent", &reg))
        return;
    PGresult *res = db_query_or_reply(r, SQL_REGIONS, 1, (const char *[]){reg.code});
    if (!res)
        return;
    json_t *items = json_array();
    for (int i = 0; i < PQntuples(res); i++) {
        bool has_target = !db_isnull(res, i, "target");
        long long volunteers = db_int(res, i, "volunteers"), target = db_int(res, i, "target");
        json_array_append_new(
            items, json_pack("{s:o, s:I, s:o, s:o, s:o, s:o, s:o}", "region", stats_json_col(res, i, "region"),
                             "volunteers", (json_int_t)volunteers, "target",
                             has_target ? json_integer((json_int_t)target) : json_null(), "target_met",
                             has_target ? json_boolean(volunteers >= target) : json_null(), "orgs",
                             int_col(res, i, "orgs"), "activities_this_quarter",
                             int_col(res, i, "activities_this_quarter"), "service_hours",
                             hours_col(res, i, "service_hours")));
    }
    json_t *as_of = PQntuples(res) ? json_string(db_str(res, 0, "as_of")) : NULL;
    PQclear(res);
    if (!as_of) { /* no children (a county): the time still comes from the database clock */
        res = db_query_or_reply(r, SQL_PUBLIC, 0, NULL);
        if (!res) {
            json_decref(items);
            return;
        }
        as_of = json_string(db_str(res, 0, "as_of"));
        PQclear(res);
    }
    reply_json(r, 200, json_pack("{s:o, s:o}", "as_of", as_of, "items", items));
}

#define MAX_TREND_MONTHS 36

/* GET /stats/trend?region=&from=YYYY-MM&to=YYYY-MM: 200 {"items": [{month,
 * volunteers_new, activities_held, service_hours}], "as_of"}, one per month
 * (default: the last 12 up to this one); 401; 403; 404; 422 (from after to,
 * or more than 36 months). */
void h_trend(req_t *r)
{
    ymd today = today_in_china();
    int fy = 0, fm = 0, ty = today.year, tm = today.month;
    bool has_from = query_month(r, "from", &fy, &fm);
    query_month(r, "to", &ty, &tm);
    if (!has_from) { /* 11 months before `to` */
        int idx = ty * 12 + (tm - 1) - 11;
        fy = idx / 12, fm = idx % 12 + 1;
    }
    int span = (ty * 12 + tm) - (fy * 12 + fm) + 1;
    if (span < 1)
        field_error(r, "from", "out_of_range", "must not be after to");
    else if (span > MAX_TREND_MONTHS)
        field_error(r, "to", "out_of_range", "at most 36 months from from");
    stats_region reg;
    if (!stats_region_or_reply(r, "region", &reg))
        return;
    char from[11], to[11];
    snprintf(from, sizeof from, "%04d-%02d-01", fy, fm);
    snprintf(to, sizeof to, "%04d-%02d-01", ty, tm);
    PGresult *res = db_query_or_reply(r, SQL_TREND, 3, (const char *[]){reg.code, from, to});
    if (!res)
        return;
    json_t *items = json_array();
    for (int i = 0; i < PQntuples(res); i++)
        json_array_append_new(items, json_pack("{s:s, s:o, s:o, s:o}", "month", db_str(res, i, "month"),
                                               "volunteers_new", int_col(res, i, "volunteers_new"),
                                               "activities_held", int_col(res, i, "activities_held"),
                                               "service_hours", hours_col(res, i, "service_hours")));
    json_t *body = json_pack("{s:s, s:o}", "as_of", db_str(res, 0, "as_of"), "items", items);
    PQclear(res);
    reply_json(r, 200, body);
}

/* GET /stats/public: 200 national {volunteers, orgs, activities,
 * service_hours, as_of}, no personal data, cacheable for 60 s. */
void h_public(req_t *r)
{
    PGresult *res = db_query_or_reply(r, SQL_PUBLIC, 0, NULL);
    if (!res)
        return;
    json_t *body = json_pack("{s:o, s:o, s:o, s:o, s:s}", "volunteers", int_col(res, 0, "volunteers"), "orgs",
                             int_col(res, 0, "orgs"), "activities", int_col(res, 0, "activities"), "service_hours",
                             hours_col(res, 0, "service_hours"), "as_of", db_str(res, 0, "as_of"));
    PQclear(res);
    reply_header(r, "Cache-Control", "public, max-age=60");
    reply_json(r, 200, body);
}
