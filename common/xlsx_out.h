/* Writing .xlsx workbooks (libxlsxwriter) the one safe way: every value is
 * a string cell, and a value that a spreadsheet could take for a formula
 * (starting with = + - @, a tab or a CR) also gets the Text number format,
 * so it is neither a formula when the file opens nor becomes one when
 * someone edits the cell: the text comes back byte for byte on re-upload.
 * Shared by every service that answers with a spreadsheet. */
#ifndef STVS_XLSX_OUT_H
#define STVS_XLSX_OUT_H
#include <stdbool.h>
#include <stddef.h>

#include <xlsxwriter.h>

typedef struct xlsx_out xlsx_out;

/* A new workbook in a private temporary file; NULL on failure. */
xlsx_out *xlsx_out_new(void);
lxw_workbook *xlsx_out_workbook(xlsx_out *x);
/* Formats made once per workbook: the Text format ("@") and a bold header. */
lxw_format *xlsx_out_text_format(xlsx_out *x);
lxw_format *xlsx_out_header_format(xlsx_out *x);

/* Would a spreadsheet read this text as a formula? */
bool xlsx_formula_like(const char *text);
/* A string cell; fmt may be NULL. A formula-like value gets the Text format
 * (fmt is used when it is already a text format). 0, or -1 on failure. */
int xlsx_out_string(xlsx_out *x, lxw_worksheet *ws, int row, int col, const char *text, lxw_format *fmt);

/* Closes the workbook and returns its bytes (malloc'd; the caller frees),
 * or NULL on failure; x is freed either way. */
unsigned char *xlsx_out_finish(xlsx_out *x, size_t *len);
void xlsx_out_discard(xlsx_out *x);

#endif
