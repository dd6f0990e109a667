/* The connection pool (common/dbpool.c) without a database: connections are
 * taken and given back, a request that finds none waits no longer than its
 * wait, one given back goes to the oldest waiting read first, then to the
 * oldest waiting write. */
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "dbpool.h"

static dbpool_t pool;

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

typedef struct {
    dbpool_class class;
    long wait_ms;
    db_t *got;
    int order; /* when it got one: 1 for the first */
} taker;

static int served;
static pthread_mutex_t served_lock = PTHREAD_MUTEX_INITIALIZER;

static void *take(void *arg)
{
    taker *t = arg;
    t->got = dbpool_take(&pool, t->class, t->wait_ms);
    pthread_mutex_lock(&served_lock);
    t->order = ++served;
    pthread_mutex_unlock(&served_lock);
    return NULL;
}

/* A taker on a thread of its own, given 50 ms to queue up in the pool
 * before the next one, so that arrival order is the order of the calls. */
static void queue_taker(pthread_t *thread, taker *t)
{
    pthread_create(thread, NULL, take, t);
    usleep(50 * 1000);
}

int main(void)
{
    CHECK("a pool of 2 is made", dbpool_init(&pool, 2, "dbname=none", "unit", NULL, 0, 0) == 0);
    db_t *a = dbpool_take(&pool, DBPOOL_WRITE, 10), *b = dbpool_take(&pool, DBPOOL_READ, 10);
    CHECK("two free connections are taken at once", a && b && a != b);

    double t0 = now_ms();
    db_t *c = dbpool_take(&pool, DBPOOL_WRITE, 150);
    double waited = now_ms() - t0;
    CHECK("a third finds none: NULL after its wait", c == NULL);
    CHECK("the wait is the one asked for (150 ms), not forever", waited >= 140 && waited < 2000);
    t0 = now_ms();
    CHECK("a try (wait 0) returns NULL at once", dbpool_take(&pool, DBPOOL_READ, 0) == NULL && now_ms() - t0 < 50);

    /* two waiters, the first in line arrives first */
    taker first = {.class = DBPOOL_WRITE, .wait_ms = 5000}, second = {.class = DBPOOL_WRITE, .wait_ms = 5000};
    pthread_t t1, t2;
    queue_taker(&t1, &first);
    queue_taker(&t2, &second);
    dbpool_give(&pool, a);
    usleep(50 * 1000);
    CHECK("a connection given back goes to the oldest waiter", first.got == a && second.got == NULL);
    dbpool_give(&pool, b);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    CHECK("then to the next one", second.got == b && first.order == 1 && second.order == 2);

    /* a waiter that gave up is not handed one later */
    taker late = {.class = DBPOOL_READ, .wait_ms = 50};
    pthread_t t3;
    pthread_create(&t3, NULL, take, &late);
    pthread_join(t3, NULL);
    CHECK("a waiter whose time ran out got none", late.got == NULL);
    dbpool_give(&pool, first.got);
    dbpool_give(&pool, second.got);
    db_t *x = dbpool_take(&pool, DBPOOL_WRITE, 0), *y = dbpool_take(&pool, DBPOOL_WRITE, 0);
    CHECK("both are free again after the waiter left", x && y && x != y);

    /* two writes wait, then a read: the read is served first, then the writes in order */
    taker w1 = {.class = DBPOOL_WRITE, .wait_ms = 5000}, w2 = {.class = DBPOOL_WRITE, .wait_ms = 5000};
    taker rd = {.class = DBPOOL_READ, .wait_ms = 5000};
    pthread_t tw1, tw2, tr;
    served = 0;
    queue_taker(&tw1, &w1);
    queue_taker(&tw2, &w2);
    queue_taker(&tr, &rd);
    dbpool_give(&pool, x);
    usleep(50 * 1000);
    CHECK("a connection given back goes to the waiting read before older writes",
          rd.got == x && !w1.got && !w2.got);
    dbpool_give(&pool, y);
    usleep(50 * 1000);
    CHECK("then to the oldest write", w1.got == y && !w2.got);
    dbpool_give(&pool, rd.got);
    pthread_join(tw1, NULL);
    pthread_join(tw2, NULL);
    pthread_join(tr, NULL);
    CHECK("then to the next write", w2.got == x && rd.order == 1 && w1.order == 2 && w2.order == 3);
    dbpool_give(&pool, w1.got);
    dbpool_give(&pool, w2.got);
    dbpool_free(&pool);
    return CHECK_DONE();
}
