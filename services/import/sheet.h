/* A spreadsheet as the import reads it: the first worksheet of an .xlsx, or
 * a .csv, as rows of UTF-8 text cells with the sheet's own row numbers.
 * Both readers take files from strangers: every size is capped, an .xlsx
 * with a DTD or entities is refused, and each reader has a fuzz target
 * (tests/fuzz/). */
#ifndef STVS_SHEET_H
#define STVS_SHEET_H
#include <stdbool.h>
#include <stddef.h>

#define SHEET_MAX_ROWS 50100      /* rows read at most: past it, too many rows */
#define SHEET_MAX_COLS 64         /* columns kept per row (the sheets have 15 and 17) */
#define SHEET_MAX_CELL 4096       /* bytes kept per cell */
#define XLSX_MAX_ENTRIES 512      /* parts in the zip */
#define XLSX_MAX_PART (64u << 20) /* uncompressed bytes of one part read */
#define XLSX_MAX_TOTAL (96u << 20) /* uncompressed bytes read in all */
#define XLSX_MAX_STRINGS 1000000  /* shared strings */

typedef struct {
    char *text;   /* UTF-8, never NULL ("" when empty) */
    bool numeric; /* an .xlsx number cell (its text is the stored number) */
} sheet_cell;

typedef struct {
    int row_no;   /* 1-based, as the spreadsheet shows it */
    int ncells;
    sheet_cell *cells;
} sheet_row;

typedef struct {
    sheet_row *rows;
    int nrows, cap;
    bool date1904;   /* the workbook counts dates from 1904 */
    bool truncated;  /* more than SHEET_MAX_ROWS rows */
} sheet_t;

typedef enum { SHEET_OK = 0, SHEET_INVALID = -1, SHEET_NOMEM = -2 } sheet_status;

/* Each fills *out (sheet_free it, also after a failure) or says why not in
 * err (a sentence for the 422 invalid_file detail). */
sheet_status sheet_read_xlsx(const void *data, size_t n, sheet_t *out, char *err, size_t errlen);
sheet_status sheet_read_csv(const void *data, size_t n, sheet_t *out, char *err, size_t errlen);
void sheet_free(sheet_t *s);

/* Adds a cell to the last row (rows are added by sheet_add_row). */
int sheet_add_row(sheet_t *s, int row_no);
int sheet_set_cell(sheet_t *s, int col, const char *text, size_t len, bool numeric);
const char *sheet_cell_text(const sheet_row *r, int col); /* "" past the row's end */

#endif
