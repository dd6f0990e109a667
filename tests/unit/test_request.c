/* Unit tests for common/request.c, table-driven: url_decode's edge cases
 * (+, %zz, a % cut off at the end, %00), the query string's split and its
 * 422s (too many parameters, control characters), the Content-Type test,
 * the body's Content-Length rules and the bearer header's shape. */
#include "check.h"
#include "request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void req_done(req_t *r)
{
    json_decref(r->json);
    json_decref(r->resp);
    json_decref(r->field_errors);
    arena_free(&r->arena);
    memset(r, 0, sizeof *r);
}

static void test_url_decode(void)
{
    static const struct {
        const char *in, *out;
        size_t len;
    } c[] = {
        {"", "", 0},
        {"abc", "abc", 3},
        {"a+b", "a b", 3},
        {"a%20b", "a b", 3},
        {"%41%4a%4A", "AJJ", 3},
        {"%e4%b8%ad", "\xe4\xb8\xad", 3},
        {"%2B", "+", 1},
        {"%zz", "%zz", 3},           /* not hex: kept */
        {"%4", "%4", 2},             /* cut off at the end: kept */
        {"%", "%", 1},
        {"a%", "a%", 2},
        {"%%41", "%A", 2},
        {"%00", "\0", 1},            /* longer than strlen(): the caller refuses it */
        {"a%00b", "a\0b", 3},
        {"100%25", "100%", 4},
    };
    for (size_t i = 0; i < NELEM(c); i++) {
        arena_t a = {0};
        size_t len = 99;
        char *out = url_decode(&a, c[i].in, strlen(c[i].in), &len);
        char name[64];
        snprintf(name, sizeof name, "url_decode(\"%s\")", c[i].in);
        CHECK(name, out && len == c[i].len && !memcmp(out, c[i].out, len) && out[len] == '\0');
        arena_free(&a);
    }
    arena_t a = {0};
    size_t len;
    char *out = url_decode(&a, "ab%41cd", 5, &len); /* only n bytes: "ab%41" */
    CHECK("url_decode reads only its n bytes", out && len == 3 && !strcmp(out, "abA"));
    arena_free(&a);
}

/* "k=v,k=v" of r->query and "field:code,..." of its errors. */
static void query_text(const req_t *r, char *kv, size_t kvlen, char *errs, size_t errlen)
{
    size_t used = 0, i;
    kv[0] = errs[0] = '\0';
    for (int q = 0; q < r->nquery; q++)
        used += (size_t)snprintf(kv + used, used < kvlen ? kvlen - used : 0, "%s%s=%s", q ? "," : "", r->query[q].name,
                                 r->query[q].value);
    used = 0;
    const json_t *e;
    json_array_foreach(r->field_errors, i, e)
        used += (size_t)snprintf(errs + used, used < errlen ? errlen - used : 0, "%s%s:%s", i ? "," : "",
                                 json_string_value(json_object_get(e, "field")),
                                 json_string_value(json_object_get(e, "code")));
}

static void test_query(void)
{
    static const struct {
        const char *name, *qs, *kv, *errors;
    } c[] = {
        {"no query string", NULL, "", ""},
        {"empty query string", "", "", ""},
        {"one parameter", "page=2", "page=2", ""},
        {"two parameters, order kept", "b=2&a=1", "b=2,a=1", ""},
        {"a repeat is kept (query_get reads the first)", "a=1&a=2", "a=1,a=2", ""},
        {"no = is an empty value", "flag", "flag=", ""},
        {"empty value", "q=", "q=", ""},
        {"= inside the value", "q=a=b", "q=a=b", ""},
        {"empty segments skipped", "&&a=1&&&b=2&", "a=1,b=2", ""},
        {"names and values decoded", "na%6De=a+b%20c", "name=a b c", ""},
        {"an encoded & stays in the value", "q=a%26b", "q=a&b", ""},
        {"%zz kept as text", "q=%zz", "q=%zz", ""},
        {"%00 in a value is 422 naming it", "parent=41%00x", "", "parent:control_character"},
        {"%01 in a value", "q=a%01", "", "q:control_character"},
        {"%7F in a value", "q=%7F", "", "q:control_character"},
        {"a C1 control (U+0085) in a value", "q=%C2%85", "", "q:control_character"},
        {"a control character in a name", "p%00=1", "", "query:control_character"},
        {"the other parameters still read", "a=1&q=%01&b=2", "a=1,b=2", "q:control_character"},
        {"UTF-8 text is fine", "q=%E4%B8%AD", "q=\xe4\xb8\xad", ""},
    };
    for (size_t i = 0; i < NELEM(c); i++) {
        req_t r;
        char kv[256], errs[256];
        memset(&r, 0, sizeof r);
        request_query(&r, c[i].qs);
        query_text(&r, kv, sizeof kv, errs, sizeof errs);
        bool ok = !strcmp(kv, c[i].kv) && !strcmp(errs, c[i].errors);
        if (!ok)
            fprintf(stderr, "  %s: query \"%s\" errors \"%s\"\n", c[i].name, kv, errs);
        CHECK(c[i].name, ok);
        req_done(&r);
    }

    /* 32 parameters are all read; a 33rd is a 422, not silently dropped */
    for (int n = 31; n <= 34; n++) {
        char qs[512];
        size_t used = 0;
        for (int p = 0; p < n; p++)
            used += (size_t)snprintf(qs + used, sizeof qs - used, "%sp%d=1", p ? "&&" : "", p);
        req_t r;
        char kv[1024], errs[256];
        memset(&r, 0, sizeof r);
        request_query(&r, qs);
        query_text(&r, kv, sizeof kv, errs, sizeof errs);
        char name[64];
        snprintf(name, sizeof name, "%d query parameters", n);
        CHECK(name, n <= MAX_QUERY_PARAMS ? r.nquery == n && !*errs
                                          : r.nquery == MAX_QUERY_PARAMS && !strcmp(errs, "query:too_many"));
        req_done(&r);
    }
}

static void test_is_json(void)
{
    static const struct {
        const char *ct;
        bool want;
    } c[] = {
        {"application/json", true},
        {"application/json; charset=utf-8", true},
        {"application/json;charset=UTF-8", true},
        {"Application/JSON", true},
        {"application/json ", true},
        {NULL, false},
        {"", false},
        {"text/plain", false},
        {"application/jsonx", false},
        {"application/json-patch+json", false},
        {"application/problem+json", false},
        {"application/x-www-form-urlencoded", false},
    };
    for (size_t i = 0; i < NELEM(c); i++) {
        char name[96];
        snprintf(name, sizeof name, "request_is_json(\"%s\")", c[i].ct ? c[i].ct : "(null)");
        CHECK(name, request_is_json(c[i].ct) == c[i].want);
    }
}

/* A reader that gives at most avail bytes of text. */
typedef struct {
    const char *text;
    int avail;
} fake_stream;

static int read_fake(void *ctx, char *buf, int n)
{
    fake_stream *f = ctx;
    int k = n < f->avail ? n : f->avail;
    memcpy(buf, f->text, (size_t)k);
    return k;
}

static void test_body(void)
{
    static char big[32];
    snprintf(big, sizeof big, "%d", MAX_BODY + 1);
    static char max[32];
    snprintf(max, sizeof max, "%d", MAX_BODY);
    const struct {
        const char *name, *cl;
        int avail;
        bool ok;
        int status;
        size_t len;
        size_t max; /* 0: MAX_BODY */
    } c[] = {
        {"no Content-Length: no body", NULL, 0, true, 0, 0, 0},
        {"empty Content-Length: no body", "", 0, true, 0, 0, 0},
        {"Content-Length 0", "0", 0, true, 0, 0, 0},
        {"a body read whole", "7", 7, true, 0, 7, 0},
        {"leading zeros are a length", "007", 7, true, 0, 7, 0},
        {"a body that ends early is 400", "7", 3, false, 400, 0, 0},
        {"a negative length is 400", "-1", 0, false, 400, 0, 0},
        {"a signed length is 400", "+7", 7, false, 400, 0, 0},
        {"a length with a space is 400", " 7", 7, false, 400, 0, 0},
        {"a length with junk is 400", "7x", 7, false, 400, 0, 0},
        {"a length past int64 is 400", "99999999999999999999", 0, false, 400, 0, 0},
        {"a body over 1 MiB is 413 unread", big, 0, false, 413, 0, 0},
        {"a body of exactly 1 MiB is read", max, MAX_BODY, true, 0, MAX_BODY, 0},
        {"a service's larger upload limit reads past 1 MiB", big, MAX_BODY + 1, true, 0, MAX_BODY + 1,
         2 * (size_t)MAX_BODY},
        {"over a service's upload limit is 413 unread", "2097153", 0, false, 413, 0, 2 * (size_t)MAX_BODY},
    };
    char *payload = calloc(1, (size_t)MAX_BODY + 2);
    if (!payload) {
        CHECK("calloc", false);
        return;
    }
    memcpy(payload, "{\"a\":1}", 7);
    for (size_t i = 0; i < NELEM(c); i++) {
        req_t r;
        memset(&r, 0, sizeof r);
        fake_stream f = {payload, c[i].avail};
        bool ok = request_body_or_reply(&r, c[i].cl, c[i].max ? c[i].max : MAX_BODY, read_fake, &f);
        bool pass = ok == c[i].ok && (ok ? !r.replied && r.body_len == c[i].len : r.replied && r.status == c[i].status);
        if (pass && ok && c[i].len == 7)
            pass = !memcmp(r.body, "{\"a\":1}", 7);
        CHECK(c[i].name, pass);
        req_done(&r);
    }
    free(payload);
}

static void test_bearer(void)
{
    static const struct {
        const char *name, *header;
    } c[] = {
        {"no Authorization header is 401", NULL},
        {"an empty header is 401", ""},
        {"Basic credentials are 401", "Basic YTpi"},
        {"Bearer without a token is 401", "Bearer "},
        {"Bearer without a space is 401", "Bearer"},
        {"a token without the scheme is 401", "eyJhbGciOi"},
    };
    jwt_keys keys;
    memset(&keys, 0, sizeof keys);
    for (size_t i = 0; i < NELEM(c); i++) {
        req_t r;
        memset(&r, 0, sizeof r);
        r.authorization = c[i].header;
        bool ok = request_bearer_or_reply(&r, &keys, 1700000000);
        const char *www = NULL;
        for (int h = 0; h < r.nheaders; h++)
            if (!strcmp(r.headers[h].name, "WWW-Authenticate"))
                www = r.headers[h].value;
        CHECK(c[i].name, !ok && r.status == 401 && www && !strcmp(www, "Bearer") && r.user_id == 0);
        req_done(&r);
    }
}

int main(void)
{
    test_url_decode();
    test_query();
    test_is_json();
    test_body();
    test_bearer();
    return CHECK_DONE();
}
