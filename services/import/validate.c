/* A validate job: the upload unsealed and read, every data row checked
 * (roster.c's cell rules, duplicates within the file, what the platform
 * already knows) and stored in import.rows with its outcome, BATCH rows per
 * transaction. It writes nothing outside import.rows and the import's
 * counts, so a job taken again after a crash starts over. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "jobs.h"
#include "log.h"
#include "mask.h"

/* What a job knows of its import. */
typedef struct {
    const char *import_id, *org_id, *parent_id, *created_by;
    int kind;
} job_ctx;

/* An upload being validated: its sheet, its data rows, and what the whole
 * file says about each (a repeated ID number, phone or org name). */
typedef struct {
    unsigned char *plain; /* the file (plain_cap bytes, wiped when freed) */
    size_t plain_cap;
    sheet_t s;
    header_map h;
    int *rows, n;         /* the data rows: indexes into s.rows */
    bool *dup_id, *dup_phone; /* by data row; orgs: dup_id is a repeated name */
    char *headers;        /* the header map as the import keeps it (SQL_FINISH) */
} upload;

static void upload_free(upload *u)
{
    if (u->plain)
        explicit_bzero(u->plain, u->plain_cap);
    free(u->plain);
    free(u->rows);
    free(u->dup_id);
    free(u->dup_phone);
    free(u->headers);
    sheet_free(&u->s);
}

/* ---------------------------------------------------------------- the upload */

/* The upload unsealed and read as a roster: 0; 1 when it cannot be (the
 * import is marked failed). */
static int upload_open(db_t *db, const char *import_id, const PGresult *job, int kind, upload *u)
{
    const char *sealed_hex = db_str(job, 0, "sealed");
    size_t sealed_n = 0;
    unsigned char *sealed = sealed_hex ? unhex(sealed_hex, &sealed_n) : NULL;
    long plain_n = -1;
    if (sealed && sealed_n >= GCM_OVERHEAD && (u->plain = malloc(sealed_n))) {
        u->plain_cap = sealed_n;
        plain_n = crypto_open(import_key, sealed, sealed_n, "import.files", u->plain);
    }
    free(sealed);
    if (plain_n < 0) {
        mark_failed(db, import_id,
                    u->plain ? "the upload is no longer readable (data key changed?)" : "the upload is no longer readable");
        return 1;
    }
    char err[256];
    int data_rows;
    if (roster_open(db_str(job, 0, "content_type"), u->plain, (size_t)plain_n, kind, &u->s, &u->h, &data_rows, err,
                    sizeof err)) {
        mark_failed(db, import_id, err);
        return 1;
    }
    return 0;
}

static char *json_text_free(json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return text;
}

/* Where the columns a commit's conflicts name are: {name_column,
 * name_header} for orgs, {phone_column, id_column, phone_header, id_header}
 * for volunteers. */
static char *headers_json(const sheet_t *s, const header_map *h)
{
    char pl[4] = "", il[4] = "";
    const sheet_row *hr = &s->rows[h->header_index];
    if (h->kind == KIND_ORGS) {
        if (h->col[O_NAME] >= 0)
            column_letter(h->col[O_NAME], pl);
        return json_text_free(json_pack("{s:s, s:s}", "name_column", pl, "name_header",
                                        sheet_cell_text(hr, h->col[O_NAME])));
    }
    if (h->col[V_PHONE] >= 0)
        column_letter(h->col[V_PHONE], pl);
    if (h->col[V_ID] >= 0)
        column_letter(h->col[V_ID], il);
    return json_text_free(json_pack("{s:s, s:s, s:s, s:s}", "phone_column", pl, "id_column", il, "phone_header",
                                    h->col[V_PHONE] >= 0 ? sheet_cell_text(hr, h->col[V_PHONE]) : "手机号",
                                    "id_header", h->col[V_ID] >= 0 ? sheet_cell_text(hr, h->col[V_ID]) : "身份证号"));
}

/* The data rows (not blank, 范例 or 填报说明) and room for their flags. -1 out of memory. */
static int upload_rows(upload *u)
{
    size_t cap = (size_t)u->s.nrows + 1;
    u->rows = malloc(cap * sizeof *u->rows);
    u->dup_id = calloc(cap, 1);
    u->dup_phone = calloc(cap, 1);
    u->headers = headers_json(&u->s, &u->h);
    if (!u->rows || !u->dup_id || !u->dup_phone || !u->headers)
        return -1;
    for (int i = u->h.header_index + 1; i < u->s.nrows; i++)
        if (!roster_skip_row(&u->s, &u->h, &u->s.rows[i]))
            u->rows[u->n++] = i;
    return 0;
}

/* ---------------------------------------------------------------- duplicate_in_file */

typedef struct {
    int row;       /* index into u->rows */
    char key[65];  /* hex: the ID number's blind index, the phone, or a digest of the org name's key */
} dup_key;

static int dup_cmp(const void *a, const void *b)
{
    return strcmp(((const dup_key *)a)->key, ((const dup_key *)b)->key);
}

/* Marks in dup[] every row whose key another row has too. */
static void find_dups(dup_key *keys, int n, bool *dup)
{
    qsort(keys, (size_t)n, sizeof *keys, dup_cmp);
    for (int i = 0; i < n;) {
        int j = i + 1;
        while (j < n && !strcmp(keys[i].key, keys[j].key))
            j++;
        if (j - i > 1)
            for (int k = i; k < j; k++)
                dup[keys[k].row] = true;
        i = j;
    }
}

static const char *cell_of(const upload *u, int i, int d)
{
    return u->h.col[d] >= 0 ? sheet_cell_text(&u->s.rows[u->rows[i]], u->h.col[d]) : "";
}

/* Orgs: a repeated name, as the platform tells names apart: org.name_key()
 * (NFKC, invisible characters dropped, blanks collapsed; the unique index of
 * org.orgs), run by the database itself so that the two cannot differ.
 * -1 when the database failed. */
static int org_name_keys(db_t *db, const upload *u, dup_key *keys, int *nkeys)
{
    json_t *names = json_array();
    char name[512];
    for (int i = 0; names && i < u->n; i++) {
        cell_trim(cell_of(u, i, O_NAME), name, sizeof name);
        json_array_append_new(names, json_string(name));
    }
    char *text = json_text_free(names);
    PGresult *res = text ? db_exec(db, SQL_NAME_KEYS, 1, (const char *[]){text}) : NULL;
    free(text);
    if (!res)
        return -1;
    for (int k = 0; k < PQntuples(res); k++) {
        const char *key = db_str(res, k, "key");
        unsigned char digest[32];
        if (!key || !*key)
            continue;
        crypto_sha256(key, strlen(key), digest);
        keys[*nkeys].row = (int)db_int(res, k, "i");
        hex_encode(digest, 32, keys[(*nkeys)++].key);
    }
    PQclear(res);
    return 0;
}

/* Volunteers: the blind index of every good ID number, and every good phone. */
static void volunteer_keys(const upload *u, ymd today, dup_key *ids, int *nid, dup_key *phones, int *nph)
{
    for (int i = 0; i < u->n; i++) {
        const sheet_row *r = &u->s.rows[u->rows[i]];
        char t[64], phone[12];
        idcard id;
        const char *msg;
        unsigned char index[32];
        cell_trim(cell_of(u, i, V_ID), t, sizeof t);
        if (*t && !idcard_parse(t, today, 0, &id, &msg) && !crypto_hmac_sha256(id_index_key, 32, id.number, 18, index)) {
            ids[*nid].row = i;
            hex_encode(index, 32, ids[(*nid)++].key);
        }
        explicit_bzero(&id, sizeof id);
        explicit_bzero(t, sizeof t);
        int pc = u->h.col[V_PHONE];
        if (pc >= 0 && cell_phone(sheet_cell_text(r, pc), pc < r->ncells && r->cells[pc].numeric, phone)) {
            phones[*nph].row = i;
            snprintf(phones[(*nph)++].key, sizeof phones[0].key, "%s", phone);
        }
    }
}

/* Sets u->dup_id and u->dup_phone. -1 out of memory or the database failed. */
static int find_duplicates(db_t *db, upload *u, ymd today)
{
    dup_key *ids = calloc((size_t)u->n + 1, sizeof *ids), *phones = calloc((size_t)u->n + 1, sizeof *phones);
    int nid = 0, nph = 0, rc = 0;
    if (!ids || !phones)
        rc = -1;
    else if (u->h.kind == KIND_ORGS)
        rc = org_name_keys(db, u, ids, &nid);
    else
        volunteer_keys(u, today, ids, &nid, phones, &nph);
    if (!rc) {
        find_dups(ids, nid, u->dup_id);
        find_dups(phones, nph, u->dup_phone);
    }
    if (ids)
        explicit_bzero(ids, ((size_t)u->n + 1) * sizeof *ids);
    free(ids);
    free(phones);
    return rc;
}

/* ---------------------------------------------------------------- one row */

/* Outcome of a volunteer row whose cells are good, from what the platform
 * knows of its phone and ID number; NULL when the database failed. */
static const char *volunteer_outcome(db_t *db, row_check *rc, const upload *u, const char *org_id,
                                     const char *index_hex)
{
    PGresult *res = db_exec(db, SQL_ROW_LOOKUP, 3, (const char *[]){rc->phone, index_hex, org_id});
    if (!res)
        return NULL;
    const char *outcome = "new";
    const char *id_phone = db_str(res, 0, "id_phone");
    if (id_phone && !strcmp(id_phone, rc->phone)) {
        const char *ms = db_str(res, 0, "member_status");
        outcome = ms && !strcmp(ms, "active") ? "unchanged" : "link";
    } else if (id_phone) {
        row_error(rc, &u->s, &u->h, V_ID, "id_number_conflict", "该身份证号已由另一手机号的志愿者注册，请核对手机号或身份证号");
        outcome = "invalid";
    } else if (!db_isnull(res, 0, "phone_id_index")) {
        row_error(rc, &u->s, &u->h, V_PHONE, "phone_conflict", "该手机号已属于另一位身份证号不同的志愿者，请核对手机号或身份证号");
        outcome = "invalid";
    }
    PQclear(res);
    return outcome;
}

/* Outcome of an org row whose cells are good: new, unchanged, or invalid
 * (already_exists, out_of_scope); NULL when the database failed. Sets
 * "approved" in the row's data: a platform admin in scope vouches for the
 * sheet. */
static const char *org_outcome(db_t *db, const job_ctx *j, row_check *rc, const upload *u)
{
    PGresult *res = db_exec(db, SQL_SCOPE_COVERS, 2, (const char *[]){j->created_by, rc->region});
    if (!res)
        return NULL;
    bool covers = db_bool(res, 0, "covers");
    PQclear(res);
    json_object_set_new(rc->data, "approved", json_boolean(covers));
    if (!j->parent_id && !covers) {
        row_error(rc, &u->s, &u->h, O_COUNTY, "out_of_scope", "该区域不在您的管辖范围内");
        return "invalid";
    }
    if (!(res = db_exec(db, SQL_ORG_LOOKUP, 2, (const char *[]){rc->org_name, rc->phone})))
        return NULL;
    const char *outcome = "new";
    if (PQntuples(res) && db_bool(res, 0, "same_admin")) {
        outcome = "unchanged";
    } else if (PQntuples(res)) {
        row_error(rc, &u->s, &u->h, O_NAME, "already_exists", "该组织名称已被另一管理员手机号的组织使用，请核对名称或管理员手机号");
        outcome = "invalid";
    }
    PQclear(res);
    return outcome;
}

/* A volunteer row's ID number as import.rows keeps it. */
typedef struct {
    char index_hex[65], masked[20];
    char *sealed; /* hex, malloc'd */
} row_id;

/* The row's ID number sealed, indexed and masked, and the gender and birth
 * date it says into the row's data. -1 out of memory or a crypto failure. */
static int seal_row_id(row_check *rc, row_id *out)
{
    unsigned char index[32];
    char birth[11];
    if (crypto_hmac_sha256(id_index_key, 32, rc->id.number, 18, index))
        return -1;
    hex_encode(index, 32, out->index_hex);
    mask_id_number(rc->id.number, out->masked, sizeof out->masked);
    if (!(out->sealed = seal_hex(id_seal_key, rc->id.number, 18, "volunteer.id_number")))
        return -1;
    snprintf(birth, sizeof birth, "%04d-%02d-%02d", rc->id.year, rc->id.month, rc->id.day);
    json_object_set_new(rc->data, "gender", json_string(rc->id.male ? "male" : "female"));
    json_object_set_new(rc->data, "birth_date", json_string(birth));
    return 0;
}

/* An org row checked: its cells, then (when good) what the platform knows.
 * The outcome, or NULL when the database failed. */
static const char *check_org_row(job_worker *jw, const job_ctx *j, const upload *u, int i, ymd today, row_check *rc)
{
    roster_check_org(&u->s, &u->h, &u->s.rows[u->rows[i]], &jw->regions, today, rc);
    if (u->dup_id[i])
        row_error(rc, &u->s, &u->h, O_NAME, "duplicate_in_file", "该组织名称在本表中出现了不止一次");
    if (json_array_size(rc->errors))
        return "invalid";
    json_object_set_new(rc->data, "name", json_string(rc->org_name));
    return org_outcome(&jw->work, j, rc, u);
}

/* A volunteer row checked, as check_org_row; its ID number into id. *crypto_failed on -1 of seal_row_id. */
static const char *check_volunteer_row(job_worker *jw, const job_ctx *j, const upload *u, int i, ymd today,
                                       row_check *rc, row_id *id, bool *crypto_failed)
{
    roster_check_volunteer(&u->s, &u->h, &u->s.rows[u->rows[i]], &jw->regions, today, rc);
    if (u->dup_id[i])
        row_error(rc, &u->s, &u->h, V_ID, "duplicate_in_file", "该身份证号在本表中出现了不止一次");
    if (u->dup_phone[i] && !u->dup_id[i])
        row_error(rc, &u->s, &u->h, V_PHONE, "duplicate_in_file", "该手机号在本表中出现了不止一次（对应不同的身份证号）");
    if (rc->has_id && seal_row_id(rc, id)) {
        *crypto_failed = true;
        return NULL;
    }
    if (json_array_size(rc->errors))
        return "invalid";
    return volunteer_outcome(&jw->work, rc, u, j->org_id, id->index_hex);
}

/* The row's cells in the template's column order, as uploaded. */
static char *cells_json(const header_map *h, const sheet_row *r)
{
    json_t *a = json_array();
    for (int d = 0; a && d < h->ncols; d++)
        json_array_append_new(a, json_string(h->col[d] >= 0 ? sheet_cell_text(r, h->col[d]) : ""));
    return json_text_free(a);
}

/* The checked row into import.rows, its cells sealed. -1 when it could not be. */
static int insert_row(db_t *db, const char *import_id, const upload *u, int i, const row_check *rc,
                      const char *outcome, const row_id *id)
{
    const sheet_row *r = &u->s.rows[u->rows[i]];
    char *cells = cells_json(&u->h, r), *cells_sealed = NULL;
    char *errors = json_dumps(rc->errors, JSON_COMPACT), *warnings = json_dumps(rc->warnings, JSON_COMPACT);
    char *data = json_dumps(rc->data, JSON_COMPACT);
    int rc_out = -1;
    if (cells && errors && warnings && data &&
        (cells_sealed = seal_hex(import_key, cells, strlen(cells), "import.rows.cells"))) {
        char row_no[16];
        snprintf(row_no, sizeof row_no, "%d", r->row_no);
        const char *params[12] = {import_id, row_no, outcome, rc->name_masked, errors, warnings, cells_sealed, data,
                                  rc->phone[0] ? rc->phone : NULL, id->sealed,
                                  id->index_hex[0] ? id->index_hex : NULL, id->masked[0] ? id->masked : NULL};
        PGresult *res = db_exec(db, SQL_ROW_INSERT, 12, params);
        rc_out = res ? 0 : -1;
        PQclear(res);
    } else {
        log_error("import %s: out of memory or a crypto failure at row %d", import_id, r->row_no);
    }
    if (cells)
        explicit_bzero(cells, strlen(cells));
    free(cells);
    free(cells_sealed);
    free(errors);
    free(warnings);
    free(data);
    return rc_out;
}

/* Checks, looks up and stores data row i. -1 when it could not be. */
static int store_row(job_worker *jw, const job_ctx *j, const upload *u, int i, ymd today)
{
    row_check rc;
    row_id id = {0};
    bool crypto_failed = false;
    const char *outcome = j->kind == KIND_ORGS ? check_org_row(jw, j, u, i, today, &rc)
                                               : check_volunteer_row(jw, j, u, i, today, &rc, &id, &crypto_failed);
    int rc_out = outcome ? insert_row(&jw->work, j->import_id, u, i, &rc, outcome, &id) : -1;
    if (crypto_failed)
        log_error("import %s: out of memory or a crypto failure at row %d", j->import_id, u->s.rows[u->rows[i]].row_no);
    free(id.sealed);
    row_check_free(&rc);
    return rc_out;
}

/* Every data row, BATCH per transaction with the progress. -1 when stopped
 * or the database failed (what was stored is cleared when the job runs again). */
static int store_rows(job_worker *jw, const job_ctx *j, const upload *u, ymd today)
{
    db_t *db = &jw->work;
    PGresult *res = db_exec(db, SQL_ROWS_CLEAR, 1, (const char *[]){j->import_id});
    if (!res)
        return -1;
    PQclear(res);
    int rc = 0;
    for (int i = 0; i < u->n && !rc; i += BATCH) {
        if (job_stopping() || db_begin(db))
            return -1;
        int end = i + BATCH < u->n ? i + BATCH : u->n;
        for (int k = i; k < end && !rc; k++)
            rc = store_row(jw, j, u, k, today);
        char done[16];
        snprintf(done, sizeof done, "%d", end);
        res = rc ? NULL : db_exec(db, SQL_PROGRESS, 2, (const char *[]){j->import_id, done});
        if (!res || db_commit(db))
            rc = -1;
        PQclear(res);
        db_rollback(db);
    }
    return rc;
}

int run_validate(job_worker *jw, const char *import_id, const PGresult *job)
{
    db_t *db = &jw->work;
    job_ctx j = {.import_id = import_id, .org_id = db_str(job, 0, "org_id"), .parent_id = db_str(job, 0, "parent_id"),
                 .created_by = db_str(job, 0, "created_by"),
                 .kind = !strcmp(db_str(job, 0, "kind"), "orgs") ? KIND_ORGS : KIND_VOLUNTEERS};
    upload u = {0};
    ymd today = today_in_china();
    int rc = upload_open(db, import_id, job, j.kind, &u); /* 1: failed for good, marked */
    if (!rc && (load_regions(jw) || upload_rows(&u) || find_duplicates(db, &u, today)))
        rc = -1;
    if (!rc)
        rc = store_rows(jw, &j, &u, today);
    if (!rc)
        rc = mark_finished(db, import_id, "validated", u.headers);
    upload_free(&u);
    return rc == 1 ? 0 : rc;
}
