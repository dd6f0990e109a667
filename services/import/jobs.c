/* The import's worker threads (the queue and its loop; a job's work is
 * validate.c's or commit.c's). Parsing and checking a 50,000-row roster is
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
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "jobs.h"
#include "log.h"

static atomic_bool stopping;
static atomic_int running; /* jobs this process works on now (GET /metrics) */
static job_worker *workers;
static int nworkers;

static void nap(int ms)
{
    for (int waited = 0; waited < ms && !atomic_load(&stopping); waited += 50)
        nanosleep(&(struct timespec){0, 50 * 1000000L}, NULL);
}

bool job_stopping(void)
{
    return atomic_load(&stopping);
}

/* ---------------------------------------------------------------- helpers */

static char *hex_of(const unsigned char *p, size_t n)
{
    char *h = malloc(2 * n + 1);
    if (h)
        hex_encode(p, n, h);
    return h;
}

char *seal_hex(const unsigned char key[32], const void *plain, size_t n, const char *aad)
{
    unsigned char *sealed = malloc(n + GCM_OVERHEAD);
    char *hex = NULL;
    if (sealed && !crypto_seal(key, plain, n, aad, sealed))
        hex = hex_of(sealed, n + GCM_OVERHEAD);
    free(sealed);
    return hex;
}

unsigned char *unhex(const char *hex, size_t *n)
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

int load_regions(job_worker *jw)
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

void mark_failed(db_t *db, const char *import_id, const char *why)
{
    PGresult *res = db_exec(db, SQL_FAILED, 2, (const char *[]){import_id, why});
    PQclear(res);
}

int mark_finished(db_t *db, const char *import_id, const char *status, const char *headers)
{
    PGresult *res = db_exec(db, SQL_FINISH, 3, (const char *[]){import_id, status, headers});
    PQclear(res);
    return res ? 0 : -1;
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
    workers = calloc((size_t)nthreads, sizeof *workers);
    if (!workers)
        return -1;
    for (int i = 0; i < nthreads; i++) {
        job_worker *jw = &workers[i];
        db_init(&jw->queue, cfg->db_conninfo, "import-queue", import_sql, SQL__MAX, 0);
        db_init(&jw->work, cfg->db_conninfo, "import-worker", import_sql, SQL__MAX, 0);
        if (app_thread_start(&jw->thread, job_main, jw, "import worker") != 0)
            break;
        nworkers++;
    }
    return nworkers == nthreads ? 0 : -1;
}

void jobs_metrics(FILE *out, db_t *db)
{
    fprintf(out, "# HELP stvs_import_jobs_running Import jobs the workers of this process run now.\n"
                 "# TYPE stvs_import_jobs_running gauge\nstvs_import_jobs_running %d\n"
                 "# HELP stvs_import_jobs_workers Import worker threads of this process.\n"
                 "# TYPE stvs_import_jobs_workers gauge\nstvs_import_jobs_workers %d\n",
            atomic_load(&running), nworkers);
    /* no connection came free (app.c), or the database is down: no queue
     * length rather than a wrong one */
    PGresult *res = db ? db_exec(db, SQL_JOBS_QUEUED, 0, NULL) : NULL;
    if (!res)
        return;
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
