/* The imports API: upload (POST /imports), reading an import, its rows and
 * its error workbook, and the commit. The work itself is done by the
 * worker threads (jobs.c). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "import.h"
#include "log.h"
#include "org_rules.h"
#include "xlsx_out.h"

static const code_entry kind_entries[] = {{"volunteers", "科技志愿者"}, {"orgs", "科技志愿服务组织"}};
static const code_table IMPORT_KINDS = {"import_kind", kind_entries, 2};
static const code_entry outcome_entries[] = {
    {"new", "新增"}, {"link", "关联"}, {"unchanged", "无变化"}, {"invalid", "有错误"}};
static const code_table IMPORT_OUTCOMES = {"import_outcome", outcome_entries, 4};

static json_t *import_json(const PGresult *res, int row)
{
    json_t *org = db_isnull(res, row, "org_id")
                      ? json_null()
                      : json_pack("{s:I, s:s}", "id", (json_int_t)db_int(res, row, "org_id"), "name",
                                  db_str(res, row, "org_name"));
    json_t *parent = db_isnull(res, row, "parent_id")
                         ? json_null()
                         : json_pack("{s:I, s:s}", "id", (json_int_t)db_int(res, row, "parent_id"), "name",
                                     db_str(res, row, "parent_name"));
    return json_pack("{s:I, s:s, s:o, s:o, s:s?, s:s?, s:s, s:s, s:i, s:i, s:{s:i, s:i, s:i, s:i}, s:i,"
                     " s:{s:I}, s:s, s:s?, s:s?, s:s?}",
                     "id", (json_int_t)db_int(res, row, "id"), "kind", db_str(res, row, "kind"), "org", org,
                     "parent", parent, "level", db_str(res, row, "level"), "file_name",
                     db_str(res, row, "file_name"), "sha256", db_str(res, row, "sha256"), "status",
                     db_str(res, row, "status"), "rows_total", (int)db_int(res, row, "rows_total"), "rows_done",
                     (int)db_int(res, row, "rows_done"), "counts", "new", (int)db_int(res, row, "n_new"), "link",
                     (int)db_int(res, row, "n_link"), "unchanged", (int)db_int(res, row, "n_unchanged"),
                     "invalid", (int)db_int(res, row, "n_invalid"), "warnings",
                     (int)db_int(res, row, "n_warnings"), "created_by", "user_id",
                     (json_int_t)db_int(res, row, "created_by"), "created_at", db_str(res, row, "created_at"),
                     "validated_at", db_str(res, row, "validated_at"), "committed_at",
                     db_str(res, row, "committed_at"), "error", db_str(res, row, "error"));
}

static json_t *import_row(req_t *r, const PGresult *res, int row)
{
    (void)r;
    return import_json(res, row);
}

/* The import {id} if the caller may see it, else 404 (already answered). */
static PGresult *import_or_reply(req_t *r, long long id)
{
    PGresult *res = db_query_or_reply(r, SQL_IMPORT_GET, 2, (const char *[]){id_str(r, id), id_str(r, r->user_id)});
    if (!res)
        return NULL;
    if (PQntuples(res) != 1 || !db_bool(res, 0, "visible")) {
        PQclear(res);
        reply_error(r, ERR_NOT_FOUND, "no such import");
        return NULL;
    }
    return res;
}

static void reply_import(req_t *r, int status, long long id)
{
    PGresult *res = import_or_reply(r, id);
    if (!res)
        return;
    reply_json(r, status, import_json(res, 0));
    PQclear(res);
    reply_header(r, "Location", arena_printf(&r->arena, "/api/v1/imports/%lld", id));
}

static bool is_type(const char *ct, const char *want)
{
    size_t n = strlen(want);
    if (!ct || strncasecmp(ct, want, n))
        return false;
    while (ct[n] == ' ')
        n++;
    return ct[n] == '\0' || ct[n] == ';';
}

/* May the caller import volunteers into org_id (or orgs under it)? 404
 * when it may not see the org or has no right on it, 409 when the org is not
 * approved. level (orgs under it): 422 unless it ranks below the org's. */
static bool target_org_or_reply(req_t *r, long long org_id, const char *level)
{
    PGresult *res = db_query_or_reply(r, SQL_ORG_RIGHTS, 2, (const char *[]){id_str(r, org_id), id_str(r, r->user_id)});
    if (!res)
        return false;
    bool found = PQntuples(res) == 1, may = found && (db_bool(res, 0, "own_admin") || db_bool(res, 0, "ancestor_admin") ||
                                                    db_bool(res, 0, "platform_admin"));
    bool approved = found && !strcmp(db_str(res, 0, "status"), "approved");
    bool level_ok = !level || (found && org_level_under(level, db_str(res, 0, "level")));
    PQclear(res);
    if (!may) {
        reply_error(r, ERR_NOT_FOUND, "no such organization");
        return false;
    }
    if (!approved) {
        reply_error(r, ERR_ORG_NOT_APPROVED, "only an approved organization takes imported members or teams");
        return false;
    }
    if (!level_ok) {
        field_error(r, "level", ORG_WRONG_LEVEL, "must rank below the parent's level");
        fields_failed_reply(r);
        return false;
    }
    return true;
}

/* Orgs without a parent are imported by platform admins only: 403. */
static bool platform_admin_or_reply(req_t *r)
{
    PGresult *res = db_query_or_reply(r, SQL_IS_PLATFORM_ADMIN, 1, (const char *[]){id_str(r, r->user_id)});
    if (!res)
        return false;
    bool is = db_bool(res, 0, "platform_admin");
    PQclear(res);
    if (!is)
        reply_error(r, ERR_FORBIDDEN, "only platform admins import organizations without a parent_id");
    return is;
}

/* POST /imports' query: org_id and parent_id are ids as scan_id() reads them
 * (F_ID), so a malformed or zero id is a 422 naming it, as everywhere. */
typedef struct {
    const char *kind, *file_name, *level;
    opt_int org_id, parent_id;
} create_query;
static const field_spec create_query_fields[] = {
    QUERY_FIELD(create_query, kind, F_STRING, 0, NULL, &IMPORT_KINDS),
    QUERY_FIELD(create_query, org_id, F_ID, 0, NULL, NULL),
    QUERY_FIELD(create_query, parent_id, F_ID, 0, NULL, NULL),
    QUERY_FIELD(create_query, file_name, F_STRING, 200, NULL, NULL),
    QUERY_FIELD(create_query, level, F_STRING, 0, NULL, &CODES_ORG_LEVEL),
};

/* POST /imports' query checked: kind, and org_id (volunteers) or level
 * (orgs) required. False after replying 422. */
static bool create_query_or_reply(req_t *r, create_query *q)
{
    query_fields(r, create_query_fields, sizeof create_query_fields / sizeof *create_query_fields, q, NULL);
    if (!query_get(r, "kind"))
        field_error(r, "kind", "required", "kind is volunteers or orgs");
    bool orgs = q->kind && !strcmp(q->kind, "orgs");
    if (q->kind && !orgs && !query_get(r, "org_id"))
        field_error(r, "org_id", "required", "the org the volunteers join");
    if (orgs && !query_get(r, "level"))
        field_error(r, "level", "required", "the level of the imported organizations");
    return !fields_failed_reply(r);
}

/* The upload's type (xlsx or csv) into *content_type; false after 415. */
static bool upload_type_or_reply(req_t *r, const char **content_type)
{
    *content_type = is_type(r->content_type, XLSX_TYPE) ? XLSX_TYPE
                    : is_type(r->content_type, "text/csv") ? "text/csv"
                                                           : NULL;
    if (!*content_type)
        reply_error(r, ERR_UNSUPPORTED_MEDIA_TYPE, "send the file as " XLSX_TYPE " or text/csv");
    return *content_type != NULL;
}

/* May the caller import here: volunteers into org_id; orgs under
 * parent_id, or without one (platform admins)? False after replying. */
static bool import_right_or_reply(req_t *r, const create_query *q, bool orgs)
{
    if (!orgs)
        return target_org_or_reply(r, q->org_id.v, NULL);
    return q->parent_id.set ? target_org_or_reply(r, q->parent_id.v, q->level) : platform_admin_or_reply(r);
}

/* The upload read as a roster (the worker reads it again): its data rows
 * into *data_rows. False after replying 422 invalid_file / too_many_rows (or 500). */
static bool roster_or_reply(req_t *r, const char *content_type, bool orgs, int *data_rows)
{
    if (!r->body_len) {
        reply_error(r, ERR_INVALID_FILE, "the file is empty");
        return false;
    }
    sheet_t s;
    header_map h;
    char err[256];
    int rc = roster_open(content_type, r->body, r->body_len, orgs ? KIND_ORGS : KIND_VOLUNTEERS, &s, &h, data_rows,
                         err, sizeof err);
    sheet_free(&s);
    if (rc == -2)
        reply_error(r, ERR_INTERNAL, NULL);
    else if (rc)
        reply_error(r, rc == -3 ? ERR_TOO_MANY_ROWS : ERR_INVALID_FILE, arena_printf(&r->arena, "%s", err));
    return rc == 0;
}

/* An upload's identity: what it targets and its SHA-256. */
typedef struct {
    const char *kind, *target;
    char sha[65];
} upload_key;

/* The target: the org joined; or the parent and level (a parentless import
 * is the importer's own). */
static void upload_key_of(req_t *r, const create_query *q, bool orgs, upload_key *k)
{
    unsigned char digest[32];
    crypto_sha256(r->body, r->body_len, digest);
    hex_encode(digest, 32, k->sha);
    k->kind = q->kind;
    k->target = !orgs              ? arena_printf(&r->arena, "org:%lld", q->org_id.v)
                : q->parent_id.set ? arena_printf(&r->arena, "parent:%lld:%s", q->parent_id.v, q->level)
                                   : arena_printf(&r->arena, "root:%lld:%s", r->user_id, q->level);
}

/* The open import of the same file for the same target: its id into *id (0:
 * none). False after replying (the database failed). */
static bool open_import_or_reply(req_t *r, const upload_key *k, long long *id)
{
    PGresult *res = db_query_or_reply(r, SQL_IMPORT_OPEN, 3, (const char *[]){k->kind, k->target, k->sha});
    if (!res)
        return false;
    *id = PQntuples(res) ? db_int(res, 0, "id") : 0;
    PQclear(res);
    return true;
}

/* The upload sealed under the import's key, as hex in the arena; NULL after replying 500. */
static const char *sealed_upload_or_reply(req_t *r)
{
    size_t n = r->body_len + GCM_OVERHEAD;
    unsigned char *sealed = arena_alloc(&r->arena, n);
    char *hex = arena_alloc(&r->arena, 2 * n + 1);
    bool ok = sealed && hex && !crypto_seal(import_key, r->body, r->body_len, "import.files", sealed);
    if (ok)
        hex_encode(sealed, n, hex);
    if (!ok)
        reply_error(r, ERR_INTERNAL, NULL);
    return ok ? hex : NULL;
}

/* The import, its sealed file and its validation job: its id into *id (0:
 * a concurrent upload of the same file won the race). False after replying. */
static bool import_insert_or_reply(req_t *r, const create_query *q, bool orgs, const char *content_type,
                                   const upload_key *k, int data_rows, long long *id)
{
    const char *sealed = sealed_upload_or_reply(r);
    if (!sealed)
        return false;
    const char *params[11] = {k->kind, orgs ? NULL : id_str(r, q->org_id.v),
                              orgs && q->parent_id.set ? id_str(r, q->parent_id.v) : NULL, orgs ? q->level : NULL,
                              k->target, q->file_name, content_type, k->sha, id_str(r, data_rows),
                              id_str(r, r->user_id), sealed};
    PGresult *res = db_query_or_reply(r, SQL_IMPORT_INSERT, 11, params);
    if (!res)
        return false;
    *id = PQntuples(res) ? db_int(res, 0, "id") : 0;
    PQclear(res);
    return true;
}

/* POST /imports?kind=volunteers&org_id=&file_name=: 202 with Location and
 * the import (validating); 200 with the earlier import of the same file for
 * the same target while it is not committed; 401; 404 (an org the caller
 * may not import into); 409 org_not_approved; 413 over 10 MiB; 415 neither
 * xlsx nor csv; 422 invalid_file, too_many_rows, validation_failed. */
void h_import_create(req_t *r)
{
    create_query q = {0};
    const char *content_type;
    int data_rows;
    upload_key k;
    long long id;
    if (!create_query_or_reply(r, &q) || !upload_type_or_reply(r, &content_type))
        return;
    bool orgs = !strcmp(q.kind, "orgs");
    if (!import_right_or_reply(r, &q, orgs) || !roster_or_reply(r, content_type, orgs, &data_rows))
        return;
    upload_key_of(r, &q, orgs, &k);
    if (!open_import_or_reply(r, &k, &id))
        return;
    if (id) {
        reply_import(r, 200, id);
        return;
    }
    if (!import_insert_or_reply(r, &q, orgs, content_type, &k, data_rows, &id))
        return;
    if (!id) { /* a concurrent upload of the same file won the race */
        if (!open_import_or_reply(r, &k, &id))
            return;
        if (id)
            reply_import(r, 200, id);
        else
            reply_error(r, ERR_CONFLICT, "the same file was just imported; try again");
        return;
    }
    log_msg("info", r->request_id, "import %lld: %d data rows queued", id, data_rows);
    reply_import(r, 202, id);
}

/* GET /imports/{id}: 200; 401; 404 for anyone but its uploader and those
 * who could have uploaded it. */
void h_import_get(req_t *r)
{
    PGresult *res = import_or_reply(r, r->path_ids[0]);
    if (!res)
        return;
    reply_json(r, 200, import_json(res, 0));
    PQclear(res);
}

typedef struct {
    const char *kind;
} kind_query;
static const field_spec kind_query_fields[] = {QUERY_FIELD(kind_query, kind, F_STRING, 0, NULL, &IMPORT_KINDS)};

/* GET /imports?kind=&page=&page_size=: 200 paged, newest first; 401; 422. */
void h_import_list(req_t *r)
{
    kind_query q = {0};
    paging_t pg;
    if (!query_parse_or_reply(r, kind_query_fields, sizeof kind_query_fields / sizeof *kind_query_fields, &q, &pg))
        return;
    const char *params[4] = {id_str(r, r->user_id), q.kind};
    reply_page(r, SQL_IMPORT_COUNT, SQL_IMPORT_PAGE, 2, params, &pg, import_row);
}

static json_t *json_col(const PGresult *res, int row, const char *col)
{
    const char *t = db_str(res, row, col);
    json_t *v = t ? json_loads(t, 0, NULL) : NULL;
    return v ? v : json_array();
}

static json_t *row_row(req_t *r, const PGresult *res, int row)
{
    (void)r;
    return json_pack("{s:i, s:s, s:s, s:o, s:o}", "row", (int)db_int(res, row, "row_no"), "outcome",
                     db_str(res, row, "outcome"), "name", db_str(res, row, "name_masked"), "errors",
                     json_col(res, row, "errors"), "warnings", json_col(res, row, "warnings"));
}

typedef struct {
    const char *outcome;
} outcome_query;
static const field_spec outcome_query_fields[] = {
    QUERY_FIELD(outcome_query, outcome, F_STRING, 0, NULL, &IMPORT_OUTCOMES)};

/* GET /imports/{id}/rows?outcome=&page=: 200 paged rows in sheet order; 401; 404; 422. */
void h_import_rows(req_t *r)
{
    outcome_query q = {0};
    paging_t pg;
    if (!query_parse_or_reply(r, outcome_query_fields, sizeof outcome_query_fields / sizeof *outcome_query_fields, &q,
                              &pg))
        return;
    PGresult *res = import_or_reply(r, r->path_ids[0]);
    if (!res)
        return;
    PQclear(res);
    const char *params[4] = {id_str(r, r->path_ids[0]), q.outcome};
    reply_page(r, SQL_ROWS_COUNT, SQL_ROWS_PAGE, 2, params, &pg, row_row);
}

/* POST /imports/{id}/commit: 202 with the import, now committing; 401;
 * 404; 409 already_committed (committing or committed), not_validated
 * (still validating, or failed). */
void h_import_commit(req_t *r)
{
    long long id = r->path_ids[0];
    PGresult *res = import_or_reply(r, id);
    if (!res)
        return;
    char status[16];
    snprintf(status, sizeof status, "%s", db_str(res, 0, "status"));
    PQclear(res);
    if (!strcmp(status, "committing") || !strcmp(status, "committed")) {
        reply_error(r, ERR_ALREADY_COMMITTED, "this import has been committed already");
        return;
    }
    if (strcmp(status, "validated")) {
        reply_error(r, ERR_NOT_VALIDATED, !strcmp(status, "failed") ? "this import failed: upload the file again"
                                                                   : "validation has not finished yet");
        return;
    }
    res = db_query_or_reply(r, SQL_COMMIT_START, 1, (const char *[]){id_str(r, id)});
    if (!res)
        return;
    bool started = PQntuples(res) == 1;
    PQclear(res);
    if (!started) { /* a concurrent commit came first */
        reply_error(r, ERR_ALREADY_COMMITTED, "this import has been committed already");
        return;
    }
    reply_import(r, 202, id);
}

/* The error workbook's columns: the template's, 错误说明 last. */
typedef struct {
    const column_def *defs;
    int ncols, text1, text2; /* the phone and ID columns: Text format */
} error_sheet;

static int error_sheet_headers(xlsx_out *x, lxw_worksheet *ws, const error_sheet *e)
{
    int bad = 0;
    for (int d = 0; !bad && d < e->ncols; d++) {
        bad |= xlsx_out_string(x, ws, 0, d, e->defs[d].label, xlsx_out_header_format(x)) != 0;
        if (d == e->text1 || d == e->text2)
            bad |= worksheet_set_column(ws, (lxw_col_t)d, (lxw_col_t)d, 20, xlsx_out_text_format(x)) != LXW_NO_ERROR;
    }
    return bad || xlsx_out_string(x, ws, 0, e->ncols, "错误说明", xlsx_out_header_format(x)) ? -1 : 0;
}

/* A row's cells as uploaded (sealed in import.rows), or NULL; the caller decrefs. */
static json_t *unsealed_cells(req_t *r, const char *hex)
{
    size_t hl = hex ? strlen(hex) : 0;
    unsigned char *sealed = hl >= 2 * GCM_OVERHEAD ? arena_alloc(&r->arena, hl / 2) : NULL;
    unsigned char *plain = sealed ? arena_alloc(&r->arena, hl / 2 + 1) : NULL;
    long pn = plain && !hex_decode(hex, sealed, hl / 2)
                  ? crypto_open(import_key, sealed, hl / 2, "import.rows.cells", plain)
                  : -1;
    json_t *cells = pn >= 0 ? json_loadb((const char *)plain, (size_t)pn, 0, NULL) : NULL;
    if (pn > 0)
        explicit_bzero(plain, (size_t)pn);
    return cells;
}

/* 错误说明: "身份证号：…；手机号：…" from the row's errors; NULL out of memory. */
static const char *error_text(req_t *r, const char *errors_json)
{
    json_t *errors = req_own(r, json_loads(errors_json ? errors_json : "[]", 0, NULL));
    const char *text = arena_printf(&r->arena, "%s", "");
    size_t k;
    json_t *e;
    json_array_foreach(errors, k, e) {
        if (!text)
            break;
        text = arena_printf(&r->arena, "%s%s%s：%s", text, k ? "；" : "", json_string_value(json_object_get(e, "header")),
                            json_string_value(json_object_get(e, "message")));
    }
    return text;
}

/* Invalid row i of res (SQL_ERROR_ROWS) as sheet row i + 1. 0, or -1. */
static int error_row(req_t *r, xlsx_out *x, lxw_worksheet *ws, const error_sheet *e, const PGresult *res, int i)
{
    json_t *cells = unsealed_cells(r, db_str(res, i, "cells"));
    int bad = 0;
    for (size_t d = 0; d < json_array_size(cells) && !bad; d++)
        bad |= xlsx_out_string(x, ws, i + 1, (int)d, json_string_value(json_array_get(cells, d)),
                               (int)d == e->text1 || (int)d == e->text2 ? xlsx_out_text_format(x) : NULL) != 0;
    json_decref(cells);
    const char *text = error_text(r, db_str(res, i, "errors"));
    return bad || !text || xlsx_out_string(x, ws, i + 1, e->ncols, text, NULL) ? -1 : 0;
}

/* GET /imports/{id}/errors.xlsx: 200 the invalid rows as uploaded under the
 * template's headers, with 错误说明 last; 401; 404; 409 not_validated. */
void h_import_errors_xlsx(req_t *r)
{
    long long id = r->path_ids[0];
    PGresult *res = import_or_reply(r, id);
    if (!res)
        return;
    bool validating = !strcmp(db_str(res, 0, "status"), "validating");
    bool orgs = !strcmp(db_str(res, 0, "kind"), "orgs");
    PQclear(res);
    if (validating) {
        reply_error(r, ERR_NOT_VALIDATED, "validation has not finished yet");
        return;
    }
    error_sheet e = orgs ? (error_sheet){ORG_COLUMNS_DEF, O__MAX, O_ADMIN_PHONE, O_LEADER_PHONE}
                         : (error_sheet){VOLUNTEER_COLUMNS_DEF, V__MAX, V_PHONE, V_ID};
    if (!(res = db_query_or_reply(r, SQL_ERROR_ROWS, 1, (const char *[]){id_str(r, id)})))
        return;
    xlsx_out *x = xlsx_out_new();
    lxw_worksheet *ws = x ? workbook_add_worksheet(xlsx_out_workbook(x), "错误行") : NULL;
    bool bad = !ws || error_sheet_headers(x, ws, &e);
    for (int i = 0; !bad && i < PQntuples(res); i++)
        bad = error_row(r, x, ws, &e, res, i) != 0;
    PQclear(res);
    if (bad) {
        xlsx_out_discard(x);
        reply_error(r, ERR_INTERNAL, NULL);
        return;
    }
    xlsx_out_reply(r, x, arena_printf(&r->arena, "import-%lld-errors.xlsx", id), NULL);
}
