/* A per-request bump allocator: everything a request allocates here dies
 * together in arena_reset(), so handlers never free individual strings. */
#ifndef STVS_ARENA_H
#define STVS_ARENA_H
#include <stddef.h>

typedef struct arena_block arena_block;
typedef struct {
    arena_block *head;
} arena_t;

void *arena_alloc(arena_t *a, size_t n);          /* zeroed; NULL only on OOM */
char *arena_strndup(arena_t *a, const char *s, size_t n);
char *arena_printf(arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void arena_reset(arena_t *a);                      /* keeps the first block */
void arena_free(arena_t *a);

#endif
