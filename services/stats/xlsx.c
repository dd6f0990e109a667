/* The monthly report as the xlsx workbook a 科协 clerk sends upward: one
 * sheet for 队伍组建及注册情况, one for 活动开展情况, a row per child region
 * and a total row, Chinese headers.
 *
 * Written through common/xlsx_out, the one writer of every workbook the
 * platform answers with: texts are string cells (a value starting with
 * = + - @, a tab or CR is never a formula), the figures number cells. */
#include <string.h>

#include "stats.h"
#include "xlsx_out.h"

bool wants_xlsx(const req_t *r)
{
    return r->accept && strstr(r->accept, XLSX_OUT_TYPE);
}

/* The most specific name of a region's display JSON; "合计" for the total. */
static const char *region_name(req_t *r, const PGresult *res, int row)
{
    if (db_bool(res, row, "is_total"))
        return "合计";
    json_t *region = stats_json_col(res, row, "region");
    const char *name = NULL;
    const char *keys[] = {"county", "city", "province"};
    for (int i = 0; i < 3 && !name; i++)
        name = json_string_value(json_object_get(region, keys[i]));
    const char *copy = name ? arena_printf(&r->arena, "%s", name) : db_str(res, row, "code");
    json_decref(region);
    return copy;
}

typedef struct {
    const char *header, *col; /* col NULL: the region's name; "code": its code */
    bool hours;
} column;

static const column team_cols[] = {
    {"地区", NULL, false},          {"区划代码", "code", false},
    {"新增队伍数", "orgs_new", false}, {"队伍总数", "orgs_total", false},
    {"新增注册志愿者数", "volunteers_new", false}, {"注册志愿者总数", "volunteers_total", false},
};
static const column activity_cols[] = {
    {"地区", NULL, false},           {"区划代码", "code", false},
    {"开展活动数", "activities_held", false}, {"参与志愿者人次", "participants", false},
    {"服务时长（小时）", "service_hours", true},
};

/* One sheet: a title, the headers, a row per child region, the total last
 * (the statement orders it so). 0, or -1 on failure. */
static int write_sheet(req_t *r, xlsx_out *x, const char *name, const char *title, const column *cols, int ncols,
                       const PGresult *res, lxw_format *bold)
{
    lxw_worksheet *ws = xlsx_out_sheet(x, name);
    if (!ws || xlsx_out_string(x, ws, 0, 0, title, bold) || xlsx_out_widths(ws, 0, 0, 24) ||
        xlsx_out_widths(ws, 1, ncols - 1, 16))
        return -1;
    int err = 0;
    for (int c = 0; c < ncols && !err; c++)
        err = xlsx_out_string(x, ws, 2, c, cols[c].header, bold);
    for (int i = 0; i < PQntuples(res) && !err; i++) {
        int row = 3 + i;
        bool total = db_bool(res, i, "is_total");
        for (int c = 0; c < ncols && !err; c++) {
            if (!cols[c].col)
                err = xlsx_out_string(x, ws, row, c, region_name(r, res, i), total ? bold : NULL);
            else if (!strcmp(cols[c].col, "code"))
                err = xlsx_out_string(x, ws, row, c, total ? "" : db_str(res, i, "code"), NULL);
            else
                err = xlsx_out_number(x, ws, row, c,
                                      cols[c].hours ? db_num(res, i, cols[c].col) : (double)db_int(res, i, cols[c].col),
                                      total ? bold : NULL);
        }
    }
    return err;
}

bool monthly_report_xlsx(req_t *r, const PGresult *res, const char *region_code, int year, int month)
{
    xlsx_out *x = xlsx_out_new();
    if (!x)
        return false;
    lxw_format *bold = workbook_add_format(xlsx_out_workbook(x));
    const char *when = arena_printf(&r->arena, "%04d年%02d月", year, month);
    bool bad = !bold || !when;
    if (!bad) {
        format_set_bold(bold);
        bad = write_sheet(r, x, "队伍组建及注册情况", arena_printf(&r->arena, "%s 队伍组建及注册情况", when), team_cols,
                          (int)(sizeof team_cols / sizeof *team_cols), res, bold) ||
              write_sheet(r, x, "活动开展情况", arena_printf(&r->arena, "%s 活动开展情况", when), activity_cols,
                          (int)(sizeof activity_cols / sizeof *activity_cols), res, bold);
    }
    if (bad) {
        xlsx_out_discard(x);
        return false;
    }
    return xlsx_out_reply(r, x, arena_printf(&r->arena, "monthly-report-%s-%04d-%02d.xlsx", region_code, year, month),
                          arena_printf(&r->arena, "%s科技志愿服务月报-%s.xlsx", when, region_code));
}
