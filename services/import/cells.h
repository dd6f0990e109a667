/* What a cell of the official spreadsheets may hold, read the way people
 * type it (API.md, "Bulk registration"): labels or codes, multi-choice lists
 * or the template's □/☑ boxes, regions by their names, dates in the usual
 * spellings or as Excel serials. Pure functions: tests/unit/test_cells.c. */
#ifndef STVS_IMPORT_CELLS_H
#define STVS_IMPORT_CELLS_H
#include <stdbool.h>
#include <stddef.h>

#include "body.h"
#include "datetime.h"

/* A header label or a cell for comparison: no blanks (ASCII, U+3000, U+00A0,
 * zero-width), full-width ASCII made half-width, quotes dropped, "(选填)"
 * dropped, ASCII lower-cased. */
void cell_normalize(const char *in, char *out, size_t outlen);

/* Leading and trailing blanks (ASCII, U+3000, U+00A0) cut, into out. */
void cell_trim(const char *in, char *out, size_t outlen);

/* The code of a label or a code of t (as cell_normalize compares them), or NULL. */
const char *cell_code(const code_table *t, const char *cell);

/* The message of not_in_list: "可选：群众、共青团员…". out is the buffer. */
const char *cell_allowed(const code_table *t, char *out, size_t outlen);

/* A multi-choice cell into distinct codes of t, in the table's order.
 * Returns the number chosen (0: nothing chosen), or -1 when an item is not a
 * label or code of t (its text goes into bad). */
int cell_multi(const code_table *t, const char *cell, const char **codes, int max, char *bad, size_t badlen);

/* A date: 2019/8/8, 2019-08-08, 2019.8.8, 2019年8月8日, or (numeric cells)
 * an Excel serial in the 1900 or 1904 system. False when none of these or
 * not a real date. */
bool cell_date(const char *cell, bool numeric, bool date1904, ymd *out);

/* A phone: 11 digits as text, or a numeric cell that holds them exactly. */
bool cell_phone(const char *cell, bool numeric, char out[12]);

/* Regions by their names. */
typedef struct {
    char code[7], parent[7];
    const char *name;
    char level; /* 'p', 'c', 'k' (county) */
    bool also_county;
} region_row;
typedef struct {
    region_row *rows;
    int n;
} region_tab;
typedef enum { REGION_OK, REGION_REQUIRED, REGION_NOT_FOUND, REGION_AMBIGUOUS, REGION_NOT_COUNTY } region_result;
/* Matches 省/市/县 names (with or without their 省/市/县/区/自治区... suffix)
 * to a county-level code (a volunteer's region), or with any_level to the
 * lowest level given (an org's: a provincial or city team leaves the lower
 * columns blank). *which says the column at fault: 0 province, 1 city,
 * 2 county. */
region_result region_by_names(const region_tab *t, const char *province, const char *city, const char *county,
                              bool any_level, char code[7], int *which);
bool region_name_matches(const char *name, const char *input); /* normalized input */

#endif
