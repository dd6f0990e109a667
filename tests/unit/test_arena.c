/* Unit tests for the request arena under memory pressure (common/arena.c)
 * and for what a NULL from it must never become: an SQL NULL. An arena with
 * a tiny cap stands in for a machine out of memory. id_str() and
 * arena_printf() then return NULL and mark the arena failed; db_exec and
 * db_commit refuse to run for a request whose arena has failed (500), so an
 * id that could not be printed never reaches PostgreSQL as NULL (a code
 * never burnt, a row never matched). */
#include "check.h"
#include "http.h"

#include <stdio.h>
#include <string.h>

static bool streq(const char *a, const char *b) { return a && b && !strcmp(a, b); }

/* A database nobody listens on: a statement that does try to run answers
 * 503 (unavailable); one refused for a lost parameter answers 500. */
static void req_with_db(req_t *r, db_t *db, size_t cap)
{
    static const db_stmt stmts[] = {{.name = "burn", .sql = "SELECT $1::bigint AS id"}};
    memset(r, 0, sizeof *r);
    db_init(db, "host=/nonexistent/stvs-unit-test port=1 connect_timeout=1", "unit", stmts, 1, 0);
    db->param_arena = &r->arena;
    r->db = db;
    r->arena.cap = cap;
}

static void req_done(req_t *r)
{
    json_decref(r->json);
    json_decref(r->resp);
    json_decref(r->field_errors);
    db_close(r->db);
    arena_free(&r->arena);
}

static const char *problem_code(const req_t *r)
{
    return json_string_value(json_object_get(r->resp, "code"));
}

static void test_cap(void)
{
    arena_t a = {.cap = 64};
    CHECK("arena: an allocation within the cap succeeds", arena_alloc(&a, 48) != NULL && !arena_failed(&a));
    CHECK("arena: an allocation past the cap is NULL", arena_alloc(&a, 32) == NULL);
    CHECK("arena: a NULL for want of memory marks the arena failed", arena_failed(&a));
    CHECK("arena: a smaller allocation still fits, the arena stays failed",
          arena_alloc(&a, 16) != NULL && arena_failed(&a));
    arena_reset(&a);
    CHECK("arena: reset clears failed and keeps the cap", !arena_failed(&a) && a.cap == 64 && a.given == 0);
    CHECK("arena: after reset the whole cap is usable again", arena_alloc(&a, 64) != NULL && !arena_failed(&a));
    CHECK("arena: a size that overflows when rounded is NULL and failed",
          arena_alloc(&a, (size_t)-1) == NULL && arena_failed(&a));
    arena_free(&a);

    arena_t big = {0};
    arena_alloc(&big, 1 << 20); /* an upload read first */
    arena_reset(&big);
    CHECK("arena: a large first block is not kept by an idle arena", big.head == NULL);
    arena_alloc(&big, 10);
    arena_reset(&big);
    CHECK("arena: an ordinary first block is kept for the next request", big.head != NULL);
    arena_free(&big);

    arena_t b = {.cap = 32};
    CHECK("arena_printf: fits under the cap", streq(arena_printf(&b, "%d", 12345), "12345"));
    CHECK("arena_printf: past the cap is NULL and marks failed",
          arena_printf(&b, "%s", "a string far longer than the thirty-two bytes of this arena") == NULL &&
              arena_failed(&b));
    CHECK("arena_strndup: past the cap is NULL", arena_strndup(&b, "0123456789012345678901234567890123", 34) == NULL);
    arena_free(&b);

    arena_t c = {0};
    CHECK("arena: cap 0 means no limit", arena_alloc(&c, 1 << 20) != NULL && !arena_failed(&c));
    arena_free(&c);
}

static void test_id_str_null_never_becomes_sql_null(void)
{
    req_t r;
    db_t db;

    /* Control: a healthy arena; the statement does try to run and finds the
     * database down. */
    req_with_db(&r, &db, 0);
    const char *id = id_str(&r, 42);
    CHECK("id_str prints the id", streq(id, "42"));
    PGresult *res = db_query_or_reply(&r, 0, 1, (const char *[]){id});
    CHECK("control: with a healthy arena the statement runs and finds the database down (503)",
          !res && r.status == 503 && streq(problem_code(&r), "unavailable"));
    req_done(&r);

    /* Memory pressure: the arena is full, id_str() is NULL. */
    req_with_db(&r, &db, 16);
    CHECK("a 16-byte allocation fills the arena", arena_alloc(&r.arena, 16) != NULL);
    id = id_str(&r, 1234567890123LL);
    CHECK("id_str under memory pressure is NULL", id == NULL);
    CHECK("id_str under memory pressure marks the request's arena failed", arena_failed(&r.arena));
    res = db_query_or_reply(&r, 0, 1, (const char *[]){id});
    CHECK("db_query_or_reply refuses a statement whose parameter was lost: 500 internal, not run",
          !res && r.status == 500 && streq(problem_code(&r), "internal") && db.last == DB_ERROR);
    CHECK("the refused statement never reached the database (no connection was tried)", db.conn == NULL);
    req_done(&r);

    req_with_db(&r, &db, 16);
    arena_alloc(&r.arena, 16);
    id = id_str(&r, 7);
    CHECK("db_exec refuses directly too (services that call it themselves)",
          db_exec(&db, 0, 1, (const char *[]){id}) == NULL && db.last == DB_ERROR && db.conn == NULL);
    CHECK("db_do_or_reply refuses: 500", !db_do_or_reply(&r, 0, 1, (const char *[]){id}) && r.status == 500);
    req_done(&r);

    /* A transaction whose request ran out of memory is not committed. */
    req_with_db(&r, &db, 16);
    db.in_tx = true;
    arena_alloc(&r.arena, 32);
    CHECK("db_commit_or_reply after an allocation failure: 500, rolled back, not committed",
          !db_commit_or_reply(&r) && r.status == 500 && !db.in_tx && db.last == DB_ERROR);
    req_done(&r);

    /* The cap counts per request: a reset request has its whole budget back. */
    req_with_db(&r, &db, 64);
    arena_alloc(&r.arena, 80);
    arena_reset(&r.arena);
    CHECK("after arena_reset, id_str works again", streq(id_str(&r, 9), "9") && !arena_failed(&r.arena));
    req_done(&r);
}

static void test_reply_page_with_lost_limit_is_500(void)
{
    req_t r;
    db_t db;
    paging_t pg = {1, 20, 0};
    const char *params[3] = {"x", NULL, NULL};
    req_with_db(&r, &db, 16);
    arena_alloc(&r.arena, 16);
    reply_page(&r, 0, 0, 1, params, &pg, NULL);
    CHECK("reply_page whose LIMIT could not be printed answers 500 without running",
          r.status == 500 && streq(problem_code(&r), "internal") && db.conn == NULL);
    req_done(&r);
}

/* common's statements (common_sql.c) run only on a connection whose service
 * opted in; any other id is refused before anything connects (a 500). */
static void test_common_statements_need_the_opt_in(void)
{
    req_t r;
    db_t db;
    req_with_db(&r, &db, 0);
    CHECK("db: a common statement not opted in is refused, not run",
          db_exec(&db, SQL_COMMON_REGION, 1, (const char *[]){"410000"}) == NULL && db.last == DB_ERROR);
    CHECK("db: an id past the service's table is refused", db_exec(&db, 1, 0, NULL) == NULL && db.last == DB_ERROR);
    CHECK("db: an id past common's table is refused",
          db_exec(&db, SQL_COMMON__END, 0, NULL) == NULL && db.last == DB_ERROR);
    req_done(&r);
    db_init(&db, "host=/nonexistent/stvs-unit-test port=1 connect_timeout=1", "unit", NULL, 0, COMMON_SQL_REGION);
    CHECK("db: an opted-in common statement tries to run (no database here: unavailable)",
          db_exec(&db, SQL_COMMON_REGION, 1, (const char *[]){"410000"}) == NULL && db.last == DB_UNAVAILABLE);
    CHECK("db: the other common statement stays refused",
          db_exec(&db, SQL_COMMON_VOLUNTEER_OF_USER, 1, (const char *[]){"1"}) == NULL && db.last == DB_ERROR);
    db_close(&db);
    CHECK("common_sql: every row has a name and a statement",
          common_sql[SQL_COMMON_REGION - DB_COMMON_STMT].sql && common_sql[SQL_COMMON_VOLUNTEER_OF_USER - DB_COMMON_STMT].name);
}

int main(void)
{
    test_cap();
    test_id_str_null_never_becomes_sql_null();
    test_reply_page_with_lost_limit_is_500();
    test_common_statements_need_the_opt_in();
    return CHECK_DONE();
}
