/* What the notices ask 科协 staff to report: the monthly report (队伍组建及
 * 注册情况, 活动开展情况) and the quarterly rule (at least one activity a
 * quarter per team). */
#include <stdio.h>
#include <string.h>

#include "datetime.h"
#include "stats.h"

static json_t *report_row(const PGresult *res, int i)
{
    return json_pack("{s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:f}", "region", stats_json_col(res, i, "region"),
                     "orgs_new", (json_int_t)db_int(res, i, "orgs_new"), "orgs_total",
                     (json_int_t)db_int(res, i, "orgs_total"), "volunteers_new",
                     (json_int_t)db_int(res, i, "volunteers_new"), "volunteers_total",
                     (json_int_t)db_int(res, i, "volunteers_total"), "activities_held",
                     (json_int_t)db_int(res, i, "activities_held"), "participants",
                     (json_int_t)db_int(res, i, "participants"), "service_hours", db_num(res, i, "service_hours"));
}

/* GET /stats/monthly-report?region=&month=YYYY-MM (default this month):
 * 200 {region, month, as_of, rows: [one per child region], total}, or with
 * Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet
 * the same as an xlsx workbook; 401; 403; 404; 422; 500 (workbook). */
void h_monthly_report(req_t *r)
{
    ymd today = today_in_china();
    int y = today.year, m = today.month;
    query_month(r, "month", &y, &m);
    stats_region reg;
    if (!stats_region_or_reply(r, "region", &reg))
        return;
    char first[11];
    snprintf(first, sizeof first, "%04d-%02d-01", y, m);
    PGresult *res = db_query_or_reply(r, SQL_MONTHLY_REPORT, 2, (const char *[]){reg.code, first});
    if (!res)
        return;
    if (wants_xlsx(r)) {
        bool written = monthly_report_xlsx(r, res, reg.code, y, m);
        PQclear(res);
        if (!written)
            reply_error(r, ERR_INTERNAL, "the workbook could not be written");
        return;
    }
    json_t *rows = json_array(), *total = NULL, *region = NULL;
    for (int i = 0; i < PQntuples(res); i++) {
        if (db_bool(res, i, "is_total")) {
            total = report_row(res, i);
            region = stats_json_col(res, i, "region");
            json_object_del(total, "region");
        } else {
            json_array_append_new(rows, report_row(res, i));
        }
    }
    json_t *body = json_pack("{s:o, s:s, s:s, s:o, s:o}", "region", region ? region : json_null(), "month",
                             arena_printf(&r->arena, "%04d-%02d", y, m), "as_of", db_str(res, 0, "as_of"), "rows",
                             rows, "total", total ? total : json_object());
    PQclear(res);
    reply_json(r, 200, body);
}

static json_t *quarterly_row(const PGresult *res, int i)
{
    return json_pack("{s:{s:I, s:s, s:s}, s:o, s:I}", "org", "id", (json_int_t)db_int(res, i, "id"), "name",
                     db_str(res, i, "name"), "level", db_str(res, i, "level"), "region",
                     stats_json_col(res, i, "region"), "activities", (json_int_t)db_int(res, i, "activities"));
}

#define TOTAL_CAP 10000

/* GET /stats/quarterly?region=&year=&quarter=&below=0|1&page=&page_size=
 * (default: this quarter): 200 paged approved orgs {org, region,
 * activities} in the region, ordered by region and id, total capped at
 * 10000 (total_capped); 401; 403; 404; 422. */
void h_quarterly(req_t *r)
{
    ymd today = today_in_china();
    paging_t pg;
    query_fields(r, NULL, 0, NULL, &pg);
    long long year = query_int(r, "year", 2000, 2099, today.year);
    long long quarter = query_int(r, "quarter", 1, 4, (today.month - 1) / 3 + 1);
    long long below = query_int(r, "below", 0, 1, 0);
    stats_region reg;
    if (!stats_region_or_reply(r, "region", &reg))
        return;
    const char *params[6] = {reg.code, id_str(r, year), id_str(r, quarter), below ? "true" : "false",
                             id_str(r, pg.page_size), id_str(r, pg.offset)};
    PGresult *res = db_query_or_reply(r, SQL_QUARTERLY_COUNT, 4, params);
    if (!res)
        return;
    long long total = db_int(res, 0, "total");
    PQclear(res);
    res = db_query_or_reply(r, SQL_QUARTERLY_PAGE, 6, params);
    if (!res)
        return;
    json_t *items = json_array();
    for (int i = 0; i < PQntuples(res); i++)
        json_array_append_new(items, quarterly_row(res, i));
    PQclear(res);
    json_t *body = json_pack("{s:o, s:I, s:I, s:I}", "items", items, "total",
                             (json_int_t)(total > TOTAL_CAP ? TOTAL_CAP : total), "page", (json_int_t)pg.page,
                             "page_size", (json_int_t)pg.page_size);
    if (total > TOTAL_CAP)
        json_object_set_new(body, "total_capped", json_true());
    reply_json(r, 200, body);
}
