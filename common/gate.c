#define _GNU_SOURCE /* pthread_mutex_clocklock: a wait on CLOCK_MONOTONIC (glibc 2.30) */
#include "gate.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "datetime.h"

typedef struct {
    pthread_mutex_t mu;
    _Atomic long long settled; /* the id last refused with 409 here, or 0 */
} gate_stripe;

static gate_stripe stripes[GATE_STRIPES];
static pthread_once_t stripes_once = PTHREAD_ONCE_INIT;

static void stripes_init(void)
{
    for (int i = 0; i < GATE_STRIPES; i++)
        pthread_mutex_init(&stripes[i].mu, NULL); /* default attributes: cannot fail on Linux */
}

static int stripe_of(long long id) { return (int)((unsigned long long)id % GATE_STRIPES); }

bool gate_settled(long long id) { return atomic_load(&stripes[stripe_of(id)].settled) == id; }

bool gate_enter(gate_pass *p, long long id, long wait_ms)
{
    pthread_once(&stripes_once, stripes_init);
    gate_stripe *s = &stripes[stripe_of(id)];
    p->id = id;
    p->held = -1;
    if (gate_settled(id))
        return true;
    struct timespec until = monotonic_after_ms(wait_ms);
    int rc;
    while ((rc = pthread_mutex_clocklock(&s->mu, CLOCK_MONOTONIC, &until)) == EINTR)
        ;
    if (rc != 0)
        return false; /* ETIMEDOUT */
    if (gate_settled(id)) {
        /* settled while this one waited (the rush's last seat went): the
         * requests queued behind it go on side by side, not one by one */
        pthread_mutex_unlock(&s->mu);
        return true;
    }
    p->held = stripe_of(id);
    return true;
}

void gate_leave(gate_pass *p, int status)
{
    gate_stripe *s = &stripes[stripe_of(p->id)];
    long long id = p->id;
    if (status == 409)
        atomic_store(&s->settled, id);
    else if (status >= 200 && status < 300)
        atomic_compare_exchange_strong(&s->settled, &id, 0);
    if (p->held >= 0)
        pthread_mutex_unlock(&s->mu);
    p->held = -1;
}
