/* Unit tests for what a statement's table row decides about its failures
 * (common/http.c: db_refusal_find, reply_db_error) and for the request as
 * the one owner of what it allocates (req_own, json_param, arena_on_reset).
 * No database: a db_t is set as db_exec leaves it after a failure. */
#include "check.h"
#include "http.h"

#include <string.h>


static bool streq(const char *a, const char *b) { return a && b && !strcmp(a, b); }

enum { S_PLAIN, S_NAMED, S_ANY, S_FIELD, S__MAX };
static const db_stmt stmts[S__MAX] = {
    [S_PLAIN] = {"plain", "SELECT 1"},
    [S_NAMED] = {"named", "SELECT 1",
                 .refusals = DB_REFUSALS({DB_UNIQUE, "t_name_unique", ERR_ALREADY_EXISTS, "name taken", NULL},
                                      {DB_UNIQUE, "t_code_unique", ERR_ALREADY_EXISTS, "code taken", NULL})},
    [S_ANY] = {"any", "SELECT 1", .refusals = DB_REFUSALS({DB_UNIQUE, NULL, ERR_ALREADY_SIGNED_UP, "signed", NULL},
                                                       {DB_FOREIGN_KEY, NULL, ERR_CONFLICT, "in use", NULL})},
    [S_FIELD] = {"field", "SELECT 1",
                 .refusals = DB_REFUSALS({DB_FOREIGN_KEY, "t_region_fk", ERR_NOT_FOUND, "no such region", "region_code"})},
};

/* The answer to a failure of stmt with (status, constraint). */
static void answer(req_t *r, db_t *db, int stmt, db_status status, const char *constraint)
{
    memset(r, 0, sizeof *r);
    db_init(db, "", "unit", stmts, S__MAX, 0);
    db->failed_stmt = stmt;
    db->last = status;
    snprintf(db->constraint, sizeof db->constraint, "%s", constraint);
    r->db = db;
    reply_db_error(r);
}

static const char *code_of(const req_t *r) { return json_string_value(json_object_get(r->resp, "code")); }
static const char *detail_of(const req_t *r) { return json_string_value(json_object_get(r->resp, "detail")); }

static void req_done(req_t *r)
{
    json_decref(r->json);
    json_decref(r->resp);
    json_decref(r->field_errors);
    arena_free(&r->arena);
}

static void test_reply_db_error(void)
{
    static const struct {
        const char *name;
        int stmt;
        db_status status;
        const char *constraint;
        int want_status;
        const char *want_code, *want_detail;
    } cases[] = {
        {"a named constraint answers its problem", S_NAMED, DB_UNIQUE, "t_name_unique", 409, "already_exists",
         "name taken"},
        {"the second named constraint answers its own", S_NAMED, DB_UNIQUE, "t_code_unique", 409, "already_exists",
         "code taken"},
        {"an unlisted constraint of the class is a bug (500)", S_NAMED, DB_UNIQUE, "t_other_unique", 500, "internal",
         NULL},
        {"a listed constraint of another class is a bug (500)", S_NAMED, DB_FOREIGN_KEY, "t_name_unique", 500,
         "internal", NULL},
        {"a NULL constraint matches any of its class", S_ANY, DB_UNIQUE, "whatever", 409, "already_signed_up",
         "signed"},
        {"the list is read past its first row", S_ANY, DB_FOREIGN_KEY, "", 409, "conflict", "in use"},
        {"a statement without refusals: a violation is a bug (500)", S_PLAIN, DB_UNIQUE, "t_name_unique", 500,
         "internal", NULL},
        {"the database down is 503 whatever the refusals", S_ANY, DB_UNAVAILABLE, "", 503, "unavailable", NULL},
        {"a write on a standby (25006) is 503, not 500", S_PLAIN, DB_READ_ONLY, "", 503, "unavailable",
         "the database takes no writes right now; try again shortly"},
        {"an unexpected check violation is still 422", S_PLAIN, DB_CHECK, "t_check", 422, "validation_failed",
         NULL},
        {"a failure of no statement (COMMIT) reads no row", -1, DB_UNIQUE, "t_name_unique", 500, "internal", NULL},
        {"a statement index out of range reads no row", S__MAX, DB_UNIQUE, "t_name_unique", 500, "internal", NULL},
    };
    for (size_t i = 0; i < NELEM(cases); i++) {
        req_t r;
        db_t db;
        answer(&r, &db, cases[i].stmt, cases[i].status, cases[i].constraint);
        bool ok = r.replied && r.status == cases[i].want_status && streq(code_of(&r), cases[i].want_code) &&
                  (!cases[i].want_detail || streq(detail_of(&r), cases[i].want_detail));
        CHECK(cases[i].name, ok);
        req_done(&r);
    }

    req_t r;
    db_t db;
    answer(&r, &db, S_FIELD, DB_FOREIGN_KEY, "t_region_fk");
    json_t *e = json_array_get(json_object_get(r.resp, "errors"), 0);
    CHECK("a refusal with a field is a 422 naming it, its code and message",
          r.status == 422 && streq(json_string_value(json_object_get(e, "field")), "region_code") &&
              streq(json_string_value(json_object_get(e, "code")), "not_found") &&
              streq(json_string_value(json_object_get(e, "message")), "no such region"));
    req_done(&r);

    answer(&r, &db, S_PLAIN, DB_READ_ONLY, "");
    CHECK("a write on a standby answers Retry-After", r.nheaders == 1 && streq(r.headers[0].name, "Retry-After"));
    req_done(&r);

    CHECK("db_refusal_find on no list finds nothing", !db_refusal_find(NULL, DB_UNIQUE, "x"));
    CHECK("db_refusal_find never matches DB_OK",
          !db_refusal_find(stmts[S_ANY].refusals, DB_OK, "") && !db_refusal_find(stmts[S_ANY].refusals, DB_ERROR, ""));
}

static int cleaned;
static void count_cleanup(void *p) { cleaned += *(int *)p; }

static void test_ownership(void)
{
    req_t r;
    memset(&r, 0, sizeof r);
    int one = 1, ten = 10;
    CHECK("arena_on_reset registers", arena_on_reset(&r.arena, count_cleanup, &one) &&
                                          arena_on_reset(&r.arena, count_cleanup, &ten));
    arena_reset(&r.arena);
    CHECK("arena_reset runs every cleanup once", cleaned == 11);
    arena_reset(&r.arena);
    CHECK("a second reset runs none again", cleaned == 11);
    arena_on_reset(&r.arena, count_cleanup, &one);
    arena_free(&r.arena);
    CHECK("arena_free runs the cleanups too", cleaned == 12);

    json_t *v = json_pack("{s:[i, i], s:s}", "a", 1, 2, "b", "é");
    char *text = json_param(&r, v);
    CHECK("json_param writes compact JSON into the arena", streq(text, "{\"a\":[1,2],\"b\":\"é\"}"));
    CHECK("json_param(NULL) is NULL (SQL NULL) and no failure", !json_param(&r, NULL) && !arena_failed(&r.arena));
    CHECK("req_own returns the value it keeps", req_own(&r, v) == v);
    json_incref(v);
    arena_reset(&r.arena);
    CHECK("the request's reset drops its reference", v->refcount == 1);
    json_decref(v);

    CHECK("req_own(NULL) owns nothing and fails nothing", !req_own(&r, NULL) && !arena_failed(&r.arena));
    arena_reset(&r.arena);

    r.arena.cap = 16;
    json_t *big = json_pack("{s:s}", "k", "a value longer than the arena's cap");
    CHECK("json_param past the cap is NULL with the arena failed",
          !json_param(&r, big) && arena_failed(&r.arena));
    arena_reset(&r.arena);
    r.arena.cap = 0;
    json_t *cap_v = json_array();
    r.arena.cap = 1; /* no room for the cleanup's record */
    CHECK("req_own without room releases the value and fails", !req_own(&r, cap_v) && arena_failed(&r.arena));
    r.arena.cap = 0;
    json_decref(big);
    arena_free(&r.arena);
}

/* A result of one text column "c" and one row holding text (NULL: SQL NULL),
 * made by libpq without a server. */
static PGresult *one_value(const char *text)
{
    PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
    PGresAttDesc col = {.name = "c", .typid = 25, .typlen = -1, .atttypmod = -1};
    if (!res || !PQsetResultAttrs(res, 1, &col) || !PQsetvalue(res, 0, 0, (char *)text, text ? (int)strlen(text) : -1)) {
        PQclear(res);
        return NULL;
    }
    return res;
}

static void test_db_json(void)
{
    PGresult *res = one_value("{\"code\":\"110101\",\"names\":[\"北京市\"]}");
    json_t *fb = json_array(), *v = db_json(res, 0, "c", fb);
    CHECK("db_json reads a JSON column as a value",
          json_is_object(v) && streq(json_string_value(json_object_get(v, "code")), "110101"));
    json_decref(v);
    PQclear(res);

    res = one_value(NULL);
    fb = json_array();
    CHECK("db_json of SQL NULL is the fallback", res && db_json(res, 0, "c", fb) == fb);
    json_decref(fb);
    PQclear(res);

    res = one_value("not json");
    CHECK("db_json of text that is not JSON is the fallback", res && db_json(res, 0, "c", json_null()) == json_null());
    fb = json_array();
    CHECK("db_json of a column the result lacks is the fallback", res && db_json(res, 0, "x", fb) == fb);
    json_decref(fb);
    PQclear(res);
}

int main(void)
{
    test_reply_db_error();
    test_ownership();
    test_db_json();
    return CHECK_DONE();
}
