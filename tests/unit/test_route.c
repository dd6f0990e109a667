/* Unit tests for common/route.c: route_match() over a route table.
 * Literal segments, {id} captures (scan_id(): a positive integer of 1..18
 * digits without a leading zero), 404 for unknown paths, 405 with a de-duplicated Allow
 * list, and table order as precedence. */
#include "check.h"
#include "route.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>



static void h(req_t *r) { (void)r; }

static const route_t routes[] = {
    /*  0 */ {"GET", "/auth/me", h, ROUTE_AUTH},
    /*  1 */ {"POST", "/auth/sessions", h, 0},
    /*  2 */ {"GET", "/users/me", h, ROUTE_AUTH},
    /*  3 */ {"GET", "/users/{id}", h, 0},
    /*  4 */ {"PUT", "/users/{id}", h, 0},
    /*  5 */ {"DELETE", "/users/{id}", h, 0},
    /*  6 */ {"GET", "/orgs/{id}/members/{id}", h, 0},
    /*  7 */ {"POST", "/orgs/{id}/members", h, 0},
    /*  8 */ {"GET", "/orgs/{id}/members", h, 0},
    /*  9 */ {"GET", "/things/{id}", h, 0},
    /* 10 */ {"POST", "/things/{id}", h, 0},
    /* 11 */ {"GET", "/things/7", h, 0},      /* shadowed by 9; a second GET for /things/7 */
    /* 12 */ {"POST", "/things/{id}", h, 0},  /* a second POST */
    /* 13 */ {"GET", "/w/{id}/x/{id}/y/{id}/z/{id}", h, 0},
    /* 14 */ {"GET", "/a/{id}/b/{id}/c/{id}/d/{id}/e/{id}", h, 0}, /* 5 ids: more than MAX_PATH_PARAMS */
    /* 15 */ {"GET", "/", h, 0},
};

typedef struct {
    const char *name;   /* what the row proves */
    const char *method, *path;
    route_result want;
    int index;          /* ROUTE_FOUND: which route */
    int nids;
    long long ids[MAX_PATH_PARAMS];
    const char *allow;  /* ROUTE_BAD_METHOD: the Allow list */
} route_case;

#define FOUND(n, m, p, i, k, ...) {n, m, p, ROUTE_FOUND, i, k, {__VA_ARGS__}, NULL}
#define NOTFOUND(n, m, p) {n, m, p, ROUTE_NOT_FOUND, -1, 0, {0}, NULL}
#define BADMETHOD(n, m, p, a) {n, m, p, ROUTE_BAD_METHOD, -1, 0, {0}, a}

static const route_case cases[] = {
    /* literals */
    FOUND("literal path matches", "GET", "/auth/me", 0, 0, 0),
    FOUND("second literal route matches", "POST", "/auth/sessions", 1, 0, 0),
    FOUND("root path matches its literal route", "GET", "/", 15, 0, 0),
    NOTFOUND("unknown path is 404", "GET", "/auth/nope"),
    NOTFOUND("unknown first segment is 404", "GET", "/nope/me"),
    NOTFOUND("literal with a trailing slash is 404", "GET", "/auth/me/"),
    NOTFOUND("literal prefix of a path is 404", "GET", "/auth"),
    NOTFOUND("longer literal is 404", "GET", "/auth/mex"),
    NOTFOUND("shorter literal is 404", "GET", "/auth/m"),
    NOTFOUND("extra segment is 404", "GET", "/auth/me/x"),
    NOTFOUND("empty segment in the middle is 404", "GET", "/auth//me"),
    NOTFOUND("leading double slash is 404", "GET", "//auth/me"),
    NOTFOUND("segments are case-sensitive", "GET", "/auth/ME"),
    NOTFOUND("empty path is 404", "GET", ""),
    NOTFOUND("path without a leading slash is 404", "GET", "auth/me"),

    /* {id} */
    FOUND("{id} captures a positive integer", "GET", "/users/5", 3, 1, 5),
    FOUND("{id} captures with the route's method", "PUT", "/users/42", 4, 1, 42),
    FOUND("{id} of 18 digits (max) captured exactly", "GET", "/users/999999999999999999", 3, 1,
          999999999999999999LL),
    FOUND("{id} of 18 digits starting with 1", "GET", "/users/100000000000000000", 3, 1, 100000000000000000LL),
    NOTFOUND("{id} of 19 digits is 404", "GET", "/users/1000000000000000000"),
    NOTFOUND("{id} of INT64_MAX (19 digits) is 404", "GET", "/users/9223372036854775807"),
    NOTFOUND("{id} 0 is 404", "GET", "/users/0"),
    NOTFOUND("{id} with a leading zero is 404", "GET", "/users/05"),
    NOTFOUND("{id} negative is 404", "GET", "/users/-5"),
    NOTFOUND("{id} with a plus sign is 404", "GET", "/users/+5"),
    NOTFOUND("{id} with trailing letters is 404", "GET", "/users/5a"),
    NOTFOUND("{id} with a space is 404", "GET", "/users/5%20"),
    NOTFOUND("{id} in hex is 404", "GET", "/users/0x10"),
    NOTFOUND("empty {id} is 404", "GET", "/users/"),
    NOTFOUND("{id} route without the id is 404", "GET", "/users"),
    NOTFOUND("{id} with a trailing slash is 404", "GET", "/users/5/"),
    NOTFOUND("non-id word where {id} is expected is 404", "GET", "/users/you"),

    /* "me" vs {id}: a literal never parses as an id; table order otherwise decides */
    FOUND("\"me\" reaches the literal route, not {id}", "GET", "/users/me", 2, 0, 0),
    BADMETHOD("PUT /users/me is not PUT /users/{id}", "PUT", "/users/me", "GET"),
    FOUND("the earlier {id} route shadows a later literal (table order)", "GET", "/things/7", 9, 1, 7),

    /* several ids */
    FOUND("two ids captured in order", "GET", "/orgs/12/members/34", 6, 2, 12, 34),
    FOUND("four ids (MAX_PATH_PARAMS) captured in order", "GET", "/w/1/x/22/y/333/z/4444", 13, 4, 1, 22, 333, 4444),
    NOTFOUND("more ids than MAX_PATH_PARAMS never match", "GET", "/a/1/b/2/c/3/d/4/e/5"),
    NOTFOUND("second id invalid is 404", "GET", "/orgs/12/members/0"),
    FOUND("POST on the members collection", "POST", "/orgs/9/members", 7, 1, 9),

    /* 405 */
    BADMETHOD("known path, other method: 405 with Allow", "POST", "/auth/me", "GET"),
    BADMETHOD("Allow lists every method of the path in table order", "POST", "/users/5", "GET, PUT, DELETE"),
    BADMETHOD("Allow is de-duplicated (two GET and two POST routes match)", "DELETE", "/things/7", "GET, POST"),
    BADMETHOD("Allow for a collection", "DELETE", "/orgs/9/members", "POST, GET"),
    BADMETHOD("methods are case-sensitive", "get", "/auth/me", "GET"),
    BADMETHOD("HEAD is not implied by GET", "HEAD", "/auth/me", "GET"),
    NOTFOUND("bad method on an unknown path is 404, not 405", "DELETE", "/nope"),
};

static void test_table(void)
{
    for (size_t i = 0; i < NELEM(cases); i++) {
        const route_case *c = &cases[i];
        req_t r;
        memset(&r, 0, sizeof r);
        r.method = c->method;
        r.path = c->path;
        const route_t *found = NULL;
        char allow[64];
        memset(allow, 'x', sizeof allow);
        route_result res = route_match(routes, NELEM(routes), &r, &found, allow, sizeof allow);
        bool ok = res == c->want;
        if (ok && res == ROUTE_FOUND) {
            ok = found == &routes[c->index] && r.npath_ids == c->nids;
            for (int k = 0; ok && k < c->nids; k++)
                ok = r.path_ids[k] == c->ids[k];
        } else if (ok && res == ROUTE_BAD_METHOD) {
            ok = !strcmp(allow, c->allow) && found == NULL;
        } else if (ok) {
            ok = found == NULL;
        }
        if (!ok)
            fprintf(stderr, "  %s %s: result %d, route %td, nids %d, allow \"%.*s\"\n", c->method, c->path, (int)res,
                    found ? found - routes : -1, r.npath_ids, (int)sizeof allow, allow);
        CHECK(c->name, ok);
    }
}

/* The other precedence order: {id} listed before "me" still lets "me" through. */
static void test_order(void)
{
    static const route_t id_first[] = {
        {"GET", "/users/{id}", h, 0},
        {"GET", "/users/me", h, 0},
        {"GET", "/users/7", h, 0},
    };
    static const route_t literal_first[] = {
        {"GET", "/users/7", h, 0},
        {"GET", "/users/{id}", h, 0},
    };
    req_t r;
    const route_t *found = NULL;
    char allow[32];
    memset(&r, 0, sizeof r);
    r.method = "GET";
    r.path = "/users/me";
    CHECK("{id} listed first: \"me\" still reaches the literal",
          route_match(id_first, NELEM(id_first), &r, &found, allow, sizeof allow) == ROUTE_FOUND &&
              found == &id_first[1]);
    r.path = "/users/7";
    CHECK("{id} listed first: it wins over a later literal /users/7",
          route_match(id_first, NELEM(id_first), &r, &found, allow, sizeof allow) == ROUTE_FOUND &&
              found == &id_first[0] && r.npath_ids == 1 && r.path_ids[0] == 7);
    memset(&r, 0, sizeof r);
    r.method = "GET";
    r.path = "/users/7";
    CHECK("literal listed first: it wins over {id} and captures nothing",
          route_match(literal_first, NELEM(literal_first), &r, &found, allow, sizeof allow) == ROUTE_FOUND &&
              found == &literal_first[0] && r.npath_ids == 0);
}

/* A small Allow buffer is never overrun and stays a terminated string. */
static void test_small_allow(void)
{
    static const size_t sizes[] = {1, 2, 4, 6, 9, 12};
    for (size_t i = 0; i < NELEM(sizes); i++) {
        struct {
            char buf[16];
            char canary[8];
        } a;
        memset(&a, '#', sizeof a);
        req_t r;
        const route_t *found = NULL;
        memset(&r, 0, sizeof r);
        r.method = "POST";
        r.path = "/users/5";
        route_result res = route_match(routes, NELEM(routes), &r, &found, a.buf, sizes[i]);
        bool ok = res == ROUTE_BAD_METHOD && memchr(a.buf, '\0', sizes[i]) != NULL;
        for (size_t k = sizes[i]; k < sizeof a.buf; k++)
            ok = ok && a.buf[k] == '#';
        char name[80];
        snprintf(name, sizeof name, "Allow buffer of %zu bytes is not overrun and is terminated", sizes[i]);
        CHECK(name, ok);
    }
}

/* The captured ids of a failed later match do not leak into r. */
static void test_ids_reset(void)
{
    req_t r;
    const route_t *found = NULL;
    char allow[64];
    memset(&r, 0, sizeof r);
    r.method = "GET";
    r.path = "/users/5";
    route_match(routes, NELEM(routes), &r, &found, allow, sizeof allow);
    r.path = "/auth/me";
    CHECK("a literal match sets npath_ids to 0 after an {id} match",
          route_match(routes, NELEM(routes), &r, &found, allow, sizeof allow) == ROUTE_FOUND && r.npath_ids == 0);
}

int main(void)
{
    test_table();
    test_order();
    test_small_allow();
    test_ids_reset();
    return CHECK_DONE();
}
