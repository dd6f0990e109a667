/* The first worksheet of an .xlsx (Office Open XML) with libzip and expat.
 * The workbook is found through _rels/.rels, the first sheet through the
 * workbook's relationships; shared strings (rich text too, phonetic runs
 * left out), inline strings, numbers and date1904 are read. Refused: more
 * than XLSX_MAX_ENTRIES parts, a part over XLSX_MAX_PART uncompressed (as
 * declared, and again as inflated), more than XLSX_MAX_TOTAL in all, and any
 * DTD or entity declaration (no billion laughs, no external entities). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>
#include <zip.h>

#include "sheet.h"

typedef struct {
    zip_t *zip;
    size_t total; /* uncompressed bytes read so far */
    char *err;
    size_t errlen;
} xlsx_ctx;

static sheet_status fail(xlsx_ctx *x, sheet_status st, const char *msg)
{
    if (x->err && !x->err[0])
        snprintf(x->err, x->errlen, "%s", msg);
    return st;
}

/* Reads one part into a malloc'd, NUL-terminated buffer; NULL when missing
 * (*missing set) or refused (err set). */
static char *read_part(xlsx_ctx *x, const char *name, size_t *len, bool *missing)
{
    zip_stat_t st;
    *missing = false;
    zip_int64_t idx = zip_name_locate(x->zip, name, ZIP_FL_NOCASE);
    if (idx < 0 || zip_stat_index(x->zip, (zip_uint64_t)idx, 0, &st) != 0) {
        *missing = true;
        return NULL;
    }
    if ((st.valid & ZIP_STAT_SIZE) && st.size > XLSX_MAX_PART) {
        fail(x, SHEET_INVALID, "a part of the workbook is too large when uncompressed");
        return NULL;
    }
    zip_file_t *f = zip_fopen_index(x->zip, (zip_uint64_t)idx, 0);
    if (!f) {
        fail(x, SHEET_INVALID, "a part of the workbook cannot be read (damaged or encrypted)");
        return NULL;
    }
    size_t cap = (st.valid & ZIP_STAT_SIZE) && st.size < XLSX_MAX_PART ? (size_t)st.size + 1 : 65536, n = 0;
    char *buf = malloc(cap);
    bool bad = !buf;
    while (!bad) {
        if (n + 65536 > cap) {
            size_t ncap = cap * 2 > n + 65536 ? cap * 2 : n + 65536;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                bad = true;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        zip_int64_t got = zip_fread(f, buf + n, 65536);
        if (got < 0) {
            fail(x, SHEET_INVALID, "a part of the workbook is damaged");
            bad = true;
        } else if (got == 0) {
            break;
        } else {
            n += (size_t)got;
            x->total += (size_t)got;
            /* declared sizes can lie: the inflated bytes are what counts */
            if (n > XLSX_MAX_PART || x->total > XLSX_MAX_TOTAL) {
                fail(x, SHEET_INVALID, "the workbook is too large when uncompressed (a zip bomb?)");
                bad = true;
            }
        }
    }
    zip_fclose(f);
    if (bad) {
        free(buf);
        fail(x, SHEET_NOMEM, "out of memory");
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* ---------------------------------------------------------------- XML with expat */

typedef struct parse_state parse_state;
typedef void (*start_fn)(parse_state *p, const char *local, const char **attrs);
typedef void (*end_fn)(parse_state *p, const char *local);

struct parse_state {
    XML_Parser parser;
    bool refused;       /* a DTD or an entity */
    bool failed;        /* out of memory or over a cap */
    start_fn on_start;
    end_fn on_end;
    /* collected text of the element being read */
    char *text;
    size_t tlen, tcap;
    bool collecting;
    /* the callers' state */
    void *user;
};

static const char *local_name(const char *name)
{
    const char *c = strrchr(name, ':');
    return c ? c + 1 : name;
}

/* An attribute by local name; prefixed says whether it must carry a prefix
 * (r:id) or must not (sheetId, Id). */
static const char *attr(const char **attrs, const char *local, int prefixed)
{
    for (int i = 0; attrs[i]; i += 2) {
        const char *c = strrchr(attrs[i], ':');
        if (prefixed >= 0 && (c != NULL) != (prefixed == 1))
            continue;
        if (!strcmp(c ? c + 1 : attrs[i], local))
            return attrs[i + 1];
    }
    return NULL;
}

static void XMLCALL x_start(void *u, const XML_Char *name, const XML_Char **attrs)
{
    parse_state *p = u;
    if (p->on_start)
        p->on_start(p, local_name(name), attrs);
}

static void XMLCALL x_end(void *u, const XML_Char *name)
{
    parse_state *p = u;
    if (p->on_end)
        p->on_end(p, local_name(name));
}

static void XMLCALL x_text(void *u, const XML_Char *s, int len)
{
    parse_state *p = u;
    if (!p->collecting || len <= 0)
        return;
    if (p->tlen + (size_t)len >= SHEET_MAX_CELL)
        len = p->tlen + 1 >= SHEET_MAX_CELL ? 0 : (int)(SHEET_MAX_CELL - 1 - p->tlen);
    if (p->tlen + (size_t)len + 1 > p->tcap) {
        size_t ncap = p->tcap ? p->tcap * 2 : 256;
        while (ncap < p->tlen + (size_t)len + 1)
            ncap *= 2;
        char *nt = realloc(p->text, ncap);
        if (!nt) {
            p->failed = true;
            XML_StopParser(p->parser, XML_FALSE);
            return;
        }
        p->text = nt;
        p->tcap = ncap;
    }
    memcpy(p->text + p->tlen, s, (size_t)len);
    p->tlen += (size_t)len;
    p->text[p->tlen] = '\0';
}

static void XMLCALL x_doctype(void *u, const XML_Char *n, const XML_Char *s, const XML_Char *pub, int internal)
{
    (void)n, (void)s, (void)pub, (void)internal;
    parse_state *p = u;
    p->refused = true;
    XML_StopParser(p->parser, XML_FALSE);
}

static void XMLCALL x_entity(void *u, const XML_Char *name, int is_param, const XML_Char *value, int len,
                             const XML_Char *base, const XML_Char *sys, const XML_Char *pub, const XML_Char *notation)
{
    (void)name, (void)is_param, (void)value, (void)len, (void)base, (void)sys, (void)pub, (void)notation;
    parse_state *p = u;
    p->refused = true;
    XML_StopParser(p->parser, XML_FALSE);
}

static void text_reset(parse_state *p)
{
    p->tlen = 0;
    if (p->text)
        p->text[0] = '\0';
}

static const char *text_of(parse_state *p) { return p->text ? p->text : ""; }

static sheet_status parse_xml(xlsx_ctx *x, const char *xml, size_t len, parse_state *p)
{
    sheet_status st = SHEET_OK;
    p->parser = XML_ParserCreate("UTF-8");
    if (!p->parser)
        return fail(x, SHEET_NOMEM, "out of memory");
    XML_SetUserData(p->parser, p);
    XML_SetElementHandler(p->parser, x_start, x_end);
    XML_SetCharacterDataHandler(p->parser, x_text);
    XML_SetStartDoctypeDeclHandler(p->parser, x_doctype);
    XML_SetEntityDeclHandler(p->parser, x_entity);
    XML_SetParamEntityParsing(p->parser, XML_PARAM_ENTITY_PARSING_NEVER);
    /* in slices: an int length, and a stop takes effect between them */
    for (size_t off = 0; st == SHEET_OK;) {
        size_t n = len - off > (1u << 20) ? (1u << 20) : len - off;
        bool last = off + n == len;
        if (XML_Parse(p->parser, xml + off, (int)n, last) != XML_STATUS_OK) {
            if (p->refused)
                st = fail(x, SHEET_INVALID, "the workbook's XML declares a DTD or entities, which are refused");
            else if (p->failed)
                st = fail(x, SHEET_INVALID, "the worksheet is too large");
            else
                st = fail(x, SHEET_INVALID, "the workbook's XML is malformed");
        }
        off += n;
        if (last)
            break;
    }
    if (st == SHEET_OK && (p->refused || p->failed))
        st = fail(x, SHEET_INVALID, p->refused ? "the workbook's XML declares a DTD or entities, which are refused"
                                               : "the worksheet is too large");
    XML_ParserFree(p->parser);
    free(p->text);
    p->text = NULL;
    return st;
}

/* ---------------------------------------------------------------- relationships */

typedef struct {
    const char *want_type_suffix; /* "/officeDocument", "/sharedStrings" */
    const char *want_id;          /* or an Id */
    char target[512];
    bool found;
} rels_state;

static void rels_start(parse_state *p, const char *local, const char **attrs)
{
    rels_state *r = p->user;
    if (strcmp(local, "Relationship") || r->found)
        return;
    const char *type = attr(attrs, "Type", 0), *id = attr(attrs, "Id", 0), *target = attr(attrs, "Target", 0);
    if (!target)
        return;
    bool match = false;
    if (r->want_id)
        match = id && !strcmp(id, r->want_id);
    else if (type) {
        size_t tl = strlen(type), sl = strlen(r->want_type_suffix);
        match = tl >= sl && !strcmp(type + tl - sl, r->want_type_suffix);
    }
    if (match && strlen(target) < sizeof r->target) {
        snprintf(r->target, sizeof r->target, "%s", target);
        r->found = true;
    }
}

/* "xl/workbook.xml" + "worksheets/sheet1.xml" → "xl/worksheets/sheet1.xml";
 * an absolute target ("/xl/...") is from the package root; ".." steps up. */
static void resolve(const char *base_part, const char *target, char *out, size_t outlen)
{
    char buf[1024] = "";
    if (target[0] == '/') {
        snprintf(buf, sizeof buf, "%s", target + 1);
    } else {
        const char *slash = strrchr(base_part, '/');
        int dirlen = slash ? (int)(slash - base_part + 1) : 0;
        snprintf(buf, sizeof buf, "%.*s%s", dirlen, base_part, target);
    }
    /* collapse "dir/../" */
    char *parts[64];
    int np = 0;
    for (char *save = NULL, *t = strtok_r(buf, "/", &save); t && np < 64; t = strtok_r(NULL, "/", &save)) {
        if (!strcmp(t, ".."))
            np = np ? np - 1 : 0;
        else if (strcmp(t, "."))
            parts[np++] = t;
    }
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < np && o < outlen; i++)
        o += (size_t)snprintf(out + o, outlen - o, "%s%s", i ? "/" : "", parts[i]);
}

/* The rels part of a part: "xl/workbook.xml" → "xl/_rels/workbook.xml.rels". */
static void rels_name(const char *part, char *out, size_t outlen)
{
    const char *slash = strrchr(part, '/');
    int dirlen = slash ? (int)(slash - part + 1) : 0;
    snprintf(out, outlen, "%.*s_rels/%s.rels", dirlen, part, slash ? slash + 1 : part);
}

static sheet_status find_rel(xlsx_ctx *x, const char *rels_part, const char *type_suffix, const char *id,
                             const char *base_part, char *out, size_t outlen, bool required)
{
    size_t len;
    bool missing;
    char *xml = read_part(x, rels_part, &len, &missing);
    if (!xml) {
        if (missing && !required) {
            out[0] = '\0';
            return SHEET_OK;
        }
        return fail(x, SHEET_INVALID, "the file is not an xlsx workbook (its relationship parts are missing)");
    }
    rels_state r = {.want_type_suffix = type_suffix, .want_id = id};
    parse_state p = {.on_start = rels_start, .user = &r};
    sheet_status st = parse_xml(x, xml, len, &p);
    free(xml);
    if (st)
        return st;
    if (!r.found) {
        out[0] = '\0';
        return required ? fail(x, SHEET_INVALID, "the workbook has no worksheet") : SHEET_OK;
    }
    resolve(base_part, r.target, out, outlen);
    return SHEET_OK;
}

/* ---------------------------------------------------------------- workbook.xml */

typedef struct {
    char first_sheet_rid[256];
    bool date1904;
    bool have_sheet;
} workbook_state;

static void workbook_start(parse_state *p, const char *local, const char **attrs)
{
    workbook_state *w = p->user;
    if (!strcmp(local, "workbookPr")) {
        const char *d = attr(attrs, "date1904", -1);
        w->date1904 = d && (!strcmp(d, "1") || !strcmp(d, "true"));
    } else if (!strcmp(local, "sheet") && !w->have_sheet) {
        const char *rid = attr(attrs, "id", 1);
        if (rid && strlen(rid) < sizeof w->first_sheet_rid) {
            snprintf(w->first_sheet_rid, sizeof w->first_sheet_rid, "%s", rid);
            w->have_sheet = true;
        }
    }
}

/* ---------------------------------------------------------------- shared strings */

typedef struct {
    char **items;
    size_t n, cap;
    int depth_si, in_rph; /* inside <si>; inside a phonetic run <rPh> */
    bool in_t;
    char *acc;            /* the <si> so far */
    size_t alen;
} sst_state;

static void acc_add(parse_state *p, sst_state *s, const char *t, size_t n)
{
    if (s->alen + n >= SHEET_MAX_CELL)
        n = s->alen + 1 >= SHEET_MAX_CELL ? 0 : SHEET_MAX_CELL - 1 - s->alen;
    char *na = realloc(s->acc, s->alen + n + 1);
    if (!na) {
        p->failed = true;
        XML_StopParser(p->parser, XML_FALSE);
        return;
    }
    memcpy(na + s->alen, t, n);
    s->alen += n;
    na[s->alen] = '\0';
    s->acc = na;
}

static void sst_start(parse_state *p, const char *local, const char **attrs)
{
    (void)attrs;
    sst_state *s = p->user;
    if (!strcmp(local, "si")) {
        s->depth_si = 1;
        s->alen = 0;
        acc_add(p, s, "", 0);
    } else if (!strcmp(local, "rPh")) {
        s->in_rph++;
    } else if (!strcmp(local, "t") && s->depth_si && !s->in_rph) {
        text_reset(p);
        p->collecting = true;
    }
}

static void sst_end(parse_state *p, const char *local)
{
    sst_state *s = p->user;
    if (!strcmp(local, "t") && p->collecting) {
        p->collecting = false;
        acc_add(p, s, text_of(p), p->tlen);
    } else if (!strcmp(local, "rPh")) {
        s->in_rph--;
    } else if (!strcmp(local, "si") && s->depth_si) {
        s->depth_si = 0;
        if (s->n >= XLSX_MAX_STRINGS) {
            p->failed = true;
            XML_StopParser(p->parser, XML_FALSE);
            return;
        }
        if (s->n == s->cap) {
            size_t ncap = s->cap ? s->cap * 2 : 1024;
            char **ni = realloc(s->items, ncap * sizeof *ni);
            if (!ni) {
                p->failed = true;
                XML_StopParser(p->parser, XML_FALSE);
                return;
            }
            s->items = ni;
            s->cap = ncap;
        }
        s->items[s->n++] = s->acc ? s->acc : strdup("");
        s->acc = NULL;
        s->alen = 0;
    }
}

static void sst_free(sst_state *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->items[i]);
    free(s->items);
    free(s->acc);
}

/* ---------------------------------------------------------------- the worksheet */

typedef struct {
    sheet_t *sheet;
    const sst_state *sst;
    int row_no, col;        /* current row, column of the current cell */
    char type[16];          /* t= of the current cell */
    bool in_row, in_cell, in_is;
    bool have_value;
} ws_state;

/* "AB12" → column 27 (0-based), -1 when not a reference. */
static int col_of_ref(const char *ref)
{
    int c = 0, n = 0;
    for (; *ref >= 'A' && *ref <= 'Z' && n < 4; ref++, n++)
        c = c * 26 + (*ref - 'A' + 1);
    return n && n < 4 ? c - 1 : -1;
}

static void ws_start(parse_state *p, const char *local, const char **attrs)
{
    ws_state *w = p->user;
    if (!strcmp(local, "row")) {
        const char *r = attr(attrs, "r", 0);
        long n = r ? strtol(r, NULL, 10) : 0;
        w->row_no = n > 0 && n <= 1048576 ? (int)n : w->row_no + 1;
        w->col = -1;
        w->in_row = true;
        if (sheet_add_row(w->sheet, w->row_no)) {
            p->failed = true;
            XML_StopParser(p->parser, XML_FALSE);
        }
    } else if (!strcmp(local, "c") && w->in_row) {
        const char *r = attr(attrs, "r", 0), *t = attr(attrs, "t", 0);
        int c = r ? col_of_ref(r) : -1;
        w->col = c >= 0 ? c : w->col + 1;
        snprintf(w->type, sizeof w->type, "%s", t ? t : "n");
        w->in_cell = true;
        w->have_value = false;
        text_reset(p);
    } else if (w->in_cell && !strcmp(local, "v")) {
        text_reset(p);
        p->collecting = true;
    } else if (w->in_cell && !strcmp(local, "is")) {
        w->in_is = true;
        text_reset(p);
    } else if (w->in_is && !strcmp(local, "t")) {
        p->collecting = true; /* rich inline runs add up */
    }
}

static void ws_cell_done(parse_state *p, ws_state *w)
{
    const char *v = text_of(p);
    bool numeric = false;
    if (!strcmp(w->type, "s")) {
        char *end;
        long i = strtol(v, &end, 10);
        if (end == v || *end || i < 0 || (size_t)i >= w->sst->n)
            return; /* a dangling index: an empty cell */
        v = w->sst->items[i];
    } else if (!strcmp(w->type, "n")) {
        numeric = *v != '\0';
    } else if (!strcmp(w->type, "b")) {
        v = !strcmp(v, "1") ? "TRUE" : "FALSE";
    } else if (!strcmp(w->type, "e")) {
        v = "";
    } /* str, inlineStr: the text as is */
    if (w->col >= 0 && w->col < SHEET_MAX_COLS && *v && sheet_set_cell(w->sheet, w->col, v, strlen(v), numeric)) {
        p->failed = true;
        XML_StopParser(p->parser, XML_FALSE);
    }
}

static void ws_end(parse_state *p, const char *local)
{
    ws_state *w = p->user;
    if (!strcmp(local, "v") || (!strcmp(local, "t") && w->in_is)) {
        p->collecting = false;
        w->have_value = true;
    } else if (!strcmp(local, "is")) {
        w->in_is = false;
    } else if (!strcmp(local, "c") && w->in_cell) {
        w->in_cell = false;
        if (w->have_value)
            ws_cell_done(p, w);
    } else if (!strcmp(local, "row") && w->in_row) {
        w->in_row = false;
        sheet_t *s = w->sheet;
        /* a row without values (Excel writes styled empty rows far below the
         * data) is not kept, so it counts toward no limit */
        if (s->nrows && !s->rows[s->nrows - 1].ncells) {
            free(s->rows[--s->nrows].cells);
        } else if (s->nrows > SHEET_MAX_ROWS) {
            s->truncated = true;
            XML_StopParser(p->parser, XML_FALSE);
        }
    }
}

/* ---------------------------------------------------------------- the whole */

/* The zip container, within XLSX_MAX_ENTRIES parts. */
static sheet_status open_zip(xlsx_ctx *x, const void *data, size_t n)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(data, n, 0, &ze);
    if (!src)
        return fail(x, SHEET_NOMEM, "out of memory");
    x->zip = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
    if (!x->zip) {
        zip_source_free(src);
        return fail(x, SHEET_INVALID, "the file is not a readable xlsx (zip) workbook");
    }
    if (zip_get_num_entries(x->zip, 0) > XLSX_MAX_ENTRIES)
        return fail(x, SHEET_INVALID, "the workbook has too many parts");
    return SHEET_OK;
}

/* Part `part` read and parsed with ps; unreadable says why when it cannot be read. */
static sheet_status parse_part(xlsx_ctx *x, const char *part, const char *unreadable, parse_state *ps)
{
    size_t len;
    bool missing;
    char *xml = read_part(x, part, &len, &missing);
    if (!xml)
        return fail(x, SHEET_INVALID, unreadable);
    sheet_status st = parse_xml(x, xml, len, ps);
    free(xml);
    return st;
}

/* From the package's relationships and the workbook part: the first
 * worksheet's part, the shared strings' part ("" when none) and date1904. */
static sheet_status find_parts(xlsx_ctx *x, sheet_t *out, char *sheet_part, size_t sheet_len, char *sst_part,
                               size_t sst_len)
{
    char workbook[512], rels[600];
    workbook_state wb = {0};
    parse_state pw = {.on_start = workbook_start, .user = &wb};
    sheet_status st;
    if ((st = find_rel(x, "_rels/.rels", "/officeDocument", NULL, "", workbook, sizeof workbook, true)) ||
        (st = parse_part(x, workbook, "the xlsx has no workbook part", &pw)))
        return st;
    if (!wb.have_sheet)
        return fail(x, SHEET_INVALID, "the workbook has no worksheet");
    out->date1904 = wb.date1904;
    rels_name(workbook, rels, sizeof rels);
    if ((st = find_rel(x, rels, NULL, wb.first_sheet_rid, workbook, sheet_part, sheet_len, true)))
        return st;
    return find_rel(x, rels, "/sharedStrings", NULL, workbook, sst_part, sst_len, false);
}

sheet_status sheet_read_xlsx(const void *data, size_t n, sheet_t *out, char *err, size_t errlen)
{
    xlsx_ctx x = {.err = err, .errlen = errlen};
    char sheet_part[512], sst_part[512] = "";
    sst_state sst = {0};
    ws_state ws = {.sheet = out, .sst = &sst};
    parse_state ps = {.on_start = sst_start, .on_end = sst_end, .user = &sst};
    parse_state pws = {.on_start = ws_start, .on_end = ws_end, .user = &ws};
    memset(out, 0, sizeof *out);
    if (err && errlen)
        err[0] = '\0';
    sheet_status st = open_zip(&x, data, n);
    if (!st)
        st = find_parts(&x, out, sheet_part, sizeof sheet_part, sst_part, sizeof sst_part);
    if (!st && sst_part[0])
        st = parse_part(&x, sst_part, "the workbook's shared strings cannot be read", &ps);
    if (!st)
        st = parse_part(&x, sheet_part, "the workbook's first worksheet cannot be read", &pws);
    if (st && out->truncated) { /* stopped on purpose at the row cap */
        st = SHEET_OK;
        if (err)
            err[0] = '\0';
    }
    sst_free(&sst);
    if (x.zip)
        zip_discard(x.zip);
    return st;
}
