/* A .csv with libcsv: UTF-8 (with or without a BOM) or, when the bytes are
 * not UTF-8, GB18030 (which covers GBK and GB2312, as Excel and WPS save
 * Chinese CSV), converted with iconv. Anything iconv cannot decode either is
 * refused. Row numbers are those a spreadsheet shows: records from 1, blank
 * lines included (CSV_REPALL_NL reports them; the LF of a CRLF is not one). */
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "sheet.h"

/* Strict UTF-8: no overlongs, no surrogates, nothing past U+10FFFF. */
static bool valid_utf8(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t len;
        unsigned lo = 0x80, hi = 0xBF;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0)
                lo = 0xA0;
            if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0)
                lo = 0x90;
            if (c == 0xF4)
                hi = 0x8F;
        } else {
            return false;
        }
        if (i + len > n || s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t k = 2; k < len; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF)
                return false;
        i += len;
    }
    return true;
}

/* GB18030 → UTF-8 into a malloc'd buffer; NULL when undecodable. */
static char *from_gb18030(const char *in, size_t n, size_t *outn)
{
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    if (cd == (iconv_t)-1)
        return NULL;
    size_t cap = n * 2 + 16; /* a 2-byte GB character is 3 bytes of UTF-8; 4-byte ones are 4 */
    char *out = malloc(cap), *op = out, *ip = (char *)in;
    size_t il = n, ol = cap;
    bool ok = out && iconv(cd, &ip, &il, &op, &ol) != (size_t)-1 && il == 0;
    iconv_close(cd);
    if (!ok) {
        free(out);
        return NULL;
    }
    *outn = (size_t)(op - out);
    return out;
}

typedef struct {
    sheet_t *s;
    int col;
    int line;      /* records (rows) seen so far, blank ones included */
    int prev_term; /* what ended the last record */
    bool failed;
    bool row_open;
} csv_state;

static void on_field(void *data, size_t len, void *u)
{
    csv_state *c = u;
    if (c->failed || c->s->truncated)
        return;
    if (!c->row_open) {
        if (c->s->nrows > SHEET_MAX_ROWS) {
            c->s->truncated = true;
            return;
        }
        if (sheet_add_row(c->s, c->line + 1)) {
            c->failed = true;
            return;
        }
        c->row_open = true;
        c->col = 0;
    }
    if (len && sheet_set_cell(c->s, c->col, data, len, false))
        c->failed = true;
    c->col++;
}

static void on_row(int term, void *u)
{
    csv_state *c = u;
    if (!c->row_open && term == '\n' && c->prev_term == '\r') {
        c->prev_term = 0; /* the LF of a CRLF */
        return;
    }
    c->line++; /* a record, or a blank line (no row kept: it is blank) */
    sheet_t *s = c->s;
    if (c->row_open && s->nrows && !s->rows[s->nrows - 1].ncells) /* only empty fields: ",,," */
        free(s->rows[--s->nrows].cells);
    c->row_open = false;
    c->prev_term = term;
}

sheet_status sheet_read_csv(const void *data, size_t n, sheet_t *out, char *err, size_t errlen)
{
    const unsigned char *p = data;
    char *converted = NULL;
    struct csv_parser parser;
    csv_state st = {.s = out};
    memset(out, 0, sizeof *out);
    if (err && errlen)
        err[0] = '\0';
    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
        p += 3;
        n -= 3;
        if (!valid_utf8(p, n)) {
            snprintf(err, errlen, "the CSV starts with a UTF-8 BOM but is not UTF-8");
            return SHEET_INVALID;
        }
    } else if (!valid_utf8(p, n)) {
        size_t cn;
        if (!(converted = from_gb18030((const char *)p, n, &cn))) {
            snprintf(err, errlen, "the CSV is neither UTF-8 nor GB18030/GBK text");
            return SHEET_INVALID;
        }
        p = (const unsigned char *)converted;
        n = cn;
    }
    if (memchr(p, '\0', n)) {
        free(converted);
        snprintf(err, errlen, "the CSV contains NUL bytes: not a text file");
        return SHEET_INVALID;
    }
    if (csv_init(&parser, CSV_APPEND_NULL | CSV_REPALL_NL) != 0) {
        free(converted);
        snprintf(err, errlen, "out of memory");
        return SHEET_NOMEM;
    }
    csv_set_blk_size(&parser, 4096);
    size_t done = csv_parse(&parser, p, n, on_field, on_row, &st);
    if (done == n)
        csv_fini(&parser, on_field, on_row, &st);
    sheet_status rc = SHEET_OK;
    if (st.failed || done != n) {
        snprintf(err, errlen, "%s", st.failed ? "out of memory" : "the CSV cannot be parsed");
        rc = st.failed ? SHEET_NOMEM : SHEET_INVALID;
    }
    csv_free(&parser);
    free(converted);
    return rc;
}
