/* A per-request bump allocator: everything a request allocates here dies
 * together in arena_reset(), so handlers never free individual strings. */
#ifndef STVS_ARENA_H
#define STVS_ARENA_H
#include <stdbool.h>
#include <stddef.h>

typedef struct arena_block arena_block;
typedef struct arena_cleanup arena_cleanup;
typedef struct {
    arena_block *head;
    arena_cleanup *cleanups; /* run by arena_reset/arena_free, newest first */
    size_t cap;   /* 0: no limit; else the most bytes handed out between resets */
    size_t given; /* bytes handed out since the last reset */
    bool failed;  /* an allocation failed since the last reset (sticky) */
} arena_t;

/* Every function returning NULL for want of memory also marks the arena
 * failed: a NULL that came from here must never pass for a value (an SQL
 * NULL, an absent field), so the request's users check arena_failed(). */
void *arena_alloc(arena_t *a, size_t n);          /* zeroed; NULL only on OOM or past cap */
char *arena_strndup(arena_t *a, const char *s, size_t n);
char *arena_printf(arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool arena_failed(const arena_t *a);
/* Marks the arena failed for a value the request could not make elsewhere
 * (jansson out of memory), so it is treated as an allocation that failed. */
void arena_fail(arena_t *a);
/* Hands the arena something allocated elsewhere (nginx's pool cleanup): fn(p)
 * runs at the next arena_reset or arena_free. False when it could not be
 * registered (out of memory): fn(p) has then run already. */
bool arena_on_reset(arena_t *a, void (*fn)(void *), void *p);
void arena_reset(arena_t *a);                      /* runs the cleanups; keeps the first block and the cap; clears failed */
void arena_free(arena_t *a);

#endif
