/* A commit job: the validated rows not yet written, BATCH per transaction,
 * each row whole or not at all (its volunteer or org, membership or admin
 * grant, and its mark as written are one statement), so a job taken again
 * after a crash goes on with the rows not yet marked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs.h"
#include "log.h"

typedef struct {
    db_t *db;
    const char *import_id, *org_id;
    const PGresult *job;  /* SQL_JOB_IMPORT */
    const PGresult *rows; /* SQL_COMMIT_ROWS */
    const json_t *hdr;    /* where the columns a conflict names are (validate.c, headers_json) */
    bool orgs;
} commit_ctx;

static const char *hdr_str(const commit_ctx *c, const char *key)
{
    return json_string_value(json_object_get(c->hdr, key));
}

/* Volunteer row k: 0, -1 (refused or the database failed), -2 (its data unreadable). */
static int commit_volunteer(const commit_ctx *c, int k, const char *data_text, const json_t *data)
{
    const PGresult *res = c->rows;
    const char *params[15] = {
        c->import_id, db_str(res, k, "row_no"), db_str(res, k, "phone"),
        json_string_value(json_object_get(data, "real_name")), db_str(res, k, "id_sealed"),
        db_str(res, k, "id_index"), db_str(res, k, "id_masked"), json_string_value(json_object_get(data, "gender")),
        json_string_value(json_object_get(data, "birth_date")), data_text, c->org_id,
        hdr_str(c, "phone_column"), hdr_str(c, "id_column"), hdr_str(c, "phone_header"), hdr_str(c, "id_header"),
    };
    PGresult *r = db_exec(c->db, SQL_COMMIT_ROW, 15, params);
    PQclear(r);
    return r ? 0 : -1;
}

/* Org row k, as commit_volunteer. */
static int commit_org(const commit_ctx *c, int k, const char *data_text, const json_t *data)
{
    const PGresult *job = c->job;
    const char *params[11] = {
        c->import_id, db_str(c->rows, k, "row_no"), json_string_value(json_object_get(data, "name")),
        db_str(job, 0, "level"), db_str(job, 0, "parent_id"),
        json_is_true(json_object_get(data, "approved")) ? "true" : "false", db_str(c->rows, k, "phone"),
        db_str(job, 0, "created_by"), hdr_str(c, "name_column"), hdr_str(c, "name_header"), data_text,
    };
    PGresult *r = db_exec(c->db, SQL_COMMIT_ORG_ROW, 11, params);
    PQclear(r);
    return r ? 0 : -1;
}

static int commit_row(const commit_ctx *c, int k)
{
    const char *data_text = db_str(c->rows, k, "data");
    json_t *data = data_text ? json_loads(data_text, 0, NULL) : NULL;
    if (!data)
        return -2;
    int rc = c->orgs ? commit_org(c, k, data_text, data) : commit_volunteer(c, k, data_text, data);
    json_decref(data);
    return rc;
}

static int progress(const commit_ctx *c, int done)
{
    char n[16];
    snprintf(n, sizeof n, "%d", done);
    PGresult *res = db_exec(c->db, SQL_PROGRESS, 2, (const char *[]){c->import_id, n});
    PQclear(res);
    return res ? 0 : -1;
}

/* Rows [i, end) and the progress (done) in one transaction: 0; -1 failed
 * (db->last says why); -2 a row's data is unreadable. */
static int commit_batch(const commit_ctx *c, int i, int end, int done)
{
    if (job_stopping() || db_begin(c->db))
        return -1;
    int rc = 0;
    for (int k = i; k < end && !rc; k++)
        rc = commit_row(c, k);
    if (!rc && (progress(c, done) || db_commit(c->db)))
        rc = -1;
    db_rollback(c->db);
    return rc;
}

/* A row the database refused: invalid when its statement expects the
 * refusal (sql.def: a uniqueness rule the checks could not foresee, a name
 * or number taken meanwhile; its detail is the row's code), written as such
 * and never retried; 0. Any other refusal (the org is no longer approved)
 * ends the import as failed, the rows before it written: 1. -1 when the
 * database failed. */
static int row_refused(const commit_ctx *c, int k)
{
    db_t *db = c->db;
    const char *row_no = db_str(c->rows, k, "row_no");
    const db_stmt *st = db_statement(db, db->failed_stmt);
    const db_refusal *f = st ? db_refusal_find(st->refusals, db->last, db->constraint) : NULL;
    log_warn("import %s: row %s refused (SQLSTATE %s)", c->import_id, row_no, db->sqlstate);
    if (!f) {
        char why[160];
        snprintf(why, sizeof why, "row %s was refused by the database (SQLSTATE %s); the rows before it are written",
                 row_no, db->sqlstate);
        mark_failed(db, c->import_id, why);
        return 1;
    }
    PGresult *res = db_exec(db, SQL_ROW_REFUSED, 3, (const char *[]){c->import_id, row_no, f->detail});
    PQclear(res);
    return res ? 0 : -1;
}

/* After a batch the database refused: its rows again one by one, each its
 * own transaction, so that one refused row sinks only itself. 0; 1 the
 * import failed for good; -1; -2 as commit_batch. */
static int commit_one_by_one(const commit_ctx *c, int i, int end, int done)
{
    for (int k = i; k < end; k++) {
        int rc = commit_row(c, k);
        if (rc == -1 && c->db->last != DB_UNAVAILABLE)
            rc = row_refused(c, k);
        if (rc)
            return rc;
    }
    return progress(c, done);
}

/* Every row still to write: 0; 1 the import failed for good; -1; -2. */
static int commit_rows(const commit_ctx *c)
{
    int n = PQntuples(c->rows), before = (int)db_int(c->job, 0, "rows_total") - n;
    for (int i = 0; i < n; i += BATCH) {
        int end = i + BATCH < n ? i + BATCH : n;
        int rc = commit_batch(c, i, end, before + end);
        if (rc == -1 && !job_stopping() && c->db->last != DB_UNAVAILABLE)
            rc = commit_one_by_one(c, i, end, before + end);
        if (rc)
            return rc;
    }
    return 0;
}

int run_commit(job_worker *jw, const char *import_id, const PGresult *job)
{
    db_t *db = &jw->work;
    const char *htext = db_str(job, 0, "headers");
    json_t *hdr = htext ? json_loads(htext, 0, NULL) : json_object();
    PGresult *rows = hdr ? db_exec(db, SQL_COMMIT_ROWS, 1, (const char *[]){import_id}) : NULL;
    commit_ctx c = {.db = db, .import_id = import_id, .org_id = db_str(job, 0, "org_id"), .job = job, .rows = rows,
                    .hdr = hdr, .orgs = !strcmp(db_str(job, 0, "kind"), "orgs")};
    int rc = rows ? commit_rows(&c) : -1;
    PQclear(rows);
    json_decref(hdr);
    if (rc == -2)
        mark_failed(db, import_id, "a validated row cannot be read back");
    if (rc == 0)
        rc = mark_finished(db, import_id, "committed", NULL);
    return rc > 0 || rc == -2 ? 0 : rc;
}
