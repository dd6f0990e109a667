/* One request at a time per row, in this process (route flag
 * ROUTE_ONE_AT_A_TIME): the requests that would all update one row (a
 * sign-up rush on one activity) wait here, before they take a pool
 * connection, instead of in PostgreSQL on the row's lock.
 *
 * Why: updaters queued on a row's lock keep its page pinned, so PostgreSQL
 * cannot prune the row's dead versions and most updates stop being HOT:
 * each then writes an entry into every index of the table (activities has
 * 30). Measured on the bench dataset, 500 sign-ups of one activity from 4
 * connections at once: 72-97 of 500 updates HOT, 667-689 a second; from one
 * connection: 493-500 HOT, 1,185-1,255 a second (bench/ANALYSIS.md,
 * "Session 9"). And the queue no longer holds every pool connection, so
 * reads and other activities' writes go on meanwhile.
 *
 * A row whose last request here was refused with 409 (full, closed: nothing
 * written) is "settled": requests for it skip the wait until one of them
 * succeeds (2xx: a seat was freed, or taken), so the refusals of a rush run
 * side by side, those already waiting when it settles included (each lets
 * the next in at once). The gate only orders requests; PostgreSQL still decides
 * every answer, so a stale "settled" costs speed, never correctness. Rows
 * share a gate when their ids fall in the same one of GATE_STRIPES. */
#ifndef STVS_GATE_H
#define STVS_GATE_H
#include <stdbool.h>

#define GATE_STRIPES 256

typedef struct {
    long long id;
    int held; /* the stripe held, or -1 (settled: not waited for) */
} gate_pass;

/* Waits up to wait_ms for id's gate (or not at all for a settled row);
 * false when the time ran out (the caller answers 503, as for the pool). */
bool gate_enter(gate_pass *p, long long id, long wait_ms);
/* Whether id's row is settled now (its last answer here a 409): a handler
 * may first ask, read-only, whether it refuses again. */
bool gate_settled(long long id);
/* After the answer's status is known: marks the row settled (409) or not
 * (2xx), and lets the next request in. */
void gate_leave(gate_pass *p, int status);

#endif
