#include "xlsx_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "http.h"

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

int xlsx_out_number(xlsx_out *x, lxw_worksheet *ws, int row, int col, double v, lxw_format *fmt)
{
    (void)x;
    return worksheet_write_number(ws, (lxw_row_t)row, (lxw_col_t)col, v, fmt) == LXW_NO_ERROR ? 0 : -1;
}

lxw_worksheet *xlsx_out_sheet(xlsx_out *x, const char *name)
{
    return workbook_add_worksheet(x->wb, name);
}

int xlsx_out_widths(lxw_worksheet *ws, int first, int last, double width)
{
    return worksheet_set_column(ws, (lxw_col_t)first, (lxw_col_t)last, width, NULL) == LXW_NO_ERROR ? 0 : -1;
}

/* RFC 5987 attr-char: ALPHA / DIGIT / "!#$&+-.^_`|~"; everything else as %XX. */
static const char *ext_value(req_t *r, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = arena_alloc(&r->arena, 3 * n + 1), *o = out;
    if (!out)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("!#$&+-.^_`|~", *p)) {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

bool xlsx_out_reply(req_t *r, xlsx_out *x, const char *ascii_name, const char *utf8_name)
{
    size_t len = 0;
    unsigned char *data = xlsx_out_finish(x, &len);
    const char *ext = data && utf8_name ? ext_value(r, utf8_name) : NULL;
    const char *cd = !data || !ascii_name || (utf8_name && !ext) ? NULL
                     : ext ? arena_printf(&r->arena, "attachment; filename=\"%s\"; filename*=UTF-8''%s", ascii_name, ext)
                           : arena_printf(&r->arena, "attachment; filename=\"%s\"", ascii_name);
    if (!cd) {
        free(data);
        reply_error(r, ERR_INTERNAL, "the workbook could not be written");
        return false;
    }
    reply_bytes(r, 200, XLSX_OUT_TYPE, data, len); /* a 500 itself if it cannot copy */
    free(data);
    if (r->status != 200)
        return false;
    reply_header(r, "Content-Disposition", cd);
    return true;
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
