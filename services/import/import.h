/* What the import service's files share. */
#ifndef STVS_IMPORT_H
#define STVS_IMPORT_H
#include "app.h"
#include "body.h"
#include "cells.h"
#include "codes.h"
#include "idcard.h"
#include "sheet.h"

enum import_sql {
    SQL_ORG_RIGHTS,
    SQL_IMPORT_INSERT,
    SQL_IMPORT_OPEN,
    SQL_IMPORT_GET,
    SQL_IMPORT_COUNT,
    SQL_IMPORT_PAGE,
    SQL_ROWS_COUNT,
    SQL_ROWS_PAGE,
    SQL_COMMIT_START,
    SQL_ERROR_ROWS,
    /* the worker threads */
    SQL_JOB_TAKE,
    SQL_JOB_DONE,
    SQL_JOB_RELEASE,
    SQL_JOB_IMPORT,
    SQL_JOBS_QUEUED,
    SQL_REGIONS_ALL,
    SQL_ROWS_CLEAR,
    SQL_ROW_LOOKUP,
    SQL_ROW_INSERT,
    SQL_PROGRESS,
    SQL_FINISH,
    SQL_FAILED,
    SQL_COMMIT_ROWS,
    SQL_COMMIT_ROW,
    SQL_ORG_LOOKUP,
    SQL_SCOPE_COVERS,
    SQL_COMMIT_ORG_ROW,
    SQL_ROW_REFUSED,
    SQL_PARENT_LEVEL,
    SQL_IS_PLATFORM_ADMIN,
    SQL__MAX
};
extern const db_stmt import_sql[SQL__MAX];

#define IMPORT_LOCK_CLASS "7401" /* advisory locks of import jobs: (7401, job id) */
#define IMPORT_MAX_BODY (10u << 20)
#define IMPORT_MAX_ROWS 50000
#define XLSX_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

/* Keys derived from STVS_DATA_KEY_FILE: the volunteer service's (an
 * imported ID number is sealed and indexed exactly as a registered one) and
 * the import's own for uploads and rows at rest. */
extern unsigned char id_seal_key[32], id_index_key[32], import_key[32];

/* ---------------------------------------------------------------- rosters */

enum { KIND_VOLUNTEERS, KIND_ORGS };

typedef struct {
    const char *label;   /* the official header */
    const char *alias;   /* another spelling seen in the wild, or NULL */
    bool key;            /* the header row must have it */
} column_def;

enum vcol {
    V_SEQ, V_NAME, V_PHONE, V_GENDER, V_ID, V_POLITICAL, V_ETHNICITY, V_EMPLOYER, V_TITLE, V_EDUCATION,
    V_OCCUPATION, V_PROVINCE, V_CITY, V_COUNTY, V_CATEGORIES, V_FIELDS, V_GRASSROOTS, V__MAX
};
enum ocol {
    O_SEQ, O_NAME, O_ADMIN_PHONE, O_CIVIL, O_SUPERVISOR_TYPE, O_SUPERVISOR, O_FOUNDED, O_CATEGORIES, O_PROVINCE,
    O_CITY, O_COUNTY, O_LEADER_NAME, O_LEADER_TITLE, O_LEADER_EMPLOYER, O_LEADER_PHONE, O__MAX
};
extern const column_def VOLUNTEER_COLUMNS_DEF[V__MAX], ORG_COLUMNS_DEF[O__MAX];

/* Where the header row is and which uploaded column holds each official one. */
typedef struct {
    int kind;
    const column_def *defs; /* VOLUNTEER_COLUMNS_DEF or ORG_COLUMNS_DEF */
    int header_index;    /* index into sheet->rows */
    int col[(int)V__MAX > (int)O__MAX ? (int)V__MAX : (int)O__MAX]; /* -1: absent */
    int ncols;
} header_map;

/* Finds the header among the first 10 rows; false when there is none. */
bool roster_find_header(const sheet_t *s, int kind, header_map *out);
/* Is this data row one to skip (blank, 范例, 填报说明)? */
bool roster_skip_row(const sheet_t *s, const header_map *h, const sheet_row *r);
/* "A", "B", ... "AA" */
void column_letter(int col, char out[4]);
/* Reads and checks the upload: the container, the header, the row count.
 * 0 or -1 after replying 422 (invalid_file, too_many_rows) or 500. */
int roster_open(const char *content_type, const void *data, size_t n, int kind, sheet_t *s, header_map *h,
                int *data_rows, char *err, size_t errlen);

/* One validated row. */
typedef struct {
    json_t *errors, *warnings; /* [{column, header, code, message}] */
    json_t *data;              /* validated values by API field name (codes) */
    char phone[12];      /* volunteers: the phone; orgs: the admin phone */
    char org_name[512];  /* orgs: the name as it will be stored */
    char region[7];
    idcard id;
    bool has_id;
    char name_masked[64];
} row_check;

/* Checks the cells of one volunteer row (no database): fills rc. */
void roster_check_volunteer(const sheet_t *s, const header_map *h, const sheet_row *r, const region_tab *regions,
                            ymd today, row_check *rc);
/* Checks the cells of one org row (no database); the outcome's lookups
 * and out_of_scope come later. */
void roster_check_org(const sheet_t *s, const header_map *h, const sheet_row *r, const region_tab *regions,
                      ymd today, row_check *rc);
void row_error(row_check *rc, const sheet_t *s, const header_map *h, int vcol, const char *code, const char *msg);
void row_check_free(row_check *rc);

/* ---------------------------------------------------------------- handlers and workers */

void h_import_create(req_t *r);
void h_import_get(req_t *r);
void h_import_list(req_t *r);
void h_import_rows(req_t *r);
void h_import_commit(req_t *r);
void h_import_errors_xlsx(req_t *r);
void h_template_volunteers(req_t *r);
void h_template_orgs(req_t *r);

int jobs_start(const stvs_config *cfg, int nthreads);
void jobs_stop(void);
/* GET /metrics: jobs running in this process, and queued (the database's count). */
void jobs_metrics(FILE *out, db_t *db);

#endif
