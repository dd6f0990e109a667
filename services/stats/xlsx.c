/* The monthly report as the xlsx workbook a 科协 clerk sends upward: one
 * sheet for 队伍组建及注册情况, one for 活动开展情况, a row per child region
 * and a total row, Chinese headers.
 *
 * Written with libxlsxwriter here because the shared writer (common/xlsx_out,
 * issue 12's "Spreadsheets out") is not in this tree yet; move it there when
 * it lands. libxlsxwriter 1.1.4 (Debian 12) writes only to a file, so the
 * workbook goes to a private temporary file that is read back and removed.
 * Every text goes through worksheet_write_string, which stores a string cell:
 * a value starting with = + - @, a tab or CR is never a formula. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "log.h"
#include "stats.h"

#define XLSX_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

bool wants_xlsx(const req_t *r)
{
    return r->accept && strstr(r->accept, XLSX_TYPE);
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
 * (the statement orders it so). */
static lxw_error write_sheet(req_t *r, lxw_workbook *wb, const char *name, const char *title, const column *cols,
                             int ncols, const PGresult *res, lxw_format *bold)
{
    lxw_worksheet *ws = workbook_add_worksheet(wb, name);
    if (!ws)
        return LXW_ERROR_MEMORY_MALLOC_FAILED;
    lxw_error err = worksheet_write_string(ws, 0, 0, title, bold);
    worksheet_set_column(ws, 0, 0, 24, NULL);
    worksheet_set_column(ws, 1, (lxw_col_t)(ncols - 1), 16, NULL);
    for (int c = 0; c < ncols && !err; c++)
        err = worksheet_write_string(ws, 2, (lxw_col_t)c, cols[c].header, bold);
    for (int i = 0; i < PQntuples(res) && !err; i++) {
        lxw_row_t row = (lxw_row_t)(3 + i);
        bool total = db_bool(res, i, "is_total");
        for (int c = 0; c < ncols && !err; c++) {
            if (!cols[c].col)
                err = worksheet_write_string(ws, row, (lxw_col_t)c, region_name(r, res, i), total ? bold : NULL);
            else if (!strcmp(cols[c].col, "code"))
                err = worksheet_write_string(ws, row, (lxw_col_t)c, total ? "" : db_str(res, i, "code"), NULL);
            else
                err = worksheet_write_number(ws, row, (lxw_col_t)c,
                                             cols[c].hours ? db_num(res, i, cols[c].col)
                                                           : (double)db_int(res, i, cols[c].col),
                                             total ? bold : NULL);
        }
    }
    return err;
}

/* Reads the file into the reply; false on any failure. */
static bool reply_file(req_t *r, const char *path, const char *filename)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    bool ok = false;
    char *buf = NULL;
    long len = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)len)) && fread(buf, 1, (size_t)len, f) == (size_t)len) {
        reply_bytes(r, 200, XLSX_TYPE, buf, (size_t)len); /* a 500 itself if it cannot copy */
        ok = true;
    }
    free(buf);
    fclose(f);
    if (ok)
        reply_header(r, "Content-Disposition", arena_printf(&r->arena, "attachment; filename=\"%s\"", filename));
    return ok;
}

bool monthly_report_xlsx(req_t *r, const PGresult *res, const char *region_code, int year, int month)
{
    const char *tmp = getenv("TMPDIR");
    char path[512];
    int n = snprintf(path, sizeof path, "%s/stvs-stats-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (n < 0 || (size_t)n >= sizeof path)
        return false;
    int fd = mkstemp(path);
    if (fd < 0)
        return false;
    close(fd);
    bool ok = false;
    lxw_workbook_options opt = {.constant_memory = LXW_FALSE, .tmpdir = tmp && *tmp ? (char *)tmp : "/tmp"};
    lxw_workbook *wb = workbook_new_opt(path, &opt);
    if (wb) {
        lxw_format *bold = workbook_add_format(wb);
        format_set_bold(bold);
        const char *when = arena_printf(&r->arena, "%04d年%02d月", year, month);
        lxw_error err = write_sheet(r, wb, "队伍组建及注册情况",
                                    arena_printf(&r->arena, "%s 队伍组建及注册情况", when), team_cols,
                                    (int)(sizeof team_cols / sizeof *team_cols), res, bold);
        if (!err)
            err = write_sheet(r, wb, "活动开展情况", arena_printf(&r->arena, "%s 活动开展情况", when), activity_cols,
                              (int)(sizeof activity_cols / sizeof *activity_cols), res, bold);
        lxw_error closed = workbook_close(wb); /* frees wb whatever happened */
        ok = !err && !closed &&
             reply_file(r, path, arena_printf(&r->arena, "monthly-report-%s-%04d-%02d.xlsx", region_code, year, month));
    }
    if (unlink(path) != 0)
        log_msg("warn", r->request_id, "could not remove a temporary workbook");
    return ok;
}
