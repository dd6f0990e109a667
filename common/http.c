#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

void reply_json(req_t *r, int status, json_t *body)
{
    json_decref(r->resp);
    r->resp = body;
    r->status = status;
    r->content_type_out = "application/json";
    r->replied = true;
}

void reply_empty(req_t *r, int status)
{
    json_decref(r->resp);
    r->resp = NULL;
    r->status = status;
    r->replied = true;
}

void reply_json_out(req_t *r, int status, const json_out *body)
{
    size_t len;
    const char *text = json_out_text(body, &len);
    if (!text) {
        reply_error(r, ERR_INTERNAL, NULL);
        return;
    }
    reply_bytes(r, status, "application/json; charset=utf-8", text, len);
}

void reply_row_out(req_t *r, int status, const PGresult *res, int row, row_write_fn write)
{
    json_out o;
    json_out_init(&o);
    write(&o, res, row);
    reply_json_out(r, status, &o);
    json_out_free(&o);
}

void reply_bytes(req_t *r, int status, const char *content_type, const void *data, size_t n)
{
    char *copy = arena_alloc(&r->arena, n ? n : 1);
    if (!copy) {
        reply_error(r, ERR_INTERNAL, NULL);
        return;
    }
    memcpy(copy, data, n);
    reply_empty(r, status);
    r->resp_bytes = copy;
    r->resp_bytes_len = n;
    r->content_type_out = content_type;
}

void reply_header(req_t *r, const char *name, const char *value)
{
    if (r->nheaders == MAX_EXTRA_HEADERS) {
        log_msg("error", r->request_id, "too many response headers; dropped %s", name);
        return;
    }
    r->headers[r->nheaders++] = (kv_t){name, arena_strndup(&r->arena, value, strlen(value))};
}

static void reply_problem(req_t *r, err_code e, const char *detail, json_t *errors)
{
    const err_info *info = err_lookup(e);
    json_t *p = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", "about:blank", "title", info->title, "status",
                          info->status, "code", info->code, "detail", detail ? detail : info->title);
    if (p && errors)
        json_object_set(p, "errors", errors);
    reply_json(r, info->status, p);
    r->content_type_out = "application/problem+json";
    if (info->status == 401)
        reply_header(r, "WWW-Authenticate", "Bearer");
}

void reply_error(req_t *r, err_code e, const char *detail) { reply_problem(r, e, detail, NULL); }

const db_refusal *db_refusal_find(const db_refusal *list, db_status status, const char *constraint)
{
    for (const db_refusal *f = list; f && f->status != DB_OK; f++)
        if (f->status == status && (!f->constraint || (constraint && !strcmp(f->constraint, constraint))))
            return f;
    return NULL;
}

/* The refusal the failing statement's row declares for this answer, or NULL. */
static const db_refusal *expected_refusal(const db_t *db)
{
    const db_stmt *st = db_statement(db, db->failed_stmt); /* the service's or a common one */
    return st ? db_refusal_find(st->refusals, db->last, db->constraint) : NULL;
}

void reply_db_error(req_t *r)
{
    const db_refusal *f = expected_refusal(r->db);
    if (f && f->field) {
        field_error(r, f->field, err_lookup(f->error)->code, f->detail);
        fields_failed_reply(r);
    } else if (f) {
        reply_error(r, f->error, f->detail);
    } else if (r->db->last == DB_UNAVAILABLE) {
        reply_header(r, "Retry-After", "5");
        reply_error(r, ERR_UNAVAILABLE, "the database is unavailable; try again shortly");
    } else if (r->db->last == DB_READ_ONLY) {
        /* a standby (a read pool, or a failover under way): nothing was
         * written, and the primary takes it again shortly */
        reply_header(r, "Retry-After", "5");
        reply_error(r, ERR_UNAVAILABLE, "the database takes no writes right now; try again shortly");
    } else if (r->db->last == DB_CHECK) {
        /* A rule of the data the handler should have checked first: still the
         * request's fault, and nothing was written. */
        log_msg("error", r->request_id, "constraint %s refused a request the handler let through", r->db->constraint);
        field_error(r, "body", "constraint", "the request breaks a rule of the data");
        fields_failed_reply(r);
    } else {
        reply_error(r, ERR_INTERNAL, NULL);
    }
}

PGresult *db_query_or_reply(req_t *r, int stmt, int nparams, const char *const *params)
{
    PGresult *res = db_exec(r->db, stmt, nparams, params);
    if (!res)
        reply_db_error(r);
    return res;
}

PGresult *db_row_or_reply(req_t *r, int stmt, int nparams, const char *const *params, const char *missing)
{
    PGresult *res = db_query_or_reply(r, stmt, nparams, params);
    if (res && PQntuples(res) != 1) {
        PQclear(res);
        reply_error(r, ERR_NOT_FOUND, missing);
        return NULL;
    }
    return res;
}

json_t *row_or_reply(req_t *r, int stmt, long long id, row_json_fn row, const char *missing)
{
    PGresult *res = db_row_or_reply(r, stmt, 1, (const char *[]){id_str(r, id)}, missing);
    if (!res)
        return NULL;
    json_t *v = row(r, res, 0);
    PQclear(res);
    if (!v)
        reply_error(r, ERR_INTERNAL, NULL);
    return v;
}

static void decref(void *v) { json_decref(v); }

json_t *req_own(req_t *r, json_t *v)
{
    if (v && !arena_on_reset(&r->arena, decref, v)) {
        arena_fail(&r->arena);
        return NULL;
    }
    return v;
}

char *json_text(req_t *r, const json_t *v, size_t flags)
{
    if (!v)
        return NULL;
    size_t n = json_dumpb(v, NULL, 0, flags);
    char *text = n ? arena_alloc(&r->arena, n + 1) : NULL;
    if (!text || json_dumpb(v, text, n, flags) != n) {
        arena_fail(&r->arena); /* a value that could not be made: never an SQL NULL */
        return NULL;
    }
    text[n] = '\0';
    return text;
}

char *json_param(req_t *r, const json_t *v) { return json_text(r, v, JSON_COMPACT); }

bool db_do_or_reply(req_t *r, int stmt, int nparams, const char *const *params)
{
    PGresult *res = db_query_or_reply(r, stmt, nparams, params);
    PQclear(res);
    return res != NULL;
}

bool db_begin_or_reply(req_t *r)
{
    if (db_begin(r->db) == 0)
        return true;
    reply_db_error(r);
    return false;
}

bool db_commit_or_reply(req_t *r)
{
    if (db_commit(r->db) == 0)
        return true;
    reply_db_error(r);
    return false;
}

void field_error(req_t *r, const char *field, const char *code, const char *message)
{
    r->nfield_errors++;
    if (r->nfield_errors > MAX_FIELD_ERRORS)
        return; /* counted, not listed: a body of 100,000 unknown keys is not 8 MB of errors */
    if (!r->field_errors)
        r->field_errors = json_array();
    json_array_append_new(r->field_errors,
                          json_pack("{s:s, s:s, s:s}", "field", field ? field : "?", "code", code, "message", message));
}

bool fields_failed_reply(req_t *r)
{
    if (!r->nfield_errors && (!r->field_errors || !json_array_size(r->field_errors)))
        return false;
    size_t n = r->nfield_errors > json_array_size(r->field_errors) ? r->nfield_errors : json_array_size(r->field_errors);
    if (!r->field_errors) /* json_array() failed: still a 422, without the list */
        r->field_errors = json_array();
    reply_problem(r, ERR_VALIDATION,
                  n == 1 ? "1 field is invalid" : arena_printf(&r->arena, "%zu fields are invalid", n),
                  r->field_errors);
    if (n > json_array_size(r->field_errors))
        json_object_set_new(r->resp, "errors_truncated", json_true());
    return true;
}

const char *query_get(const req_t *r, const char *name)
{
    for (int i = 0; i < r->nquery; i++)
        if (!strcmp(r->query[i].name, name))
            return r->query[i].value;
    return NULL;
}

const char *id_str(req_t *r, long long id) { return arena_printf(&r->arena, "%lld", id); }

static bool page_params(req_t *r, int nfilter, const char **params, const paging_t *pg)
{
    params[nfilter] = arena_printf(&r->arena, "%lld", pg->page_size);
    params[nfilter + 1] = arena_printf(&r->arena, "%lld", pg->offset);
    return params[nfilter] && params[nfilter + 1];
}

/* A page's answer, 200 {"items": [...], "total", "page", "page_size"[,
 * "total_capped": true]}: page_open writes up to the items, page_reply the
 * rest, replies, and frees the writer. */
static void page_open(json_out *o)
{
    json_out_init(o);
    jo_open(o, '{');
    jo_key(o, "items");
    jo_open(o, '[');
}

static void page_reply(req_t *r, json_out *o, long long total, const paging_t *pg)
{
    jo_close(o, ']');
    jo_key(o, "total");
    jo_int(o, total > PAGE_TOTAL_CAP ? PAGE_TOTAL_CAP : total);
    jo_key(o, "page");
    jo_int(o, pg->page);
    jo_key(o, "page_size");
    jo_int(o, pg->page_size);
    if (total > PAGE_TOTAL_CAP) {
        jo_key(o, "total_capped");
        jo_bool(o, true);
    }
    jo_close(o, '}');
    reply_json_out(r, 200, o);
    json_out_free(o);
}

void reply_page(req_t *r, int count_stmt, int page_stmt, int nfilter, const char **params, const paging_t *pg,
                row_json_fn row_json)
{
    if (!page_params(r, nfilter, params, pg)) {
        reply_error(r, ERR_INTERNAL, NULL);
        return;
    }
    PGresult *res = db_query_or_reply(r, count_stmt, nfilter, params);
    if (!res)
        return;
    long long total = db_int(res, 0, "total");
    PQclear(res);
    json_out o;
    page_open(&o);
    /* past the end: no second query (a capped count does not know the end) */
    if (total > pg->offset || total > PAGE_TOTAL_CAP) {
        if (!(res = db_query_or_reply(r, page_stmt, nfilter + 2, params))) {
            json_out_free(&o);
            return;
        }
        for (int i = 0; i < PQntuples(res); i++) {
            json_t *item = row_json(r, res, i);
            char *text = item ? json_dumps(item, REPLY_JSON_FLAGS) : NULL;
            if (text)
                jo_raw(&o, text, "null");
            else
                o.failed = true; /* out of memory: 500, never a page short of an item */
            free(text);
            json_decref(item);
        }
        PQclear(res);
    }
    page_reply(r, &o, total, pg);
}

void reply_counted_page(req_t *r, int stmt, int nfilter, const char **params, const paging_t *pg,
                        items_write_fn write_items)
{
    if (!page_params(r, nfilter, params, pg)) {
        reply_error(r, ERR_INTERNAL, NULL);
        return;
    }
    PGresult *res = db_query_or_reply(r, stmt, nfilter + 2, params);
    if (!res)
        return;
    long long total = PQntuples(res) ? db_int(res, 0, "total") : 0;
    json_out o;
    page_open(&o);
    write_items(&o, res);
    PQclear(res);
    page_reply(r, &o, total, pg);
}
