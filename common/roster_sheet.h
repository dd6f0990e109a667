/* Volunteers as a spreadsheet: the exports (GET /orgs/{id}/members.xlsx,
 * /activities/{id}/signups.xlsx) write them under 附件2's headers in its
 * order (《科技志愿者集体注册信息表》, shared/seeds/004; the import reads the
 * same headers, services/import/roster.c), labels for codes, regions as
 * names, ID numbers masked, so a clerk reads the file beside the sheets
 * that were sent in. Every cell goes through common/xlsx_out (string cells,
 * never a formula). */
#ifndef STVS_ROSTER_SHEET_H
#define STVS_ROSTER_SHEET_H
#include <libpq-fe.h>
#include <stdbool.h>

#include "body.h"
#include "xlsx_out.h"

#define ROSTER_SHEET_TITLE "科技志愿者集体注册信息表"
#define ROSTER_SHEET_COLUMNS 17
#define ROSTER_SHEET_MAX_ROWS 50000 /* the most rows an export writes (the import's limit too) */

/* A sheet named name with the title in row 1 and 附件2's headers, then the
 * extra headers, in row 2; data rows start at ROSTER_SHEET_FIRST_ROW
 * (0-based). NULL on failure. */
#define ROSTER_SHEET_FIRST_ROW 2
lxw_worksheet *roster_sheet_new(xlsx_out *x, const char *name, const char *const *extra, int nextra);
/* Row `row` of res (VOLUNTEER_COLUMNS, common/volunteer_view.h) as sheet row
 * ROSTER_SHEET_FIRST_ROW + i with 序号 i + 1; the phone in full or masked.
 * 0, or -1 on failure. */
int roster_sheet_row(xlsx_out *x, lxw_worksheet *ws, int i, const PGresult *res, int row, bool full_phone);

/* The label of a code (the code itself when the table lacks it; "" for NULL). */
const char *code_label(const code_table *t, const char *code);
/* Hours as a clerk writes them: 3.5, 2, 0.25. */
void hours_text(double hours, char out[32]);

#endif
