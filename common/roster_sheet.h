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

/* 附件2's columns in its order, the one table of their headers:
 * X(id, header, alias, key) with the import's name for the column (V_id,
 * services/import/import.h), the official header, another spelling the
 * import also takes (or NULL), and whether the import needs it in the
 * header row. The exports write the headers, the import finds them. */
#define ROSTER_SHEET_COLUMN_LIST(X)                  \
    X(SEQ, "序号", NULL, false)                      \
    X(NAME, "真实姓名", "姓名", true)                \
    X(PHONE, "手机号", "手机号码", true)             \
    X(GENDER, "性别", NULL, false)                   \
    X(ID, "身份证号", "身份证号码", true)            \
    X(POLITICAL, "政治面貌", NULL, false)            \
    X(ETHNICITY, "民族", NULL, false)                \
    X(EMPLOYER, "工作单位", NULL, false)             \
    X(TITLE, "职称", NULL, false)                    \
    X(EDUCATION, "最高学历", "学历", false)          \
    X(OCCUPATION, "从业类别", NULL, false)           \
    X(PROVINCE, "所在区域省", "省", false)           \
    X(CITY, "所在区域市", "市", false)               \
    X(COUNTY, "所在区域县", "县", false)             \
    X(CATEGORIES, "服务类别", NULL, false)           \
    X(FIELDS, "服务领域或行业", "服务领域", false)   \
    X(GRASSROOTS, "是否为基层“三长”", "基层三长", false)
#define ROSTER_SHEET_COUNT_(id, header, alias, key) +1
#define ROSTER_SHEET_COLUMNS (0 ROSTER_SHEET_COLUMN_LIST(ROSTER_SHEET_COUNT_))
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
