#include "xlsx_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#define XLSX_OUT_MAX (64u << 20)

struct xlsx_out {
    lxw_workbook *wb;
    lxw_format *text, *header;
    char path[64];
};

xlsx_out *xlsx_out_new(void)
{
    xlsx_out *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    snprintf(x->path, sizeof x->path, "/tmp/stvs-xlsx-XXXXXX");
    int fd = mkstemp(x->path);
    if (fd < 0) {
        free(x);
        return NULL;
    }
    close(fd);
    lxw_workbook_options opt = {.constant_memory = 0, .tmpdir = "/tmp"};
    x->wb = workbook_new_opt(x->path, &opt);
    if (!x->wb) {
        unlink(x->path);
        free(x);
        return NULL;
    }
    x->text = workbook_add_format(x->wb);
    x->header = workbook_add_format(x->wb);
    if (!x->text || !x->header) {
        xlsx_out_discard(x);
        return NULL;
    }
    format_set_num_format(x->text, "@");
    format_set_bold(x->header);
    format_set_text_wrap(x->header);
    format_set_num_format(x->header, "@");
    return x;
}

lxw_workbook *xlsx_out_workbook(xlsx_out *x) { return x->wb; }
lxw_format *xlsx_out_text_format(xlsx_out *x) { return x->text; }
lxw_format *xlsx_out_header_format(xlsx_out *x) { return x->header; }

bool xlsx_formula_like(const char *t)
{
    return t && (t[0] == '=' || t[0] == '+' || t[0] == '-' || t[0] == '@' || t[0] == '\t' || t[0] == '\r');
}

int xlsx_out_string(xlsx_out *x, lxw_worksheet *ws, int row, int col, const char *text, lxw_format *fmt)
{
    if (!text || !*text)
        return fmt ? (worksheet_write_blank(ws, (lxw_row_t)row, (lxw_col_t)col, fmt) == LXW_NO_ERROR ? 0 : -1) : 0;
    if (xlsx_formula_like(text) && fmt != x->header)
        fmt = x->text;
    /* worksheet_write_string always writes a string cell, never a formula */
    return worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)col, text, fmt) == LXW_NO_ERROR ? 0 : -1;
}

void xlsx_out_discard(xlsx_out *x)
{
    if (!x)
        return;
    if (x->wb)
        workbook_close(x->wb); /* libxlsxwriter has no "free without writing" */
    unlink(x->path);
    free(x);
}

unsigned char *xlsx_out_finish(xlsx_out *x, size_t *len)
{
    unsigned char *data = NULL;
    lxw_error e = workbook_close(x->wb);
    x->wb = NULL;
    FILE *f = e == LXW_NO_ERROR ? fopen(x->path, "rb") : NULL;
    struct stat st;
    if (f && fstat(fileno(f), &st) == 0 && st.st_size > 0 && (size_t)st.st_size <= XLSX_OUT_MAX &&
        (data = malloc((size_t)st.st_size))) {
        *len = fread(data, 1, (size_t)st.st_size, f);
        if (*len != (size_t)st.st_size) {
            free(data);
            data = NULL;
        }
    }
    if (f)
        fclose(f);
    unlink(x->path);
    free(x);
    return data;
}
