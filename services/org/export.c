/* GET /orgs/{id}/members.xlsx: the roster as a workbook under 附件2's
 * headers (common/roster_sheet), plus 状态 and 加入时间. */
#include <string.h>

#include "org.h"
#include "roster_sheet.h"

static const char *status_label(const char *status)
{
    return !status ? "" : !strcmp(status, "active") ? "已加入" : !strcmp(status, "pending") ? "待审核" : status;
}

/* 200 the workbook to those who may read the roster (GET /orgs/{id}/members:
 * same filters, same phones); 404 to anyone else; 422 bad filters, or
 * too_many_rows past ROSTER_SHEET_MAX_ROWS; 500 when it cannot be written. */
void h_members_xlsx(req_t *r)
{
    org_access a;
    members_query mq = {0};
    if (!query_parse_or_reply(r, members_query_fields, MEMBERS_QUERY_FIELDS, &mq, NULL) ||
        !org_access_or_reply(r, r->path_ids[0], &a))
        return;
    if (!can_manage(&a)) {
        reply_error(r, ERR_NOT_FOUND, "no such organization roster");
        return;
    }
    const char *org = id_str(r, a.id);
    PGresult *name = db_row_or_reply(r, SQL_ORG_NAME, 1, (const char *[]){org}, "no such organization");
    if (!name)
        return;
    const char *utf8_name = arena_printf(&r->arena, "%s志愿者名单.xlsx", db_str(name, 0, "name"));
    PQclear(name);
    PGresult *res = db_query_or_reply(r, SQL_MEMBERS_EXPORT, 4,
                                      (const char *[]){org, mq.status, mq.q, id_str(r, ROSTER_SHEET_MAX_ROWS + 1)});
    if (!res)
        return;
    int n = PQntuples(res);
    if (n > ROSTER_SHEET_MAX_ROWS) {
        PQclear(res);
        reply_error(r, ERR_TOO_MANY_ROWS, "the roster has more than 50000 rows: narrow it with status or q");
        return;
    }
    bool full = a.own_admin || a.ancestor_admin;
    static const char *const extra[] = {"状态", "加入时间"};
    xlsx_out *x = xlsx_out_new();
    lxw_worksheet *ws = x ? roster_sheet_new(x, "志愿者名单", extra, 2) : NULL;
    bool bad = !ws || !utf8_name;
    for (int i = 0; i < n && !bad; i++)
        bad = roster_sheet_row(x, ws, i, res, i, full) ||
              xlsx_out_string(x, ws, ROSTER_SHEET_FIRST_ROW + i, ROSTER_SHEET_COLUMNS,
                              status_label(db_str(res, i, "membership_status")), NULL) ||
              xlsx_out_string(x, ws, ROSTER_SHEET_FIRST_ROW + i, ROSTER_SHEET_COLUMNS + 1,
                              db_str(res, i, "joined_local"), NULL);
    PQclear(res);
    if (bad) {
        xlsx_out_discard(x);
        reply_error(r, ERR_INTERNAL, "the workbook could not be written");
        return;
    }
    xlsx_out_reply(r, x, arena_printf(&r->arena, "org-%lld-members.xlsx", a.id), utf8_name);
}
