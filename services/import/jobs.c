/* The import's worker threads. Parsing and checking a 50,000-row roster is
 * not done in a request: POST /imports queues a job in import.jobs and
 * answers 202, and a worker thread of any stvs-import process takes it with
 * FOR UPDATE SKIP LOCKED on its queue connection and owns it by a
 * session-level advisory lock on that connection while it works on a second
 * connection (SQL_JOB_TAKE says why not a held row lock). A process that
 * dies releases the lock with its session, so the job is taken again (by the
 * restarted process, or another one) and resumed: validation starts over (it writes
 * nothing outside import.rows), a commit goes on with the rows not yet
 * marked written (each row and its mark are one statement). */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "import.h"
#include "log.h"
#include "mask.h"

#define BATCH 200

typedef struct {
    pthread_t thread;
    db_t queue, work;
    region_tab regions;
    char *region_names; /* one buffer for every name */
} job_worker;

static atomic_bool stopping;
static atomic_int running; /* jobs this process works on now (GET /metrics) */
static job_worker *workers;
static int nworkers;

static void nap(int ms)
{
    for (int waited = 0; waited < ms && !atomic_load(&stopping); waited += 50)
        nanosleep(&(struct timespec){0, 50 * 1000000L}, NULL);
}

/* ---------------------------------------------------------------- helpers */

static char *hex_of(const unsigned char *p, size_t n)
{
    char *h = malloc(2 * n + 1);
    if (h)
        hex_encode(p, n, h);
    return h;
}

/* Seals text under key for aad into hex (malloc'd). */
static char *seal_hex(const unsigned char key[32], const void *plain, size_t n, const char *aad)
{
    unsigned char *sealed = malloc(n + GCM_OVERHEAD);
    char *hex = NULL;
    if (sealed && !crypto_seal(key, plain, n, aad, sealed))
        hex = hex_of(sealed, n + GCM_OVERHEAD);
    free(sealed);
    return hex;
}

static unsigned char *unhex(const char *hex, size_t *n)
{
    size_t len = strlen(hex);
    if (len % 2)
        return NULL;
    unsigned char *out = malloc(len / 2 + 1);
    if (out && hex_decode(hex, out, len / 2)) {
        free(out);
        return NULL;
    }
    *n = len / 2;
    return out;
}

static int load_regions(job_worker *jw)
{
    if (jw->regions.n)
        return 0;
    PGresult *res = db_exec(&jw->work, SQL_REGIONS_ALL, 0, NULL);
    if (!res)
        return -1;
    int n = PQntuples(res);
    size_t names = 0;
    if (n <= 0) {
        PQclear(res);
        return -1;
    }
    for (int i = 0; i < n; i++)
        names += strlen(db_str(res, i, "name")) + 1;
    jw->regions.rows = calloc((size_t)n, sizeof *jw->regions.rows);
    jw->region_names = malloc(names);
    if (!jw->regions.rows || !jw->region_names) {
        PQclear(res);
        free(jw->regions.rows);
        free(jw->region_names);
        jw->regions.rows = NULL;
        jw->region_names = NULL;
        return -1;
    }
    char *np = jw->region_names;
    for (int i = 0; i < n; i++) {
        region_row *r = &jw->regions.rows[i];
        snprintf(r->code, sizeof r->code, "%s", db_str(res, i, "code"));
        snprintf(r->parent, sizeof r->parent, "%s", db_str(res, i, "parent"));
        const char *lv = db_str(res, i, "level");
        r->level = lv[0] == 'p' ? 'p' : lv[0] == 'c' && lv[1] == 'i' ? 'c' : 'k';
        r->also_county = db_bool(res, i, "also_county");
        size_t len = strlen(db_str(res, i, "name")) + 1;
        memcpy(np, db_str(res, i, "name"), len);
        r->name = np;
        np += len;
    }
    jw->regions.n = n;
    PQclear(res);
    return 0;
}

static void mark_failed(db_t *db, const char *id, const char *why)
{
    PGresult *res = db_exec(db, SQL_FAILED, 2, (const char *[]){id, why});
    PQclear(res);
}

/* ---------------------------------------------------------------- validation */

typedef struct {
    int row;       /* index into sheet rows */
    char key[65];  /* the ID number's blind index, or the phone */
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

/* The row's cells in the template's column order, as uploaded. */
static char *cells_json(const sheet_t *s, const header_map *h, const sheet_row *r)
{
    json_t *a = json_array();
    for (int d = 0; d < h->ncols; d++)
        json_array_append_new(a, json_string(h->col[d] >= 0 ? sheet_cell_text(r, h->col[d]) : ""));
    (void)s;
    char *text = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return text;
}

/* Outcome of a row whose cells are good, from what the platform knows. */
static const char *outcome_of(db_t *db, row_check *rc, const sheet_t *s, const header_map *h, const char *org_id,
                              const char *index_hex, bool *db_failed)
{
    PGresult *res = db_exec(db, SQL_ROW_LOOKUP, 3, (const char *[]){rc->phone, index_hex, org_id});
    if (!res) {
        *db_failed = true;
        return "invalid";
    }
    const char *outcome = "new";
    const char *id_phone = db_str(res, 0, "id_phone");
    if (id_phone) {
        if (!strcmp(id_phone, rc->phone)) {
            const char *ms = db_str(res, 0, "member_status");
            outcome = ms && !strcmp(ms, "active") ? "unchanged" : "link";
        } else {
            row_error(rc, s, h, V_ID, "id_number_conflict", "该身份证号已由另一手机号的志愿者注册，请核对手机号或身份证号");
            outcome = "invalid";
        }
    } else if (!db_isnull(res, 0, "phone_id_index")) {
        row_error(rc, s, h, V_PHONE, "phone_conflict", "该手机号已属于另一位身份证号不同的志愿者，请核对手机号或身份证号");
        outcome = "invalid";
    }
    PQclear(res);
    return outcome;
}

/* What a job knows of its import. */
typedef struct {
    const char *import_id, *org_id, *parent_id, *level, *created_by;
    int kind;
} job_ctx;

/* Outcome of an org row whose cells are good: new, unchanged, or invalid
 * (already_exists, out_of_scope). Sets "approved" in the row's data. */
static const char *org_outcome_of(db_t *db, const job_ctx *j, row_check *rc, const sheet_t *s, const header_map *h,
                                  bool *db_failed)
{
    PGresult *res = db_exec(db, SQL_SCOPE_COVERS, 2, (const char *[]){j->created_by, rc->region});
    if (!res) {
        *db_failed = true;
        return "invalid";
    }
    bool covers = db_bool(res, 0, "covers");
    PQclear(res);
    /* a platform admin in scope vouches for the sheet: approved at once */
    json_object_set_new(rc->data, "approved", json_boolean(covers));
    if (!j->parent_id && !covers) {
        row_error(rc, s, h, O_COUNTY, "out_of_scope", "该区域不在您的管辖范围内");
        return "invalid";
    }
    res = db_exec(db, SQL_ORG_LOOKUP, 2, (const char *[]){rc->org_name, rc->phone});
    if (!res) {
        *db_failed = true;
        return "invalid";
    }
    const char *outcome = "new";
    if (PQntuples(res)) {
        if (db_bool(res, 0, "same_admin")) {
            outcome = "unchanged";
        } else {
            row_error(rc, s, h, O_NAME, "already_exists", "该组织名称已被另一管理员手机号的组织使用，请核对名称或管理员手机号");
            outcome = "invalid";
        }
    }
    PQclear(res);
    return outcome;
}

/* Checks, looks up and stores one data row. -1 when the database failed. */
static int store_row(job_worker *jw, const job_ctx *j, const sheet_t *s, const header_map *h, const sheet_row *r,
                     ymd today, bool dup_id, bool dup_phone)
{
    const char *import_id = j->import_id, *org_id = j->org_id;
    row_check rc;
    bool db_failed = false;
    int rc_out = 0;
    char index_hex[65] = "", masked[20] = "";
    char *cells = NULL, *cells_sealed = NULL, *id_sealed = NULL, *errors = NULL, *warnings = NULL, *data = NULL;
    const char *outcome = "invalid";
    if (j->kind == KIND_ORGS) {
        roster_check_org(s, h, r, &jw->regions, today, &rc);
        if (dup_id)
            row_error(&rc, s, h, O_NAME, "duplicate_in_file", "该组织名称在本表中出现了不止一次");
        if (!json_array_size(rc.errors)) {
            json_object_set_new(rc.data, "name", json_string(rc.org_name));
            outcome = org_outcome_of(&jw->work, j, &rc, s, h, &db_failed);
        }
        if (db_failed) {
            rc_out = -1;
            goto out;
        }
        goto store;
    }
    roster_check_volunteer(s, h, r, &jw->regions, today, &rc);
    if (dup_id)
        row_error(&rc, s, h, V_ID, "duplicate_in_file", "该身份证号在本表中出现了不止一次");
    if (dup_phone && !dup_id)
        row_error(&rc, s, h, V_PHONE, "duplicate_in_file", "该手机号在本表中出现了不止一次（对应不同的身份证号）");
    if (rc.has_id) {
        unsigned char index[32];
        if (crypto_hmac_sha256(id_index_key, 32, rc.id.number, 18, index))
            goto fail;
        hex_encode(index, 32, index_hex);
        mask_id_number(rc.id.number, masked, sizeof masked);
        id_sealed = seal_hex(id_seal_key, rc.id.number, 18, "volunteer.id_number");
        if (!id_sealed)
            goto fail;
        json_object_set_new(rc.data, "gender", json_string(rc.id.male ? "male" : "female"));
        char birth[11];
        snprintf(birth, sizeof birth, "%04d-%02d-%02d", rc.id.year, rc.id.month, rc.id.day);
        json_object_set_new(rc.data, "birth_date", json_string(birth));
    }
    if (!json_array_size(rc.errors))
        outcome = outcome_of(&jw->work, &rc, s, h, org_id, index_hex, &db_failed);
    if (db_failed) {
        rc_out = -1;
        goto out;
    }
store:
    cells = cells_json(s, h, r);
    errors = json_dumps(rc.errors, JSON_COMPACT);
    warnings = json_dumps(rc.warnings, JSON_COMPACT);
    data = json_dumps(rc.data, JSON_COMPACT);
    if (!cells || !errors || !warnings || !data ||
        !(cells_sealed = seal_hex(import_key, cells, strlen(cells), "import.rows.cells")))
        goto fail;
    char row_no[16];
    snprintf(row_no, sizeof row_no, "%d", r->row_no);
    const char *params[12] = {import_id, row_no, outcome, rc.name_masked, errors, warnings,
                              cells_sealed, data, rc.phone[0] ? rc.phone : NULL, id_sealed,
                              index_hex[0] ? index_hex : NULL, masked[0] ? masked : NULL};
    PGresult *res = db_exec(&jw->work, SQL_ROW_INSERT, 12, params);
    if (!res)
        rc_out = -1;
    PQclear(res);
    goto out;
fail:
    log_error("import %s: out of memory or a crypto failure at row %d", import_id, r->row_no);
    rc_out = -1;
out:
    if (cells)
        explicit_bzero(cells, strlen(cells));
    free(cells);
    free(cells_sealed);
    free(id_sealed);
    free(errors);
    free(warnings);
    free(data);
    row_check_free(&rc);
    return rc_out;
}

/* Blind indexes of the ID numbers and the phones of every data row, for
 * duplicate_in_file; rows without a good ID number or phone have none. */
static int find_duplicates(const sheet_t *s, const header_map *h, const int *rows, int n, ymd today, bool *dup_id,
                           bool *dup_phone)
{
    dup_key *ids = calloc((size_t)n + 1, sizeof *ids), *phones = calloc((size_t)n + 1, sizeof *phones);
    int nid = 0, nph = 0;
    if (!ids || !phones) {
        free(ids);
        free(phones);
        return -1;
    }
    for (int i = 0; i < n && h->kind == KIND_ORGS; i++) { /* orgs: a repeated name */
        char name[512];
        unsigned char digest[32];
        cell_normalize(h->col[O_NAME] >= 0 ? sheet_cell_text(&s->rows[rows[i]], h->col[O_NAME]) : "", name,
                       sizeof name);
        if (!*name)
            continue;
        crypto_sha256(name, strlen(name), digest);
        ids[nid].row = i;
        hex_encode(digest, 32, ids[nid++].key);
    }
    for (int i = 0; i < n && h->kind == KIND_VOLUNTEERS; i++) {
        const sheet_row *r = &s->rows[rows[i]];
        char t[64], phone[12];
        idcard id;
        const char *msg;
        cell_trim(h->col[V_ID] >= 0 ? sheet_cell_text(r, h->col[V_ID]) : "", t, sizeof t);
        if (*t && !idcard_parse(t, today, 0, &id, &msg)) {
            unsigned char index[32];
            if (!crypto_hmac_sha256(id_index_key, 32, id.number, 18, index)) {
                ids[nid].row = i;
                hex_encode(index, 32, ids[nid++].key);
            }
            explicit_bzero(&id, sizeof id);
        }
        explicit_bzero(t, sizeof t);
        int pc = h->col[V_PHONE];
        if (pc >= 0 && cell_phone(sheet_cell_text(r, pc), pc < r->ncells && r->cells[pc].numeric, phone)) {
            phones[nph].row = i;
            snprintf(phones[nph++].key, sizeof phones[0].key, "%s", phone);
        }
    }
    find_dups(ids, nid, dup_id);
    find_dups(phones, nph, dup_phone);
    explicit_bzero(ids, ((size_t)n + 1) * sizeof *ids);
    free(ids);
    free(phones);
    return 0;
}

static char *headers_json(const sheet_t *s, const header_map *h)
{
    char pl[4] = "", il[4] = "";
    if (h->kind == KIND_ORGS) {
        if (h->col[O_NAME] >= 0)
            column_letter(h->col[O_NAME], pl);
        json_t *j = json_pack("{s:s, s:s}", "name_column", pl, "name_header",
                              sheet_cell_text(&s->rows[h->header_index], h->col[O_NAME]));
        char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        return text;
    }
    if (h->col[V_PHONE] >= 0)
        column_letter(h->col[V_PHONE], pl);
    if (h->col[V_ID] >= 0)
        column_letter(h->col[V_ID], il);
    const sheet_row *hr = &s->rows[h->header_index];
    json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "phone_column", pl, "id_column", il, "phone_header",
                          h->col[V_PHONE] >= 0 ? sheet_cell_text(hr, h->col[V_PHONE]) : "手机号", "id_header",
                          h->col[V_ID] >= 0 ? sheet_cell_text(hr, h->col[V_ID]) : "身份证号");
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return text;
}

/* 0: finished (validated or failed); -1: stopped or the database is down
 * (the job stays queued). */
static int run_validate(job_worker *jw, const char *import_id, const PGresult *job)
{
    db_t *db = &jw->work;
    const char *ctype = db_str(job, 0, "content_type");
    job_ctx j = {.import_id = import_id, .org_id = db_str(job, 0, "org_id"), .parent_id = db_str(job, 0, "parent_id"),
                 .level = db_str(job, 0, "level"), .created_by = db_str(job, 0, "created_by"),
                 .kind = !strcmp(db_str(job, 0, "kind"), "orgs") ? KIND_ORGS : KIND_VOLUNTEERS};
    const char *sealed_hex = db_str(job, 0, "sealed");
    size_t sealed_n = 0, plain_n;
    unsigned char *sealed = sealed_hex ? unhex(sealed_hex, &sealed_n) : NULL, *plain = NULL;
    sheet_t s = {0};
    header_map h;
    int data_rows, rc = 0, *rows = NULL;
    bool *dup_id = NULL, *dup_phone = NULL;
    char err[256];
    char *headers = NULL;

    if (!sealed || sealed_n < GCM_OVERHEAD || !(plain = malloc(sealed_n))) {
        mark_failed(db, import_id, "the upload is no longer readable");
        goto out;
    }
    long pn = crypto_open(import_key, sealed, sealed_n, "import.files", plain);
    if (pn < 0) {
        mark_failed(db, import_id, "the upload is no longer readable (data key changed?)");
        goto out;
    }
    plain_n = (size_t)pn;
    if (roster_open(ctype, plain, plain_n, j.kind, &s, &h, &data_rows, err, sizeof err)) {
        mark_failed(db, import_id, err);
        goto out;
    }
    if (load_regions(jw)) {
        rc = -1;
        goto out;
    }
    rows = malloc(((size_t)data_rows + 1) * sizeof *rows);
    dup_id = calloc((size_t)data_rows + 1, 1);
    dup_phone = calloc((size_t)data_rows + 1, 1);
    headers = headers_json(&s, &h);
    if (!rows || !dup_id || !dup_phone || !headers) {
        rc = -1;
        goto out;
    }
    int n = 0;
    for (int i = h.header_index + 1; i < s.nrows; i++)
        if (!roster_skip_row(&s, &h, &s.rows[i]))
            rows[n++] = i;
    ymd today = today_in_china();
    if (find_duplicates(&s, &h, rows, n, today, dup_id, dup_phone)) {
        rc = -1;
        goto out;
    }
    PGresult *res = db_exec(db, SQL_ROWS_CLEAR, 1, (const char *[]){import_id});
    if (!res) {
        rc = -1;
        goto out;
    }
    PQclear(res);
    for (int i = 0; i < n && !rc; i += BATCH) {
        if (atomic_load(&stopping) || db_begin(db)) {
            rc = -1;
            break;
        }
        for (int k = i; k < n && k < i + BATCH && !rc; k++)
            rc = store_row(jw, &j, &s, &h, &s.rows[rows[k]], today, dup_id[k], dup_phone[k]);
        char done[16];
        snprintf(done, sizeof done, "%d", i + BATCH < n ? i + BATCH : n);
        if (!rc && (res = db_exec(db, SQL_PROGRESS, 2, (const char *[]){import_id, done})))
            PQclear(res);
        else
            rc = -1;
        if (rc || db_commit(db))
            rc = -1;
        db_rollback(db);
    }
    if (!rc) {
        res = db_exec(db, SQL_FINISH, 3, (const char *[]){import_id, "validated", headers});
        if (!res)
            rc = -1;
        PQclear(res);
    }
out:
    if (plain)
        explicit_bzero(plain, sealed_n);
    free(plain);
    free(sealed);
    free(rows);
    free(dup_id);
    free(dup_phone);
    free(headers);
    sheet_free(&s);
    return rc;
}

/* ---------------------------------------------------------------- commit */

static int commit_one(db_t *db, const char *import_id, const char *org_id, const json_t *hdr, const PGresult *res,
                      int i)
{
    const char *data_text = db_str(res, i, "data");
    json_t *data = data_text ? json_loads(data_text, 0, NULL) : NULL;
    if (!data)
        return -2;
    const char *params[15] = {
        import_id, db_str(res, i, "row_no"), db_str(res, i, "phone"),
        json_string_value(json_object_get(data, "real_name")), db_str(res, i, "id_sealed"),
        db_str(res, i, "id_index"), db_str(res, i, "id_masked"), json_string_value(json_object_get(data, "gender")),
        json_string_value(json_object_get(data, "birth_date")), data_text, org_id,
        json_string_value(json_object_get(hdr, "phone_column")), json_string_value(json_object_get(hdr, "id_column")),
        json_string_value(json_object_get(hdr, "phone_header")), json_string_value(json_object_get(hdr, "id_header")),
    };
    PGresult *r = db_exec(db, SQL_COMMIT_ROW, 15, params);
    json_decref(data);
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}

static int commit_org(db_t *db, const char *import_id, const PGresult *job, const json_t *hdr, const PGresult *res,
                      int i)
{
    const char *data_text = db_str(res, i, "data");
    json_t *data = data_text ? json_loads(data_text, 0, NULL) : NULL;
    if (!data)
        return -2;
    const char *params[11] = {
        import_id, db_str(res, i, "row_no"), json_string_value(json_object_get(data, "name")),
        db_str(job, 0, "level"), db_str(job, 0, "parent_id"),
        json_is_true(json_object_get(data, "approved")) ? "true" : "false", db_str(res, i, "phone"),
        db_str(job, 0, "created_by"), json_string_value(json_object_get(hdr, "name_column")),
        json_string_value(json_object_get(hdr, "name_header")), data_text,
    };
    PGresult *r = db_exec(db, SQL_COMMIT_ORG_ROW, 11, params);
    json_decref(data);
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}

static int run_commit(job_worker *jw, const char *import_id, const PGresult *job)
{
    db_t *db = &jw->work;
    const char *org_id = db_str(job, 0, "org_id"), *htext = db_str(job, 0, "headers");
    json_t *hdr = htext ? json_loads(htext, 0, NULL) : json_object();
    int rc = 0;
    PGresult *rows = hdr ? db_exec(db, SQL_COMMIT_ROWS, 1, (const char *[]){import_id}) : NULL;
    if (!rows) {
        json_decref(hdr);
        return -1;
    }
    int n = PQntuples(rows), total = (int)db_int(job, 0, "rows_total"), before = total - n;
    bool orgs = !strcmp(db_str(job, 0, "kind"), "orgs");
#define COMMIT_ROW(k) (orgs ? commit_org(db, import_id, job, hdr, rows, (k)) : commit_one(db, import_id, org_id, hdr, rows, (k)))
    for (int i = 0; i < n && !rc; i += BATCH) {
        if (atomic_load(&stopping) || db_begin(db)) {
            rc = -1;
            break;
        }
        int k = i, end = i + BATCH < n ? i + BATCH : n;
        for (; k < end && !rc; k++)
            rc = COMMIT_ROW(k);
        char done[16];
        snprintf(done, sizeof done, "%d", before + end);
        PGresult *res = rc ? NULL : db_exec(db, SQL_PROGRESS, 2, (const char *[]){import_id, done});
        if (!res || db_commit(db))
            rc = rc ? rc : -1;
        PQclear(res);
        db_rollback(db);
        if (rc != -1 || db->last == DB_UNAVAILABLE)
            continue;
        /* A row the database refused sank its batch: write the batch again
         * row by row. A row refused on its own by a uniqueness rule the
         * checks above did not foresee (a name or number taken meanwhile) is
         * marked invalid; any other refusal (the org is no longer approved)
         * ends the import as failed, the rows before it written. Either way
         * nothing is retried forever. */
        rc = 0;
        for (k = i; k < end && !rc; k++) {
            if (!(rc = COMMIT_ROW(k)) || db->last == DB_UNAVAILABLE)
                continue;
            log_warn("import %s: row %s refused (SQLSTATE %s)", import_id, db_str(rows, k, "row_no"), db->sqlstate);
            if (db->last != DB_UNIQUE) {
                char why[160];
                snprintf(why, sizeof why, "row %s was refused by the database (SQLSTATE %s); the rows before it are "
                         "written", db_str(rows, k, "row_no"), db->sqlstate);
                mark_failed(db, import_id, why);
                PQclear(rows);
                json_decref(hdr);
                return 0;
            }
            res = db_exec(db, SQL_ROW_REFUSED, 3, (const char *[]){import_id, db_str(rows, k, "row_no"),
                                                                   orgs ? "already_exists" : "id_number_conflict"});
            rc = res ? 0 : -1;
            PQclear(res);
        }
        if (!rc && (res = db_exec(db, SQL_PROGRESS, 2, (const char *[]){import_id, done})))
            PQclear(res);
    }
#undef COMMIT_ROW
    PQclear(rows);
    json_decref(hdr);
    if (rc == -2) {
        mark_failed(db, import_id, "a validated row cannot be read back");
        return 0;
    }
    if (rc)
        return -1;
    PGresult *res = db_exec(db, SQL_FINISH, 3, (const char *[]){import_id, "committed", NULL});
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

/* ---------------------------------------------------------------- the loop */

static int run_job(job_worker *jw, const char *import_id, const char *action)
{
    PGresult *job = db_exec(&jw->work, SQL_JOB_IMPORT, 1, (const char *[]){import_id});
    if (!job)
        return -1;
    int rc = 0;
    const char *st = PQntuples(job) ? db_str(job, 0, "status") : "";
    if (!strcmp(action, "validate") && !strcmp(st, "validating"))
        rc = run_validate(jw, import_id, job);
    else if (!strcmp(action, "commit") && !strcmp(st, "committing"))
        rc = run_commit(jw, import_id, job);
    /* anything else: the job is stale (already done): drop it */
    PQclear(job);
    return rc;
}

static void release(job_worker *jw, const char *job_id)
{
    PGresult *res = db_exec(&jw->queue, SQL_JOB_RELEASE, 1, (const char *[]){job_id});
    PQclear(res);
}

static void *job_main(void *arg)
{
    job_worker *jw = arg;
    while (!atomic_load(&stopping)) {
        PGresult *res = db_exec(&jw->queue, SQL_JOB_TAKE, 0, NULL);
        if (!res || !PQntuples(res)) {
            PQclear(res);
            nap(res ? 250 : 1000);
            continue;
        }
        char job_id[24], import_id[24], action[16];
        snprintf(job_id, sizeof job_id, "%s", db_str(res, 0, "id"));
        snprintf(import_id, sizeof import_id, "%s", db_str(res, 0, "import_id"));
        snprintf(action, sizeof action, "%s", db_str(res, 0, "action"));
        PQclear(res);
        log_info("import %s: %s", import_id, action);
        atomic_fetch_add(&running, 1);
        int rc = run_job(jw, import_id, action);
        atomic_fetch_sub(&running, 1);
        if (rc) {
            release(jw, job_id); /* stays queued: this or another worker resumes it */
            nap(1000);
            continue;
        }
        res = db_exec(&jw->queue, SQL_JOB_DONE, 1, (const char *[]){job_id});
        PQclear(res);
        release(jw, job_id);
        log_info("import %s: %s done", import_id, action);
    }
    db_close(&jw->queue);
    db_close(&jw->work);
    return NULL;
}

int jobs_start(const stvs_config *cfg, int nthreads)
{
    sigset_t all, old;
    workers = calloc((size_t)nthreads, sizeof *workers);
    if (!workers)
        return -1;
    /* the threads never take a signal: main sigwaits for SIGTERM */
    sigfillset(&all);
    if (pthread_sigmask(SIG_BLOCK, &all, &old))
        return -1;
    for (int i = 0; i < nthreads; i++) {
        job_worker *jw = &workers[i];
        db_init(&jw->queue, cfg->db_conninfo, "import-queue", import_sql, SQL__MAX, 0);
        db_init(&jw->work, cfg->db_conninfo, "import-worker", import_sql, SQL__MAX, 0);
        if (pthread_create(&jw->thread, NULL, job_main, jw)) {
            log_error("pthread_create failed for an import worker");
            break;
        }
        nworkers++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return nworkers == nthreads ? 0 : -1;
}

void jobs_metrics(FILE *out, db_t *db)
{
    fprintf(out, "# HELP stvs_import_jobs_running Import jobs the workers of this process run now.\n"
                 "# TYPE stvs_import_jobs_running gauge\nstvs_import_jobs_running %d\n"
                 "# HELP stvs_import_jobs_workers Import worker threads of this process.\n"
                 "# TYPE stvs_import_jobs_workers gauge\nstvs_import_jobs_workers %d\n",
            atomic_load(&running), nworkers);
    PGresult *res = db_exec(db, SQL_JOBS_QUEUED, 0, NULL);
    if (!res)
        return; /* the database is down: no queue length rather than a wrong one */
    fprintf(out, "# HELP stvs_import_jobs_queued Import jobs waiting for a worker of any process (the database's count).\n"
                 "# TYPE stvs_import_jobs_queued gauge\nstvs_import_jobs_queued %lld\n",
            db_int(res, 0, "n"));
    PQclear(res);
}

void jobs_stop(void)
{
    atomic_store(&stopping, true);
    for (int i = 0; i < nworkers; i++) {
        pthread_join(workers[i].thread, NULL);
        free(workers[i].regions.rows);
        free(workers[i].region_names);
    }
    free(workers);
    workers = NULL;
    nworkers = 0;
}
