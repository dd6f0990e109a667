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

#define XLSX_OUT_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

typedef struct xlsx_out xlsx_out;
struct req;

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

/* A number cell (figures such as the monthly report's); fmt may be NULL.
 * 0, or -1 on failure. */
int xlsx_out_number(xlsx_out *x, lxw_worksheet *ws, int row, int col, double v, lxw_format *fmt);
/* A new sheet named name (NULL on failure), and the width of columns
 * first..last in characters (0, or -1 on failure). */
lxw_worksheet *xlsx_out_sheet(xlsx_out *x, const char *name);
int xlsx_out_widths(lxw_worksheet *ws, int first, int last, double width);

/* Finishes x (freed either way) and answers 200 with the workbook as an
 * attachment (RFC 6266): filename="ascii_name" for every client, and
 * filename*=UTF-8''<utf8_name percent-encoded> when utf8_name is not NULL.
 * False after answering 500 when the workbook could not be written. */
bool xlsx_out_reply(struct req *r, xlsx_out *x, const char *ascii_name, const char *utf8_name);

/* Closes the workbook and returns its bytes (malloc'd; the caller frees),
 * or NULL on failure; x is freed either way. */
unsigned char *xlsx_out_finish(xlsx_out *x, size_t *len);
void xlsx_out_discard(xlsx_out *x);

#endif
