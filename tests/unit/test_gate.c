/* The per-row gate (common/gate.c): a second request for the same row waits
 * until the first leaves, one for another row does not; a wait that runs out
 * says so; a row refused with 409 is settled and later requests skip the
 * wait until one succeeds (2xx); other statuses leave it as it was. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "gate.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

typedef struct {
    long long id;
    long wait_ms;
    int hold_ms;    /* how long it keeps what it entered */
    int status;     /* its answer (0: 201) */
    bool entered, gated;
    double waited_ms;
    atomic_bool done;
} caller;

static void *enter_and_leave(void *arg)
{
    caller *c = arg;
    gate_pass p;
    double t0 = now_ms();
    c->entered = gate_enter(&p, c->id, c->wait_ms);
    c->waited_ms = now_ms() - t0;
    c->gated = p.held >= 0;
    if (c->hold_ms)
        usleep((useconds_t)c->hold_ms * 1000);
    if (c->entered)
        gate_leave(&p, c->status ? c->status : 201);
    atomic_store(&c->done, true);
    return NULL;
}

/* Runs a caller on a thread while the test holds a gate for 150 ms. */
static void while_held(long long held_id, caller *c)
{
    gate_pass p;
    pthread_t t;
    CHECK("the first request enters at once", gate_enter(&p, held_id, 1000) && p.held >= 0);
    pthread_create(&t, NULL, enter_and_leave, c);
    usleep(150 * 1000);
    gate_leave(&p, 201);
    pthread_join(t, NULL);
}

int main(void)
{
    caller same = {.id = 7, .wait_ms = 5000};
    while_held(7, &same);
    CHECK("a request for the same row enters", same.entered);
    CHECK("and waited for the first to leave", same.waited_ms >= 100);

    caller other = {.id = 8, .wait_ms = 5000};
    while_held(7, &other);
    CHECK("a request for another row enters", other.entered);
    CHECK("without waiting", other.waited_ms < 100);

    caller late = {.id = 7, .wait_ms = 30};
    while_held(7, &late);
    CHECK("a wait that runs out is refused", !late.entered);
    CHECK("after about its wait", late.waited_ms >= 25 && late.waited_ms < 140);

    caller stripe = {.id = 7 + GATE_STRIPES, .wait_ms = 5000};
    while_held(7, &stripe);
    CHECK("rows of one stripe share the gate", stripe.entered && stripe.waited_ms >= 100);

    /* settled by a 409: the next requests skip the wait */
    gate_pass p, q;
    CHECK("enters", gate_enter(&p, 9, 1000) && p.held >= 0);
    gate_leave(&p, 409);
    CHECK("a settled row is entered without the gate", gate_enter(&p, 9, 1000) && p.held < 0);
    CHECK("by several at once", gate_enter(&q, 9, 1000) && q.held < 0);
    gate_leave(&q, 503);
    gate_leave(&p, 500);
    CHECK("a 5xx leaves it settled", gate_enter(&p, 9, 1000) && p.held < 0);
    gate_leave(&p, 404);
    CHECK("a 404 leaves it settled", gate_enter(&p, 9, 1000) && p.held < 0);
    gate_leave(&p, 201);
    CHECK("a 2xx unsettles it: the gate again", gate_enter(&p, 9, 1000) && p.held >= 0);
    gate_leave(&p, 204);

    /* another row of the stripe settled leaves this row gated */
    CHECK("enters", gate_enter(&p, 10, 1000) && p.held >= 0);
    gate_leave(&p, 409);
    CHECK("a row of the same stripe is not settled by it", gate_enter(&p, 10 + GATE_STRIPES, 1000) && p.held >= 0);
    gate_leave(&p, 201);
    CHECK("nor does its 2xx unsettle the other", gate_enter(&p, 10, 1000) && p.held < 0);
    gate_leave(&p, 201);

    /* settled while they waited: those queued go on side by side */
    enum { QUEUED = 3 };
    pthread_t qt[QUEUED];
    caller qc[QUEUED];
    CHECK("the first enters", gate_enter(&p, 13, 1000) && p.held >= 0);
    for (int i = 0; i < QUEUED; i++) {
        qc[i] = (caller){.id = 13, .wait_ms = 5000, .hold_ms = 150, .status = 409};
        pthread_create(&qt[i], NULL, enter_and_leave, &qc[i]);
    }
    usleep(100 * 1000);
    double t0 = now_ms();
    gate_leave(&p, 409); /* the last seat went: full */
    bool none_gated = true;
    for (int i = 0; i < QUEUED; i++) {
        pthread_join(qt[i], NULL);
        none_gated = none_gated && qc[i].entered && !qc[i].gated;
    }
    CHECK("the queued enter without the gate once it settled", none_gated);
    CHECK("and run side by side, not one after another", now_ms() - t0 < 2 * 150);
    CHECK("it stays settled", gate_enter(&p, 13, 1000) && p.held < 0);
    gate_leave(&p, 201);

    /* many racing threads on one row: each entered once, none lost */
    enum { N = 32 };
    pthread_t t[N];
    caller c[N];
    for (int i = 0; i < N; i++) {
        c[i] = (caller){.id = 11, .wait_ms = 5000};
        pthread_create(&t[i], NULL, enter_and_leave, &c[i]);
    }
    int entered = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        entered += c[i].entered;
    }
    CHECK("32 racing requests all enter in turn", entered == N);
    return CHECK_DONE();
}
