/* What the job worker threads' files share: jobs.c (the queue, the loop and
 * these helpers), validate.c (a validate job) and commit.c (a commit job). */
#ifndef STVS_IMPORT_JOBS_H
#define STVS_IMPORT_JOBS_H
#include <pthread.h>

#include "import.h"

#define BATCH 200 /* rows per transaction */

typedef struct {
    pthread_t thread;
    db_t queue, work;
    region_tab regions;
    char *region_names; /* one buffer for every name */
} job_worker;

/* The service is stopping: a job stops at its next batch (it stays queued). */
bool job_stopping(void);
/* Seals plain (n bytes) under key for aad into hex (malloc'd), or NULL. */
char *seal_hex(const unsigned char key[32], const void *plain, size_t n, const char *aad);
/* Hex into bytes (malloc'd, *n of them), or NULL. */
unsigned char *unhex(const char *hex, size_t *n);
/* ref.regions, once per worker: 0, or -1 when the database failed. */
int load_regions(job_worker *jw);
/* The import failed for good (why: shown to its uploader). */
void mark_failed(db_t *db, const char *import_id, const char *why);
/* The import done: status validated or committed, counts from its rows;
 * headers (or NULL: kept) the header map. 0, or -1 when the database failed. */
int mark_finished(db_t *db, const char *import_id, const char *status, const char *headers);
/* Each: 0 finished (done, or failed for good); -1 stopped or the database
 * is down (the job stays queued). */
int run_validate(job_worker *jw, const char *import_id, const PGresult *job);
int run_commit(job_worker *jw, const char *import_id, const PGresult *job);

#endif
