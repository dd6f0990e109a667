/* GET /activities/{id}/signups.xlsx: the sign-up roster as a workbook under
 * 附件2's headers (common/roster_sheet), plus 报名时间 and 服务时长 (the
 * recorded hours; empty until recorded). */
#include "activity.h"
#include "roster_sheet.h"

/* 200 the workbook to those who may read the sign-ups (GET
 * /activities/{id}/signups: same phones); 404 to anyone else; 422
 * too_many_rows past ROSTER_SHEET_MAX_ROWS; 500 when it cannot be written. */
void h_signups_xlsx(req_t *r)
{
    activity_access acc;
    if (!activity_access_or_reply(r, r->path_ids[0], &acc))
        return;
    bool organizer = acc.own_admin || acc.ancestor_admin;
    if (!organizer && !acc.platform_admin) {
        reply_error(r, ERR_NOT_FOUND, "no such sign-up roster");
        return;
    }
    const char *id = id_str(r, acc.id);
    PGresult *title = db_row_or_reply(r, SQL_ACTIVITY_TITLE, 1, (const char *[]){id}, "no such activity");
    if (!title)
        return;
    const char *utf8_name = arena_printf(&r->arena, "%s报名名单.xlsx", db_str(title, 0, "title"));
    PQclear(title);
    PGresult *res =
        db_query_or_reply(r, SQL_SIGNUPS_EXPORT, 2, (const char *[]){id, id_str(r, ROSTER_SHEET_MAX_ROWS + 1)});
    if (!res)
        return;
    int n = PQntuples(res);
    if (n > ROSTER_SHEET_MAX_ROWS) {
        PQclear(res);
        reply_error(r, ERR_TOO_MANY_ROWS, "the sign-up roster has more than 50000 rows");
        return;
    }
    static const char *const extra[] = {"报名时间", "服务时长"};
    xlsx_out *x = xlsx_out_new();
    lxw_worksheet *ws = x ? roster_sheet_new(x, "报名名单", extra, 2) : NULL;
    bool bad = !ws || !utf8_name;
    for (int i = 0; i < n && !bad; i++) {
        char hours[32] = "";
        if (!db_isnull(res, i, "recorded_hours"))
            hours_text(db_num(res, i, "recorded_hours"), hours);
        bad = roster_sheet_row(x, ws, i, res, i, organizer) ||
              xlsx_out_string(x, ws, ROSTER_SHEET_FIRST_ROW + i, ROSTER_SHEET_COLUMNS, db_str(res, i, "signed_local"),
                              NULL) ||
              xlsx_out_string(x, ws, ROSTER_SHEET_FIRST_ROW + i, ROSTER_SHEET_COLUMNS + 1, hours, NULL);
    }
    PQclear(res);
    if (bad) {
        xlsx_out_discard(x);
        reply_error(r, ERR_INTERNAL, "the workbook could not be written");
        return;
    }
    xlsx_out_reply(r, x, arena_printf(&r->arena, "activity-%lld-signups.xlsx", acc.id), utf8_name);
}
