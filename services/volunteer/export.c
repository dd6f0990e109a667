/* GET /volunteers/me/service-records.xlsx: the caller's own service records
 * as a workbook: 活动, 组织, 日期, 服务时长, a row per activity (latest first,
 * as the JSON twin) and a 合计 row. Every cell through common/xlsx_out. */
#include "roster_sheet.h"
#include "volunteer.h"

/* 200 the workbook; 401; 403 volunteer_required; 500 when it cannot be
 * written. */
void h_me_service_records_xlsx(req_t *r)
{
    if (!volunteer_id_or_reply(r, "the caller has not registered as a volunteer"))
        return;
    PGresult *res = db_query_or_reply(r, SQL_MY_SERVICE_RECORDS, 1, (const char *[]){id_str(r, r->user_id)});
    if (!res)
        return;
    static const char *const headers[] = {"活动", "组织", "日期", "服务时长"};
    int n = PQntuples(res);
    xlsx_out *x = xlsx_out_new();
    lxw_worksheet *ws = x ? xlsx_out_sheet(x, "服务记录") : NULL;
    bool bad = !ws || xlsx_out_widths(ws, 0, 1, 30) || xlsx_out_widths(ws, 2, 3, 12);
    for (int c = 0; c < 4 && !bad; c++)
        bad = xlsx_out_string(x, ws, 0, c, headers[c], xlsx_out_header_format(x)) != 0;
    char hours[32];
    for (int i = 0; i < n && !bad; i++) {
        hours_text(db_num(res, i, "hours"), hours);
        bad = xlsx_out_string(x, ws, 1 + i, 0, db_str(res, i, "title"), NULL) ||
              xlsx_out_string(x, ws, 1 + i, 1, db_str(res, i, "org_name"), NULL) ||
              xlsx_out_string(x, ws, 1 + i, 2, db_str(res, i, "date"), NULL) ||
              xlsx_out_string(x, ws, 1 + i, 3, hours, NULL);
    }
    hours_text(n ? db_num(res, 0, "total_hours") : 0.0, hours);
    PQclear(res);
    if (!bad)
        bad = xlsx_out_string(x, ws, 1 + n, 0, "合计", xlsx_out_header_format(x)) ||
              xlsx_out_string(x, ws, 1 + n, 3, hours, xlsx_out_header_format(x));
    if (bad) {
        xlsx_out_discard(x);
        reply_error(r, ERR_INTERNAL, "the workbook could not be written");
        return;
    }
    xlsx_out_reply(r, x, "service-records.xlsx", "我的服务记录.xlsx");
}
