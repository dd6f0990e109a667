#include "arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_SIZE 16384

struct arena_block {
    arena_block *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

struct arena_cleanup {
    arena_cleanup *next;
    void (*fn)(void *);
    void *p;
};

static arena_block *block_new(size_t cap)
{
    arena_block *b = malloc(sizeof *b + cap);
    if (!b)
        return NULL;
    b->next = NULL;
    b->used = 0;
    b->cap = cap;
    return b;
}

static void *fail(arena_t *a)
{
    a->failed = true;
    return NULL;
}

void *arena_alloc(arena_t *a, size_t n)
{
    size_t need = (n + 15) & ~(size_t)15;
    if (need < n || (a->cap && (need > a->cap || a->given > a->cap - need)))
        return fail(a);
    arena_block *b = a->head;
    if (!b || b->cap - b->used < need) {
        size_t cap = need > BLOCK_SIZE ? need : BLOCK_SIZE;
        arena_block *nb = block_new(cap);
        if (!nb)
            return fail(a);
        nb->next = b;
        a->head = nb;
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += need;
    a->given += need;
    memset(p, 0, n);
    return p;
}

char *arena_strndup(arena_t *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_printf(arena_t *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return fail(a);
    char *p = arena_alloc(a, (size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

bool arena_failed(const arena_t *a) { return a->failed; }

void arena_fail(arena_t *a) { a->failed = true; }

bool arena_on_reset(arena_t *a, void (*fn)(void *), void *p)
{
    arena_cleanup *c = arena_alloc(a, sizeof *c);
    if (!c) {
        fn(p);
        return false;
    }
    *c = (arena_cleanup){a->cleanups, fn, p};
    a->cleanups = c;
    return true;
}

/* Before the blocks holding the list are reused or freed. */
static void run_cleanups(arena_t *a)
{
    for (arena_cleanup *c = a->cleanups; c; c = c->next)
        c->fn(c->p);
    a->cleanups = NULL;
}

void arena_reset(arena_t *a)
{
    run_cleanups(a);
    arena_block *b = a->head;
    a->given = 0;
    a->failed = false;
    if (!b)
        return;
    /* Keep the oldest block (the usual working set) if it is an ordinary
     * one: a large first allocation (an upload) is not kept by each of 64
     * idle threads. Free the rest. */
    while (b->next) {
        arena_block *next = b->next;
        free(b);
        b = next;
    }
    if (b->cap > BLOCK_SIZE) {
        free(b);
        a->head = NULL;
        return;
    }
    b->used = 0;
    a->head = b;
}

void arena_free(arena_t *a)
{
    run_cleanups(a);
    arena_block *b = a->head;
    while (b) {
        arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->given = 0;
    a->failed = false;
}
