/* The connection pool (common/dbpool.c) without a database: a job runs at
 * once on a free connection; one that finds none waits no longer than its
 * wait to start; waiting jobs run oldest read first, then oldest write; the
 * thread that frees a connection runs the waiting jobs itself, and after
 * DBPOOL_RUNS_FOR_OTHERS of them (or at a slow one) hands the connection to
 * the next waiter; a try (wait 0) runs no queued job after its own; and
 * under racing timeouts every caller learns truly whether its job ran. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "dbpool.h"

static dbpool_t pool;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int order; /* jobs run so far */

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* A call of dbpool_run on a thread of its own, and what became of its job. */
typedef struct {
    dbpool_class class;
    long wait_ms;
    bool hold;      /* the job runs until release() */
    bool slow;      /* never run on another request's thread */
    int sleep_ms;   /* the job takes this long */
    pthread_t caller;
    bool returned, ran;
    db_t *db;       /* the connection it ran on */
    pthread_t ran_on;
    int order;      /* 1 for the first job run */
    bool released;
    double returned_ms;
} call;

static void job(void *arg, db_t *db)
{
    call *c = arg;
    pthread_mutex_lock(&lock);
    c->ran = true;
    c->db = db;
    c->ran_on = pthread_self();
    c->order = ++order;
    pthread_cond_broadcast(&changed);
    while (c->hold && !c->released)
        pthread_cond_wait(&changed, &lock);
    pthread_mutex_unlock(&lock);
    if (c->sleep_ms)
        usleep((useconds_t)c->sleep_ms * 1000);
}

static void *caller_main(void *arg)
{
    call *c = arg;
    bool ran = dbpool_run(&pool, c->class, c->slow, c->wait_ms, job, c);
    pthread_mutex_lock(&lock);
    c->returned = ran || !c->ran; /* false only if it claims a job that ran did not */
    c->returned_ms = now_ms();
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
    return NULL;
}

/* Starts the call and gives it 50 ms to run or queue, so that arrival order
 * is the order of these calls. */
static void start(call *c)
{
    pthread_create(&c->caller, NULL, caller_main, c);
    usleep(50 * 1000);
}

static void release(call *c)
{
    pthread_mutex_lock(&lock);
    c->released = true;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
}

static void finish(call *c) { pthread_join(c->caller, NULL); }

static bool ran_now(call *c)
{
    pthread_mutex_lock(&lock);
    bool ran = c->ran;
    pthread_mutex_unlock(&lock);
    return ran;
}

/* Many callers on a pool of two whose waits run out while connections come
 * free: a caller's answer must say whether its job ran, whichever side of
 * the time running out the job was taken, and no wait outlives its waiter. */
#define RACERS 16
#define RACES 300
static atomic_int race_ran, race_said_ran, race_lied;

static void race_job(void *arg, db_t *db)
{
    (void)db;
    atomic_int *ran = arg;
    atomic_fetch_add(ran, 1);
    atomic_fetch_add(&race_ran, 1);
    usleep(200);
}

static void *racer_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < RACES; i++) {
        atomic_int ran = 0;
        bool said = dbpool_run(&pool, i % 2 ? DBPOOL_READ : DBPOOL_WRITE, i % 7 == 0, 1 + i % 3, race_job, &ran);
        if (said)
            atomic_fetch_add(&race_said_ran, 1);
        if (said != (atomic_load(&ran) == 1))
            atomic_fetch_add(&race_lied, 1);
    }
    return NULL;
}

#define HOLDER(cls) {.class = (cls), .wait_ms = 5000, .hold = true}
#define QUICK(cls) {.class = (cls), .wait_ms = 5000}

int main(void)
{
    CHECK("a pool of 2 is made", dbpool_init(&pool, 2, "dbname=none", "unit", NULL, 0, 0) == 0);
    call a = HOLDER(DBPOOL_WRITE), b = HOLDER(DBPOOL_READ);
    start(&a);
    start(&b);
    CHECK("two jobs run at once, each on its own connection", ran_now(&a) && ran_now(&b) && a.db != b.db);
    CHECK("a job on a free connection runs on its caller's thread", pthread_equal(a.ran_on, a.caller));

    call late = {.class = DBPOOL_WRITE, .wait_ms = 150};
    double t0 = now_ms();
    start(&late);
    finish(&late);
    CHECK("a third finds none: not run after its wait", !late.ran && late.returned);
    CHECK("the wait is the one asked for (150 ms), not forever",
          late.returned_ms - t0 >= 140 && late.returned_ms - t0 < 2000);
    call tried = {.class = DBPOOL_READ, .wait_ms = 0};
    t0 = now_ms();
    start(&tried);
    finish(&tried);
    CHECK("a try (wait 0) is not run and returns at once", !tried.ran && tried.returned_ms - t0 < 50);

    /* two waiting writes, then a read; a's connection comes free */
    call w1 = HOLDER(DBPOOL_WRITE), w2 = QUICK(DBPOOL_WRITE), rd = QUICK(DBPOOL_READ);
    order = 0;
    start(&w1);
    start(&w2);
    start(&rd);
    CHECK("jobs that find no free connection wait", !ran_now(&w1) && !ran_now(&w2) && !ran_now(&rd));
    release(&a);
    finish(&rd);
    usleep(50 * 1000);
    CHECK("the read that came last runs first", rd.order == 1 && rd.db == a.db);
    CHECK("the freeing thread runs it, not the sleeping caller", pthread_equal(rd.ran_on, a.caller));
    pthread_mutex_lock(&lock); /* w1's job is still running */
    CHECK("then the oldest write, on the same thread", w1.order == 2 && pthread_equal(w1.ran_on, a.caller));
    pthread_mutex_unlock(&lock);
    CHECK("the younger write waits for a connection", !ran_now(&w2));
    release(&b);
    finish(&b);
    finish(&w2);
    CHECK("then the younger write, on the connection freed next", w2.order == 3 && w2.db == b.db);
    CHECK("its caller learned that it ran", w2.returned);
    release(&w1);
    finish(&w1);
    finish(&a);
    CHECK("a caller whose job another thread ran returns once it has run", w1.returned && rd.returned);

    /* a job that started on another thread is waited for past its wait */
    call h1 = HOLDER(DBPOOL_WRITE), h2 = HOLDER(DBPOOL_WRITE);
    call slow = {.class = DBPOOL_WRITE, .wait_ms = 100, .sleep_ms = 300};
    start(&h1);
    start(&h2);
    start(&slow); /* queued 50 ms into its 100 */
    t0 = now_ms();
    release(&h1);
    finish(&slow);
    CHECK("a job that started in time is waited for however long it runs",
          slow.ran && slow.returned && slow.returned_ms - t0 >= 290);

    /* past DBPOOL_RUNS_FOR_OTHERS the connection is handed to the next waiter */
    call queued[DBPOOL_RUNS_FOR_OTHERS + 2];
    for (int i = 0; i < (int)NELEM(queued); i++) {
        queued[i] = (call)QUICK(DBPOOL_WRITE);
        queued[i].sleep_ms = 5;
    }
    call h3 = HOLDER(DBPOOL_WRITE);
    start(&h3); /* on the connection h1 freed: both are held again */
    for (int i = 0; i < (int)NELEM(queued); i++)
        start(&queued[i]);
    release(&h2);
    finish(&h2);
    for (int i = 0; i < (int)NELEM(queued); i++)
        finish(&queued[i]);
    bool by_h2 = true;
    for (int i = 0; i < DBPOOL_RUNS_FOR_OTHERS; i++)
        by_h2 = by_h2 && pthread_equal(queued[i].ran_on, h2.caller);
    call *handed = &queued[DBPOOL_RUNS_FOR_OTHERS];
    CHECK("the freeing thread runs DBPOOL_RUNS_FOR_OTHERS waiting jobs", by_h2);
    CHECK("then hands the connection to the next, which runs its own job",
          pthread_equal(handed->ran_on, handed->caller) && handed->db == h2.db);
    CHECK("and runs the next waiting one", pthread_equal(queued[DBPOOL_RUNS_FOR_OTHERS + 1].ran_on, handed->caller));
    bool in_order = true;
    for (int i = 1; i < (int)NELEM(queued); i++)
        in_order = in_order && queued[i].order == queued[i - 1].order + 1;
    CHECK("waiting jobs ran in arrival order", in_order);
    release(&h3);
    finish(&h3);

    /* a slow job (an export) is handed the connection and runs on its own thread */
    call h4 = HOLDER(DBPOOL_WRITE), h5 = HOLDER(DBPOOL_WRITE);
    call slow_job = {.class = DBPOOL_READ, .wait_ms = 5000, .slow = true}, after = QUICK(DBPOOL_READ);
    start(&h4);
    start(&h5);
    start(&slow_job);
    start(&after);
    release(&h4);
    finish(&h4);
    finish(&slow_job);
    finish(&after);
    CHECK("a slow waiting job runs on its own thread, not on the one that freed the connection",
          slow_job.ran && pthread_equal(slow_job.ran_on, slow_job.caller) && slow_job.db == h4.db);
    CHECK("and the job after it runs on the slow job's thread, once it is done",
          after.ran && pthread_equal(after.ran_on, slow_job.caller) && after.order == slow_job.order + 1);
    release(&h5);
    finish(&h5);

    /* a try (a metrics scrape) that found a connection free runs no one else's job after its own */
    call scrape = {.class = DBPOOL_READ, .wait_ms = 0, .hold = true}, h6 = HOLDER(DBPOOL_WRITE);
    call queued_after = QUICK(DBPOOL_WRITE);
    start(&scrape);
    start(&h6);
    start(&queued_after);
    CHECK("a try runs at once on a free connection", ran_now(&scrape) && !ran_now(&queued_after));
    release(&scrape);
    finish(&scrape);
    finish(&queued_after);
    CHECK("a try's thread hands the connection on: the job queued meanwhile runs on its own thread",
          queued_after.ran && pthread_equal(queued_after.ran_on, queued_after.caller) &&
              queued_after.db == scrape.db);
    release(&h6);
    finish(&h6);

    call x = QUICK(DBPOOL_WRITE), y = HOLDER(DBPOOL_WRITE), z = HOLDER(DBPOOL_WRITE);
    start(&y);
    start(&z);
    CHECK("both connections are free again once the queue is empty", ran_now(&y) && ran_now(&z) && y.db != z.db);
    release(&y);
    release(&z);
    finish(&y);
    finish(&z);
    start(&x);
    finish(&x);
    CHECK("a job after them all runs at once", x.ran && pthread_equal(x.ran_on, x.caller));

    pthread_t racers[RACERS];
    for (int i = 0; i < RACERS; i++)
        pthread_create(&racers[i], NULL, racer_main, NULL);
    for (int i = 0; i < RACERS; i++)
        pthread_join(racers[i], NULL);
    CHECK("racing waits of 1-3 ms: every caller's answer says whether its job ran", atomic_load(&race_lied) == 0);
    CHECK("some ran and some waited out their time",
          atomic_load(&race_said_ran) > 0 && atomic_load(&race_said_ran) < RACERS * RACES);
    CHECK("every job that ran was answered as run", atomic_load(&race_ran) == atomic_load(&race_said_ran));
    call after_race = QUICK(DBPOOL_WRITE);
    start(&after_race);
    finish(&after_race);
    CHECK("after the race both connections are idle: a job runs at once on its own thread",
          after_race.ran && pthread_equal(after_race.ran_on, after_race.caller));
    dbpool_free(&pool);
    return CHECK_DONE();
}
