/* Unit tests for common/body.c (strict JSON bodies) and the reply helpers of
 * common/http.c. Each case builds a zeroed req_t on the stack, hands it a
 * body in a buffer of exactly body_len bytes (no terminator, so ASan sees any
 * over-read), runs body_parse_or_reply() against one field table, and checks
 * r.status and the problem+json in r.resp. Everything a case allocates is
 * freed after it (r.json, r.resp, r.field_errors, the arena). */
#include "check.h"
#include "body.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>



static bool streq(const char *a, const char *b) { return a && b && !strcmp(a, b); }

static void req_done(req_t *r)
{
    json_decref(r->json);
    json_decref(r->resp);
    json_decref(r->field_errors);
    arena_free(&r->arena);
    memset(r, 0, sizeof *r);
}

/* ------------------------------------------------------------------ */
/* The field table every body case is validated against. */

typedef struct {
    const char *name;
    const char *bio;
    opt_int age;
    opt_bool agree;
    opt_num score;
    const json_t *themes;
    opt_int id;
    const char *nick;
    const char *gender;
    const json_t *extra;
    const char *postcode;
    opt_int count;
    opt_int level;
} form_t;

static const code_entry theme_entries[] = {
    {"science", "科普"}, {"health", "健康"}, {"arts", "文艺"}, {"env", "环保"},
};
static const code_table themes = {"themes", theme_entries, NELEM(theme_entries)};
static const code_entry gender_entries[] = {{"m", "男"}, {"f", "女"}};
static const code_table genders = {"gender", gender_entries, NELEM(gender_entries)};

static const char *postcode_check(const char *v, const char **message)
{
    size_t n = strlen(v);
    if (n != 6 || strspn(v, "0123456789") != 6) {
        *message = "must be 6 digits";
        return "invalid_format";
    }
    return NULL;
}

static const field_spec specs[] = {
    {"name", F_STRING, FIELD_REQUIRED, 2, 4, offsetof(form_t, name), NULL, NULL},
    {"bio", F_STRING, FIELD_MULTILINE, 0, 10, offsetof(form_t, bio), NULL, NULL},
    {"age", F_INT, 0, 16, 120, offsetof(form_t, age), NULL, NULL},
    {"agree", F_BOOL, 0, 0, 0, offsetof(form_t, agree), NULL, NULL},
    {"score", F_NUMBER, 0, 0, 0, offsetof(form_t, score), NULL, NULL},
    {"themes", F_ARRAY, 0, 1, 3, offsetof(form_t, themes), NULL, &themes},
    {"id", F_INT, FIELD_IMMUTABLE, 0, 0, offsetof(form_t, id), NULL, NULL},
    {"nick", F_STRING, FIELD_NULLABLE, 0, 8, offsetof(form_t, nick), NULL, NULL},
    {"gender", F_STRING, 0, 0, 0, offsetof(form_t, gender), NULL, &genders},
    {"extra", F_OBJECT, 0, 0, 0, offsetof(form_t, extra), NULL, NULL},
    {"postcode", F_STRING, 0, 0, 0, offsetof(form_t, postcode), postcode_check, NULL},
    {"count", F_INT, 0, 0, 0, offsetof(form_t, count), NULL, NULL},
    {"level", F_INT, 0, -5, 5, offsetof(form_t, level), NULL, NULL},
};

/* ------------------------------------------------------------------ */
/* Output checks for the accepted rows. */

static bool v_all(const form_t *f)
{
    return streq(f->name, "张三") && streq(f->bio, "ab\ncd") && f->age.set && f->age.v == 30 && f->agree.set &&
           f->agree.v && f->score.set && f->score.v == 4.5 && json_array_size(f->themes) == 2 && !f->id.set &&
           streq(f->nick, "x") && streq(f->gender, "m") && json_is_object(f->extra) && streq(f->postcode, "100000") &&
           f->count.set && f->count.v == INT64_MIN && f->level.set && f->level.v == -5;
}
static bool v_only_name(const form_t *f)
{
    return streq(f->name, "ab") && !f->bio && !f->age.set && !f->agree.set && !f->score.set && !f->themes &&
           !f->id.set && !f->nick && !f->gender && !f->extra && !f->postcode && !f->count.set && !f->level.set;
}
static bool v_zhangsan(const form_t *f) { return streq(f->name, "张三"); }
static bool v_agree_false(const form_t *f) { return f->agree.set && !f->agree.v; }
static bool v_score_int(const form_t *f) { return f->score.set && f->score.v == 3.0; }
static bool v_nick_null(const form_t *f) { return streq(f->name, "ab") && f->nick == NULL; }
static bool v_count_max(const form_t *f) { return f->count.set && f->count.v == INT64_MAX; }
static bool v_age_16(const form_t *f) { return f->age.set && f->age.v == 16; }
static bool v_age_120(const form_t *f) { return f->age.set && f->age.v == 120; }
static bool v_bio_multi(const form_t *f) { return f->bio && strchr(f->bio, '\n') && strchr(f->bio, '\t'); }

/* ------------------------------------------------------------------ */
/* The table. */

typedef struct {
    const char *name;       /* what the row proves */
    const char *body;       /* NULL: no body */
    size_t len;             /* 0: strlen(body) */
    int status;             /* 0: accepted, nothing replied */
    const char *errors;     /* 422: "field:code,field:code" in reported order */
    const char *detail_has; /* substring of the problem detail */
    bool (*verify)(const form_t *f);
} body_case;

#define OK_BODY(n, b, v) {n, b, 0, 0, NULL, NULL, v}
#define BAD_422(n, b, e) {n, b, 0, 422, e, NULL, NULL}
#define BAD_400(n, b, d) {n, b, 0, 400, NULL, d, NULL}

static const body_case cases[] = {
    /* accepted */
    OK_BODY("every field type valid together",
            "{\"name\":\"张三\",\"bio\":\"ab\\ncd\",\"age\":30,\"agree\":true,\"score\":4.5,"
            "\"themes\":[\"science\",\"health\"],\"nick\":\"x\",\"gender\":\"m\",\"extra\":{\"a\":1},"
            "\"postcode\":\"100000\",\"count\":-9223372036854775808,\"level\":-5}",
            v_all),
    OK_BODY("only the required field: every optional output stays absent", "{\"name\":\"ab\"}", v_only_name),
    OK_BODY("\"张三\" is 2 characters (6 bytes) and meets min 2", "{\"name\":\"张三\"}", v_zhangsan),
    OK_BODY("\\u-escaped 张三 is 2 characters", "{\"name\":\"\\u5f20\\u4e09\"}", v_zhangsan),
    OK_BODY("\"张三李四\" is 4 characters (12 bytes), at max 4", "{\"name\":\"张三李四\"}", NULL),
    OK_BODY("a 3-byte character as the 4th character, at max 4", "{\"name\":\"abc张\"}", NULL),
    OK_BODY("a 4-byte emoji counts as 1 character", "{\"name\":\"😀😀\"}", NULL),
    OK_BODY("a surrogate-pair escape counts as 1 character", "{\"name\":\"\\ud83d\\ude00x\"}", NULL),
    OK_BODY("10 Chinese characters (30 bytes) fit max 10", "{\"name\":\"ab\",\"bio\":\"一二三四五六七八九十\"}", NULL),
    OK_BODY("NBSP U+00A0 is not a control character", "{\"name\":\"a\\u00a0b\"}", NULL),
    OK_BODY("multiline field accepts \\n, \\r\\n and \\t", "{\"name\":\"ab\",\"bio\":\"a\\r\\nb\\tc\"}", v_bio_multi),
    OK_BODY("int at its minimum 16", "{\"name\":\"ab\",\"age\":16}", v_age_16),
    OK_BODY("int at its maximum 120", "{\"name\":\"ab\",\"age\":120}", v_age_120),
    OK_BODY("int with a negative range at both ends", "{\"name\":\"ab\",\"level\":5}", NULL),
    OK_BODY("int without a range takes INT64_MAX", "{\"name\":\"ab\",\"count\":9223372036854775807}", v_count_max),
    OK_BODY("bool false is set and false", "{\"name\":\"ab\",\"agree\":false}", v_agree_false),
    OK_BODY("number accepts a JSON integer", "{\"name\":\"ab\",\"score\":3}", v_score_int),
    OK_BODY("number accepts a negative fraction", "{\"name\":\"ab\",\"score\":-0.5}", NULL),
    OK_BODY("array at its max of 3 codes", "{\"name\":\"ab\",\"themes\":[\"science\",\"health\",\"arts\"]}", NULL),
    OK_BODY("nullable field accepts null (left absent)", "{\"name\":\"ab\",\"nick\":null}", v_nick_null),
    OK_BODY("code-table string accepts a code", "{\"name\":\"ab\",\"gender\":\"f\"}", NULL),
    OK_BODY("check function accepts a good value", "{\"name\":\"ab\",\"postcode\":\"518000\"}", NULL),
    OK_BODY("object field accepts an empty object", "{\"name\":\"ab\",\"extra\":{}}", NULL),
    OK_BODY("whitespace around the object is fine", " \n{\"name\":\"ab\"}\n ", NULL),

    /* strings: length in characters */
    BAD_422("\"张三李四王\" is 5 characters: too long", "{\"name\":\"张三李四王\"}", "name:too_long"),
    BAD_422("\"abc张三\" is 5 characters: too long", "{\"name\":\"abc张三\"}", "name:too_long"),
    BAD_422("\"张\" is 1 character though 3 bytes: too short", "{\"name\":\"张\"}", "name:too_short"),
    BAD_422("1 ASCII character: too short", "{\"name\":\"a\"}", "name:too_short"),
    BAD_422("empty string under min: too short", "{\"name\":\"\"}", "name:too_short"),
    BAD_422("11 characters over max 10", "{\"name\":\"ab\",\"bio\":\"一二三四五六七八九十a\"}", "bio:too_long"),
    BAD_422("string field given a number", "{\"name\":5}", "name:invalid_type"),
    BAD_422("string field given null (not nullable)", "{\"name\":null}", "name:invalid_type"),
    BAD_422("string field given an array", "{\"name\":[\"ab\"]}", "name:invalid_type"),
    BAD_422("required field missing", "{\"bio\":\"x\"}", "name:required"),
    BAD_422("empty object: required field missing", "{}", "name:required"),

    /* only blank or invisible characters (API.md v1.1): "blank", in every text field */
    BAD_422("two spaces are blank (not too_short)", "{\"name\":\"  \"}", "name:blank"),
    BAD_422("U+3000 U+3000 is blank", "{\"name\":\"\\u3000\\u3000\"}", "name:blank"),
    BAD_422("U+00A0 NBSP twice is blank", "{\"name\":\"\\u00a0\\u00a0\"}", "name:blank"),
    BAD_422("U+200B zero-width spaces are blank", "{\"name\":\"\\u200b\\u200b\"}", "name:blank"),
    BAD_422("U+200C U+200D are blank", "{\"name\":\"\\u200c\\u200d\"}", "name:blank"),
    BAD_422("U+2060 word joiners are blank", "{\"name\":\"\\u2060\\u2060\"}", "name:blank"),
    BAD_422("U+FEFF BOMs are blank", "{\"name\":\"\\ufeff\\ufeff\"}", "name:blank"),
    BAD_422("raw UTF-8 U+FEFF U+200B U+3000 mixed are blank", "{\"name\":\"\xef\xbb\xbf\xe2\x80\x8b\xe3\x80\x80\"}",
            "name:blank"),
    BAD_422("U+2003 em space and U+2009 thin space are blank", "{\"name\":\"\\u2003\\u2009\"}", "name:blank"),
    BAD_422("one zero-width space under min 2 is blank, not too_short", "{\"name\":\"\\u200b\"}", "name:blank"),
    BAD_422("blank in a field without a minimum", "{\"name\":\"ab\",\"nick\":\"\\u200b\"}", "nick:blank"),
    BAD_422("newlines only in a multiline field are blank", "{\"name\":\"ab\",\"bio\":\"\\n\\r\\n\\t\"}", "bio:blank"),
    BAD_422("a blank code is still invalid_choice", "{\"name\":\"ab\",\"gender\":\" \"}", "gender:invalid_choice"),
    OK_BODY("visible text around U+200B and U+3000 is not blank", "{\"name\":\"a\\u200b\\u3000b\"}", NULL),
    OK_BODY("an empty optional text is not blank", "{\"name\":\"ab\",\"nick\":\"\"}", NULL),

    /* control characters */
    BAD_422("U+0001 refused", "{\"name\":\"a\\u0001b\"}", "name:control_character"),
    BAD_422("U+001F refused", "{\"name\":\"a\\u001fb\"}", "name:control_character"),
    BAD_422("U+007F (DEL) refused", "{\"name\":\"ab\\u007f\"}", "name:control_character"),
    BAD_422("U+007F as a raw byte refused", "{\"name\":\"ab\x7f\"}", "name:control_character"),
    BAD_422("U+0085 (NEL, C1) refused", "{\"name\":\"ab\\u0085\"}", "name:control_character"),
    BAD_422("U+0080 (first C1) refused", "{\"name\":\"ab\\u0080\"}", "name:control_character"),
    BAD_422("U+009F (last C1) refused", "{\"name\":\"ab\\u009f\"}", "name:control_character"),
    BAD_422("newline refused without FIELD_MULTILINE", "{\"name\":\"a\\nb\"}", "name:control_character"),
    BAD_422("carriage return refused without FIELD_MULTILINE", "{\"name\":\"a\\rb\"}", "name:control_character"),
    BAD_422("tab refused without FIELD_MULTILINE", "{\"name\":\"a\\tb\"}", "name:control_character"),
    BAD_422("FIELD_MULTILINE still refuses U+0001", "{\"name\":\"ab\",\"bio\":\"a\\u0001\"}",
            "bio:control_character"),
    BAD_422("FIELD_MULTILINE still refuses U+007F", "{\"name\":\"ab\",\"bio\":\"a\\u007f\"}",
            "bio:control_character"),
    BAD_422("FIELD_MULTILINE still refuses U+0085", "{\"name\":\"ab\",\"bio\":\"a\\u0085\"}",
            "bio:control_character"),
    BAD_400("\\u0000 refused by the parser", "{\"name\":\"a\\u0000b\"}", NULL),
    BAD_400("raw U+0001 byte inside a JSON string refused by the parser", "{\"name\":\"a\x01z\"}", NULL),
    BAD_400("invalid UTF-8 (overlong '/') refused by the parser", "{\"name\":\"a\xc0\xaf\"}", NULL),
    BAD_400("invalid UTF-8 (surrogate) refused by the parser", "{\"name\":\"a\xed\xa0\x80\"}", NULL),
    BAD_400("lone surrogate escape refused by the parser", "{\"name\":\"a\\ud800\"}", NULL),

    /* integers */
    BAD_422("int below its range", "{\"name\":\"ab\",\"age\":15}", "age:out_of_range"),
    BAD_422("int above its range", "{\"name\":\"ab\",\"age\":121}", "age:out_of_range"),
    BAD_422("negative int below range", "{\"name\":\"ab\",\"age\":-1}", "age:out_of_range"),
    BAD_422("int below a negative range", "{\"name\":\"ab\",\"level\":-6}", "level:out_of_range"),
    BAD_422("int above a range with negative min", "{\"name\":\"ab\",\"level\":6}", "level:out_of_range"),
    BAD_422("int given a numeric string", "{\"name\":\"ab\",\"age\":\"30\"}", "age:invalid_type"),
    BAD_422("int given 30.0", "{\"name\":\"ab\",\"age\":30.0}", "age:invalid_type"),
    BAD_422("int given 3e1", "{\"name\":\"ab\",\"age\":3e1}", "age:invalid_type"),
    BAD_422("int given true", "{\"name\":\"ab\",\"age\":true}", "age:invalid_type"),
    BAD_422("int given null", "{\"name\":\"ab\",\"age\":null}", "age:invalid_type"),
    BAD_400("int beyond int64 refused by the parser", "{\"name\":\"ab\",\"count\":9223372036854775808}", NULL),

    /* bool, number */
    BAD_422("bool given \"true\"", "{\"name\":\"ab\",\"agree\":\"true\"}", "agree:invalid_type"),
    BAD_422("bool given 1", "{\"name\":\"ab\",\"agree\":1}", "agree:invalid_type"),
    BAD_422("bool given null", "{\"name\":\"ab\",\"agree\":null}", "agree:invalid_type"),
    BAD_422("number given \"3.5\"", "{\"name\":\"ab\",\"score\":\"3.5\"}", "score:invalid_type"),
    BAD_422("number given true", "{\"name\":\"ab\",\"score\":true}", "score:invalid_type"),
    BAD_400("number overflowing a double refused by the parser", "{\"name\":\"ab\",\"score\":1e400}", NULL),
    BAD_400("NaN is not JSON", "{\"name\":\"ab\",\"score\":NaN}", NULL),

    /* arrays of codes */
    BAD_422("array with no items under min 1", "{\"name\":\"ab\",\"themes\":[]}", "themes:too_short"),
    BAD_422("array of 4 items over max 3",
            "{\"name\":\"ab\",\"themes\":[\"science\",\"health\",\"arts\",\"env\"]}", "themes:too_long"),
    BAD_422("duplicate code in array", "{\"name\":\"ab\",\"themes\":[\"science\",\"science\"]}",
            "themes[1]:duplicate"),
    BAD_422("duplicate code later in array", "{\"name\":\"ab\",\"themes\":[\"science\",\"health\",\"science\"]}",
            "themes[2]:duplicate"),
    BAD_422("number item in array of codes", "{\"name\":\"ab\",\"themes\":[\"science\",5]}",
            "themes[1]:invalid_type"),
    BAD_422("null and object items each reported", "{\"name\":\"ab\",\"themes\":[\"science\",null,{\"a\":1}]}",
            "themes[1]:invalid_type,themes[2]:invalid_type"),
    BAD_422("nested array item", "{\"name\":\"ab\",\"themes\":[[\"science\"]]}", "themes[0]:invalid_type"),
    BAD_422("code not in the table", "{\"name\":\"ab\",\"themes\":[\"nope\"]}", "themes[0]:invalid_choice"),
    BAD_422("codes are case-sensitive", "{\"name\":\"ab\",\"themes\":[\"Science\"]}", "themes[0]:invalid_choice"),
    BAD_422("bad items each reported, good ones not",
            "{\"name\":\"ab\",\"themes\":[\"x\",\"science\",\"y\"]}",
            "themes[0]:invalid_choice,themes[2]:invalid_choice"),
    BAD_422("control character in an array item", "{\"name\":\"ab\",\"themes\":[\"sci\\u0001\"]}",
            "themes[0]:control_character"),
    BAD_422("array field given a string", "{\"name\":\"ab\",\"themes\":\"science\"}", "themes:invalid_type"),
    BAD_422("array field given an object", "{\"name\":\"ab\",\"themes\":{\"0\":\"science\"}}",
            "themes:invalid_type"),

    /* code-table strings, check functions, objects */
    BAD_422("string code not in its table", "{\"name\":\"ab\",\"gender\":\"x\"}", "gender:invalid_choice"),
    BAD_422("string code with wrong case", "{\"name\":\"ab\",\"gender\":\"M\"}", "gender:invalid_choice"),
    BAD_422("empty string is not a code", "{\"name\":\"ab\",\"gender\":\"\"}", "gender:invalid_choice"),
    BAD_422("check function's error code reported", "{\"name\":\"ab\",\"postcode\":\"10000\"}",
            "postcode:invalid_format"),
    BAD_422("object field given an array", "{\"name\":\"ab\",\"extra\":[]}", "extra:invalid_type"),
    BAD_422("object field given null", "{\"name\":\"ab\",\"extra\":null}", "extra:invalid_type"),

    /* flags */
    BAD_422("immutable field present", "{\"name\":\"ab\",\"id\":5}", "id:immutable"),
    BAD_422("immutable field present as null", "{\"name\":\"ab\",\"id\":null}", "id:immutable"),
    BAD_422("immutable reported before its type", "{\"name\":\"ab\",\"id\":\"x\"}", "id:immutable"),
    BAD_422("nullable field still type-checked", "{\"name\":\"ab\",\"nick\":5}", "nick:invalid_type"),
    BAD_422("nullable field still length-checked", "{\"name\":\"ab\",\"nick\":\"123456789\"}", "nick:too_long"),

    /* unknown fields */
    BAD_422("unknown field refused", "{\"name\":\"ab\",\"foo\":1}", "foo:unknown_field"),
    BAD_422("field names are case-sensitive", "{\"name\":\"ab\",\"Name\":\"cd\"}", "Name:unknown_field"),
    BAD_422("empty key is an unknown field", "{\"name\":\"ab\",\"\":1}", ":unknown_field"),
    BAD_422("two unknown fields both reported", "{\"x\":1,\"name\":\"ab\",\"y\":2}",
            "x:unknown_field,y:unknown_field"),

    /* every bad field reported at once */
    BAD_422("three bad fields give three errors",
            "{\"name\":\"a\",\"age\":5,\"agree\":\"yes\"}",
            "name:too_short,age:out_of_range,agree:invalid_type"),
    BAD_422("unknown, required and type errors together", "{\"foo\":1,\"age\":\"x\",\"themes\":[]}",
            "foo:unknown_field,name:required,age:invalid_type,themes:too_short"),

    /* not one JSON object with unique keys: 400 invalid_json */
    BAD_400("duplicate key", "{\"name\":\"ab\",\"name\":\"cd\"}", "duplicate"),
    BAD_400("duplicate key in a nested object", "{\"name\":\"ab\",\"extra\":{\"a\":1,\"a\":2}}", "duplicate"),
    BAD_400("duplicate unknown key", "{\"name\":\"ab\",\"x\":1,\"x\":1}", "duplicate"),
    BAD_400("truncated JSON", "{\"name\":\"ab\"", "not valid JSON"),
    BAD_400("missing value", "{\"name\":}", "not valid JSON"),
    BAD_400("trailing comma", "{\"name\":\"ab\",}", "not valid JSON"),
    BAD_400("single quotes", "{'name':'ab'}", "not valid JSON"),
    BAD_400("garbage after the object", "{\"name\":\"ab\"} x", "not valid JSON"),
    BAD_400("two objects", "{\"name\":\"ab\"}{\"name\":\"cd\"}", "not valid JSON"),
    BAD_400("array body", "[]", "must be a JSON object"),
    BAD_400("array of one object", "[{\"name\":\"ab\"}]", "must be a JSON object"),
    BAD_400("string body", "\"ab\"", NULL),
    BAD_400("number body", "5", NULL),
    BAD_400("null body", "null", NULL),
    BAD_400("true body", "true", NULL),
    BAD_400("empty body", NULL, "body is required"),
    BAD_400("whitespace-only body", "   ", NULL),
    {"NUL byte after the object", "{\"name\":\"ab\"}\0", 14, 400, NULL, NULL, NULL},
    {"raw NUL byte inside a string", "{\"name\":\"a\0b\"}", 14, 400, NULL, NULL, NULL},
};

/* Checks r.resp is a problem+json for status/code; NULL when fine, else why. */
static const char *problem_wrong(const req_t *r, int status, const char *code)
{
    const json_t *p = r->resp;
    if (!r->replied)
        return "not replied";
    if (r->status != status)
        return "wrong r.status";
    if (!json_is_object(p))
        return "no problem object";
    if (!streq(json_string_value(json_object_get(p, "type")), "about:blank"))
        return "type";
    if (!json_is_string(json_object_get(p, "title")) || !*json_string_value(json_object_get(p, "title")))
        return "title";
    if (json_integer_value(json_object_get(p, "status")) != status)
        return "status member";
    if (!streq(json_string_value(json_object_get(p, "code")), code))
        return "code";
    if (!json_is_string(json_object_get(p, "detail")))
        return "detail";
    if (!streq(r->content_type_out, "application/problem+json"))
        return "content type";
    return NULL;
}

/* "field:code,..." of r.resp's errors. */
static void errors_text(const json_t *errors, char *out, size_t outlen)
{
    size_t i, used = 0;
    const json_t *e;
    out[0] = '\0';
    json_array_foreach(errors, i, e) {
        int w = snprintf(out + used, outlen - used, "%s%s:%s", i ? "," : "",
                         json_string_value(json_object_get(e, "field")), json_string_value(json_object_get(e, "code")));
        if (w < 0 || (size_t)w >= outlen - used)
            return;
        used += (size_t)w;
    }
}

static bool errors_well_formed(const json_t *errors)
{
    size_t i;
    const json_t *e;
    json_array_foreach(errors, i, e) {
        if (json_object_size(e) != 3 || !json_is_string(json_object_get(e, "field")) ||
            !json_is_string(json_object_get(e, "code")) || !json_is_string(json_object_get(e, "message")) ||
            !*json_string_value(json_object_get(e, "message")))
            return false;
    }
    return true;
}

static const char *run_case(const body_case *c)
{
    static char why[512];
    req_t r;
    form_t f;
    memset(&r, 0, sizeof r);
    memset(&f, 0, sizeof f);
    size_t len = c->body ? (c->len ? c->len : strlen(c->body)) : 0;
    char *buf = NULL;
    if (len) {
        buf = malloc(len); /* exactly len bytes: no terminator to lean on */
        memcpy(buf, c->body, len);
    }
    r.body = buf;
    r.body_len = len;
    bool ok = body_parse_or_reply(&r, specs, NELEM(specs), &f);
    const char *err = NULL;
    if (c->status == 0) {
        if (!ok || r.replied || r.resp || r.field_errors)
            err = "refused a valid body";
        else if (c->verify && !c->verify(&f))
            err = "wrong values in the output struct";
    } else if (ok) {
        err = "accepted a bad body";
    } else if ((err = problem_wrong(&r, c->status, c->status == 422 ? "validation_failed" : "invalid_json"))) {
        /* err set */
    } else if (c->status == 422) {
        char got[400];
        const json_t *errors = json_object_get(r.resp, "errors");
        errors_text(errors, got, sizeof got);
        size_t n = json_array_size(errors);
        const char *detail = json_string_value(json_object_get(r.resp, "detail"));
        char want_detail[64];
        snprintf(want_detail, sizeof want_detail, n == 1 ? "1 field is invalid" : "%zu fields are invalid", n);
        if (strcmp(got, c->errors)) {
            snprintf(why, sizeof why, "errors \"%s\", expected \"%s\"", got, c->errors);
            err = why;
        } else if (!errors_well_formed(errors)) {
            err = "errors entries not {field, code, message}";
        } else if (!streq(detail, want_detail)) {
            err = "detail does not count the bad fields";
        } else if (json_array_size(r.field_errors) != n) {
            err = "r.field_errors differs from the reply";
        }
    } else {
        const char *detail = json_string_value(json_object_get(r.resp, "detail"));
        if (json_object_get(r.resp, "errors"))
            err = "400 carries field errors";
        else if (c->detail_has && !strstr(detail, c->detail_has)) {
            snprintf(why, sizeof why, "detail \"%s\" lacks \"%s\"", detail, c->detail_has);
            err = why;
        }
    }
    req_done(&r);
    free(buf);
    return err;
}

static void test_table(void)
{
    for (size_t i = 0; i < NELEM(cases); i++) {
        const char *why = run_case(&cases[i]);
        if (why)
            fprintf(stderr, "  row \"%s\": %s\n", cases[i].name, why);
        CHECK(cases[i].name, why == NULL);
    }
}

/* ------------------------------------------------------------------ */
/* body_fields / body_object_or_reply used separately. */

static void test_body_fields_direct(void)
{
    req_t r;
    form_t f;
    memset(&r, 0, sizeof r);
    memset(&f, 0, sizeof f);
    r.json = json_loads("{\"name\":\"ab\",\"age\":30}", 0, NULL);
    CHECK("body_object_or_reply keeps an already parsed body", body_object_or_reply(&r) && !r.replied);
    body_fields(&r, specs, NELEM(specs), &f);
    CHECK("body_fields on a good object collects no errors", r.field_errors == NULL);
    CHECK("body_fields stores typed values", streq(f.name, "ab") && f.age.set && f.age.v == 30);
    CHECK("fields_failed_reply is false with no errors", !fields_failed_reply(&r) && !r.replied && !r.resp);
    /* A cross-field check after body_fields joins the same 422. */
    field_error(&r, "age", "inconsistent", "does not match name");
    CHECK("cross-field error alone replies 422", fields_failed_reply(&r) && r.status == 422);
    CHECK("cross-field error reply says 1 field", streq(json_string_value(json_object_get(r.resp, "detail")),
                                                        "1 field is invalid"));
    req_done(&r);

    memset(&f, 0, sizeof f);
    r.json = json_loads("{\"name\":\"a\"}", 0, NULL);
    body_fields(&r, specs, NELEM(specs), &f);
    field_error(&r, "bio", "inconsistent", "x");
    CHECK("field and cross-field errors reported together",
          fields_failed_reply(&r) && json_array_size(json_object_get(r.resp, "errors")) == 2);
    CHECK("a bad string is not stored", f.name == NULL);
    req_done(&r);

    /* An empty table: every key is unknown. */
    memset(&f, 0, sizeof f);
    r.json = json_loads("{\"a\":1,\"b\":2}", 0, NULL);
    body_fields(&r, specs, 0, &f);
    CHECK("empty field table reports every key as unknown", json_array_size(r.field_errors) == 2);
    req_done(&r);
}

/* ------------------------------------------------------------------ */
/* utf8_chars, has_control_chars, code_table_has. */

static void test_text_rules(void)
{
    static const struct {
        const char *name, *s;
        long want;
    } u[] = {
        {"utf8_chars: empty string is 0", "", 0},
        {"utf8_chars: ASCII counts bytes", "abc", 3},
        {"utf8_chars: 张三 is 2", "张三", 2},
        {"utf8_chars: 2-byte é is 1", "\xc3\xa9", 1},
        {"utf8_chars: 4-byte emoji is 1", "\xf0\x9f\x98\x80", 1},
        {"utf8_chars: U+10FFFF (largest code point) is 1", "\xf4\x8f\xbf\xbf", 1},
        {"utf8_chars: stray continuation byte refused", "\x80", -1},
        {"utf8_chars: stray continuation after ASCII refused", "a\xbf" "b", -1},
        {"utf8_chars: truncated 3-byte sequence at the end refused", "\xe5\xbc", -1},
        {"utf8_chars: lead byte alone at the end refused", "ab\xe5", -1},
        {"utf8_chars: truncated 3-byte sequence before ASCII refused", "\xe5\xbc" "a", -1},
        {"utf8_chars: truncated 4-byte sequence refused", "\xf0\x9f\x98", -1},
        {"utf8_chars: 0xFF refused", "\xff", -1},
        {"utf8_chars: 5-byte lead 0xF8 refused", "\xf8\x88\x80\x80\x80", -1},
        {"utf8_chars: overlong 2-byte '/' (C0 AF) refused", "\xc0\xaf", -1},
        {"utf8_chars: overlong 2-byte NUL (C0 80) refused", "\xc0\x80", -1},
        {"utf8_chars: overlong 2-byte (C1 BF) refused", "\xc1\xbf", -1},
        {"utf8_chars: overlong 3-byte '/' (E0 80 AF) refused", "\xe0\x80\xaf", -1},
        {"utf8_chars: overlong 4-byte '/' (F0 80 80 AF) refused", "\xf0\x80\x80\xaf", -1},
        {"utf8_chars: UTF-16 surrogate U+D800 (ED A0 80) refused", "\xed\xa0\x80", -1},
        {"utf8_chars: beyond U+10FFFF (F4 90 80 80) refused", "\xf4\x90\x80\x80", -1},
        {"utf8_chars: lead 0xF5 refused", "\xf5\x80\x80\x80", -1},
    };
    for (size_t i = 0; i < NELEM(u); i++) {
        /* Exactly strlen+1 bytes on the heap, so an over-read past the NUL is caught. */
        size_t n = strlen(u[i].s) + 1;
        char *s = malloc(n);
        memcpy(s, u[i].s, n);
        long got = utf8_chars(s);
        if (got != u[i].want)
            fprintf(stderr, "  %s: got %ld\n", u[i].name, got);
        CHECK(u[i].name, got == u[i].want);
        free(s);
    }

    static const struct {
        const char *name, *s;
        bool multiline, want;
    } cc[] = {
        {"has_control_chars: plain text has none", "张三 abc", false, false},
        {"has_control_chars: U+0001", "a\x01", false, true},
        {"has_control_chars: ESC", "\x1b[0m", false, true},
        {"has_control_chars: DEL", "a\x7f", false, true},
        {"has_control_chars: NEL C2 85", "a\xc2\x85", false, true},
        {"has_control_chars: C2 A0 (NBSP) is not C1", "a\xc2\xa0", false, false},
        {"has_control_chars: newline without multiline", "a\nb", false, true},
        {"has_control_chars: newline, CR, tab with multiline", "a\r\n\tb", true, false},
        {"has_control_chars: U+0001 even with multiline", "a\n\x01", true, true},
        {"has_control_chars: NEL even with multiline", "a\n\xc2\x85", true, true},
        {"has_control_chars: C2 at the very end does not over-read", "a\xc2", false, false},
    };
    for (size_t i = 0; i < NELEM(cc); i++) {
        size_t n = strlen(cc[i].s) + 1;
        char *s = malloc(n);
        memcpy(s, cc[i].s, n);
        CHECK(cc[i].name, has_control_chars(s, cc[i].multiline) == cc[i].want);
        free(s);
    }

    static const struct {
        const char *s;
        bool want;
    } bl[] = {
        {"", true}, {" \t\r\n", true}, {"\xc2\xa0", true}, {"\xe3\x80\x80", true}, {"\xe2\x80\x8b", true},
        {"\xe2\x80\x8c\xe2\x80\x8d", true}, {"\xe2\x81\xa0", true}, {"\xef\xbb\xbf", true}, {"\xe2\x80\x83", true},
        {"\xe1\x9a\x80", true}, {"\xe2\x80\xa8\xe2\x80\xa9", true}, {"\xe2\x80\xaf\xe2\x81\x9f", true},
        {"a", false}, {" a ", false}, {"\xe5\xbc\xa0", false}, {"\xe2\x80\x8e", false} /* U+200E LRM: not listed */,
        {"\xc2", false} /* a lone lead byte at the end: no over-read */, {"\xe3\x80", false},
    };
    for (size_t i = 0; i < NELEM(bl); i++) {
        size_t n = strlen(bl[i].s) + 1;
        char *s = malloc(n), name[64];
        memcpy(s, bl[i].s, n);
        snprintf(name, sizeof name, "is_blank_text case %zu", i);
        CHECK(name, is_blank_text(s) == bl[i].want);
        free(s);
    }

    CHECK("code_table_has finds a code", code_table_has(&themes, "env"));
    CHECK("code_table_has does not match a label", !code_table_has(&themes, "科普"));
    CHECK("code_table_has does not match a prefix", !code_table_has(&themes, "sci"));
}

/* text_rule_broken: the one text check of the field tables, which the
 * import's 附件1 cells run too (common/org_rules.h): the first rule broken,
 * in the field tables' order, by their codes. */
static void test_text_rule_broken(void)
{
    static const struct {
        const char *name, *s;
        long min, max;
        bool multiline, free_text;
        const char *want;
    } t[] = {
        {"within the bounds: none broken", "科技志愿服务队", 2, 100, false, true, NULL},
        {"one character under a minimum of 2: too_short", "队", 2, 100, false, true, "too_short"},
        {"101 characters over 100: too_long", NULL, 2, 100, false, true, "too_long"},
        {"exactly 100 characters: none broken", "", 2, 100, false, true, NULL},
        {"a bound of 0 is none", "队", 0, 0, false, true, NULL},
        {"a tab inside: control_character", "新乡\t科协", 1, 100, false, true, "control_character"},
        {"a newline with multiline: allowed", "第一行\n第二行", 0, 2000, true, true, NULL},
        {"only a zero-width space: blank", "\xe2\x80\x8b", 1, 100, false, true, "blank"},
        {"blank is only for free text (codes)", "\xe2\x80\x8b", 0, 0, false, false, NULL},
        {"not UTF-8: invalid_format first", "\xff\x01", 2, 100, false, true, "invalid_format"},
        {"a control character before the length", "\x01", 2, 100, false, true, "control_character"},
    };
    char long_text[3 * 101 + 1] = "", hundred[3 * 100 + 1] = "";
    for (int i = 0; i < 101; i++)
        strcat(long_text, "队");
    for (int i = 0; i < 100; i++)
        strcat(hundred, "队");
    for (size_t i = 0; i < NELEM(t); i++) {
        const char *s = t[i].s ? (*t[i].s ? t[i].s : hundred) : long_text;
        const char *got = text_rule_broken(s, t[i].min, t[i].max, t[i].multiline, t[i].free_text);
        CHECK(t[i].name, (got == NULL && t[i].want == NULL) || (got && t[i].want && !strcmp(got, t[i].want)));
    }
}

/* ------------------------------------------------------------------ */
/* Paging (query_fields' own table), query_get, and query tables. */

static void test_paging(void)
{
    static const struct {
        const char *name, *page, *size;
        long long want_page, want_size, want_offset;
        const char *errors; /* "" none */
    } q[] = {
        {"paging defaults: page 1, page_size 20", NULL, NULL, 1, 20, 0, ""},
        {"paging: page 3 of 50 starts at 100", "3", "50", 3, 50, 100, ""},
        {"paging: page_size 100 is the maximum", "1", "100", 1, 100, 0, ""},
        {"paging: page_size 1 is the minimum", "2", "1", 2, 1, 1, ""},
        {"paging: page 1000000 is the largest page", "1000000", "100", 1000000, 100, 99999900, ""},
        {"paging: page_size 101 refused", NULL, "101", 1, 20, 0, "page_size:out_of_range"},
        {"paging: page_size 0 refused", NULL, "0", 1, 20, 0, "page_size:out_of_range"},
        {"paging: page_size -1 refused", NULL, "-1", 1, 20, 0, "page_size:out_of_range"},
        {"paging: page_size \"abc\" refused", NULL, "abc", 1, 20, 0, "page_size:out_of_range"},
        {"paging: page_size \"20abc\" refused", NULL, "20abc", 1, 20, 0, "page_size:out_of_range"},
        {"paging: page_size empty refused", NULL, "", 1, 20, 0, "page_size:out_of_range"},
        {"paging: page \"abc\" refused", "abc", NULL, 1, 20, 0, "page:invalid_format"},
        {"paging: page 0 refused", "0", NULL, 1, 20, 0, "page:invalid_format"},
        {"paging: page -1 refused", "-1", NULL, 1, 20, 0, "page:invalid_format"},
        {"paging: page \"+2\" refused", "+2", NULL, 1, 20, 0, "page:invalid_format"},
        {"paging: page \" 2\" refused", " 2", NULL, 1, 20, 0, "page:invalid_format"},
        {"paging: page 1.5 refused", "1.5", NULL, 1, 20, 0, "page:invalid_format"},
        {"paging: page 1000001 refused", "1000001", NULL, 1, 20, 0, "page:invalid_format"},
        {"paging: 19-digit page refused without overflow", "9999999999999999999", NULL, 1, 20, 0,
         "page:invalid_format"},
        {"paging: both bad, both reported", "x", "x", 1, 20, 0, "page:invalid_format,page_size:out_of_range"},
        {"paging: page 007 refused (scan_id: no leading zero)", "007", NULL, 1, 20, 0, "page:invalid_format"},
        {"paging: page_size 020 refused", NULL, "020", 1, 20, 0, "page_size:out_of_range"},
        {"paging: page empty refused", "", NULL, 1, 20, 0, "page:invalid_format"},
    };
    for (size_t i = 0; i < NELEM(q); i++) {
        req_t r;
        paging_t p;
        memset(&r, 0, sizeof r);
        memset(&p, 0xa5, sizeof p);
        r.query[r.nquery++] = (kv_t){"other", "1"};
        if (q[i].page)
            r.query[r.nquery++] = (kv_t){"page", q[i].page};
        if (q[i].size)
            r.query[r.nquery++] = (kv_t){"page_size", q[i].size};
        query_fields(&r, NULL, 0, NULL, &p);
        char got[200];
        errors_text(r.field_errors, got, sizeof got);
        bool ok = p.page == q[i].want_page && p.page_size == q[i].want_size && p.offset == q[i].want_offset &&
                  !strcmp(got, q[i].errors);
        if (ok && *q[i].errors) /* a bad value ends in one 422 */
            ok = fields_failed_reply(&r) && r.status == 422 &&
                 streq(json_string_value(json_object_get(r.resp, "code")), "validation_failed");
        if (!ok)
            fprintf(stderr, "  %s: page %lld size %lld offset %lld errors \"%s\"\n", q[i].name, p.page, p.page_size,
                    p.offset, got);
        CHECK(q[i].name, ok);
        req_done(&r);
    }

    req_t r;
    memset(&r, 0, sizeof r);
    r.query[r.nquery++] = (kv_t){"page", "2"};
    r.query[r.nquery++] = (kv_t){"page", "3"};
    CHECK("query_get returns the first of repeated parameters", streq(query_get(&r, "page"), "2"));
    CHECK("query_get returns NULL for an absent parameter", query_get(&r, "page_size") == NULL);
    CHECK("query_get is case-sensitive", query_get(&r, "Page") == NULL);
}

/* Query tables: the same field_spec as bodies, read from r->query. */

typedef struct {
    const char *theme, *q, *postcode, *raw;
    opt_int org_id;
} list_query;

static const field_spec list_query_fields[] = {
    QUERY_FIELD(list_query, theme, F_STRING, 0, NULL, &themes),
    QUERY_FIELD(list_query, q, F_STRING, 5, NULL, NULL),
    QUERY_FIELD(list_query, postcode, F_STRING, 0, postcode_check, NULL),
    QUERY_FIELD(list_query, raw, F_STRING, 0, NULL, NULL),
    QUERY_FIELD(list_query, org_id, F_ID, 0, NULL, NULL),
};

static void test_query_fields(void)
{
    static const struct {
        const char *name, *param, *value;
        const char *errors; /* "" none */
        const char *want;   /* the stored string, or for org_id its digits; NULL: nothing stored */
    } q[] = {
        {"query code: a code of the table", "theme", "health", "", "health"},
        {"query code: not a code", "theme", "sports", "theme:invalid_choice", NULL},
        {"query code: empty is not a code", "theme", "", "theme:invalid_choice", NULL},
        {"query code: a label is not a code", "theme", "健康", "theme:invalid_choice", NULL},
        {"query text: at its max of 5 characters", "q", "张三李四王", "", "张三李四王"},
        {"query text: 6 characters refused", "q", "张三李四王五", "q:invalid_format", NULL},
        {"query text: empty is no filter", "q", "", "", NULL},
        {"query text: invalid UTF-8 refused", "q", "\xff", "q:invalid_format", NULL},
        {"query text: blanks kept as sent", "q", "  ", "", "  "},
        {"query check: passes", "postcode", "450000", "", "450000"},
        {"query check: its code", "postcode", "45", "postcode:invalid_format", NULL},
        {"query check: empty checked too", "postcode", "", "postcode:invalid_format", NULL},
        {"query raw: passed through for the handler", "raw", "anything", "", "anything"},
        {"query raw: empty passed through", "raw", "", "", ""},
        {"query id: 1", "org_id", "1", "", "1"},
        {"query id: 18 digits", "org_id", "999999999999999999", "", "999999999999999999"},
        {"query id: 0 refused like a path's", "org_id", "0", "org_id:invalid_format", NULL},
        {"query id: 007 refused", "org_id", "007", "org_id:invalid_format", NULL},
        {"query id: -3 refused", "org_id", "-3", "org_id:invalid_format", NULL},
        {"query id: 19 digits refused", "org_id", "1000000000000000000", "org_id:invalid_format", NULL},
        {"query id: empty refused", "org_id", "", "org_id:invalid_format", NULL},
        {"query: an unknown parameter is ignored", "other", "x", "", NULL},
    };
    for (size_t i = 0; i < NELEM(q); i++) {
        req_t r;
        list_query out = {0};
        paging_t pg;
        memset(&r, 0, sizeof r);
        r.query[r.nquery++] = (kv_t){q[i].param, q[i].value};
        r.query[r.nquery++] = (kv_t){q[i].param, "second"}; /* a repeat: the first value is read */
        query_fields(&r, list_query_fields, NELEM(list_query_fields), &out, &pg);
        char got[200], idbuf[24] = "";
        errors_text(r.field_errors, got, sizeof got);
        if (out.org_id.set)
            snprintf(idbuf, sizeof idbuf, "%lld", out.org_id.v);
        const char *stored = out.theme ? out.theme : out.q ? out.q : out.postcode ? out.postcode : out.raw ? out.raw
                             : out.org_id.set ? idbuf : NULL;
        bool ok = !strcmp(got, q[i].errors) && (q[i].want ? streq(stored, q[i].want) : stored == NULL) &&
                  pg.page == 1 && pg.page_size == 20;
        if (!ok)
            fprintf(stderr, "  %s: errors \"%s\", stored %s\n", q[i].name, got, stored ? stored : "(none)");
        CHECK(q[i].name, ok);
        req_done(&r);
    }

    req_t r;
    memset(&r, 0, sizeof r);
    r.query[r.nquery++] = (kv_t){"theme", "x"};
    r.query[r.nquery++] = (kv_t){"page", "007"};
    list_query out = {0};
    paging_t pg;
    CHECK("query_parse_or_reply: false after one 422 naming every bad parameter",
          !query_parse_or_reply(&r, list_query_fields, NELEM(list_query_fields), &out, &pg) && r.status == 422 &&
              json_array_size(json_object_get(r.resp, "errors")) == 2);
    const json_t *e = json_array_get(json_object_get(r.resp, "errors"), 1);
    CHECK("a short table's message lists its codes",
          streq(json_string_value(json_object_get(e, "message")), "must be science, health, arts or env"));
    req_done(&r);
    memset(&r, 0, sizeof r);
    CHECK("query_parse_or_reply: true with no parameters", query_parse_or_reply(&r, NULL, 0, NULL, &pg) &&
                                                                !r.replied && pg.page == 1 && pg.offset == 0);
    req_done(&r);
}

/* ------------------------------------------------------------------ */
/* Reply helpers and the error table. */

static const char *header_value(const req_t *r, const char *name)
{
    for (int i = 0; i < r->nheaders; i++)
        if (!strcmp(r->headers[i].name, name))
            return r->headers[i].value;
    return NULL;
}

static void test_replies(void)
{
    static const struct {
        err_code e;
        int status;
        const char *code;
    } table[] = {
        {ERR_INVALID_JSON, 400, "invalid_json"},
        {ERR_VALIDATION, 422, "validation_failed"},
        {ERR_UNAUTHORIZED, 401, "unauthorized"},
        {ERR_INVALID_CODE, 401, "invalid_code"},
        {ERR_TOO_MANY_ATTEMPTS, 401, "too_many_attempts"},
        {ERR_INVALID_PASSWORD, 401, "invalid_password"},
        {ERR_FORBIDDEN, 403, "forbidden"},
        {ERR_VOLUNTEER_REQUIRED, 403, "volunteer_required"},
        {ERR_APPROVAL_REQUIRED, 403, "approval_required"},
        {ERR_REAUTHENTICATION_REQUIRED, 403, "reauthentication_required"},
        {ERR_NOT_FOUND, 404, "not_found"},
        {ERR_METHOD_NOT_ALLOWED, 405, "method_not_allowed"},
        {ERR_CONFLICT, 409, "conflict"},
        {ERR_ALREADY_EXISTS, 409, "already_exists"},
        {ERR_ALREADY_SIGNED_UP, 409, "already_signed_up"},
        {ERR_ACTIVITY_FULL, 409, "activity_full"},
        {ERR_SIGNUP_CLOSED, 409, "signup_closed"},
        {ERR_ORG_NOT_APPROVED, 409, "org_not_approved"},
        {ERR_PRECONDITION_FAILED, 412, "precondition_failed"},
        {ERR_PAYLOAD_TOO_LARGE, 413, "payload_too_large"},
        {ERR_UNSUPPORTED_MEDIA_TYPE, 415, "unsupported_media_type"},
        {ERR_RATE_LIMITED, 429, "rate_limited"},
        {ERR_INTERNAL, 500, "internal"},
        {ERR_UNAVAILABLE, 503, "unavailable"},
        {ERR_INVALID_FILE, 422, "invalid_file"},
        {ERR_TOO_MANY_ROWS, 422, "too_many_rows"},
        {ERR_ALREADY_COMMITTED, 409, "already_committed"},
        {ERR_NOT_VALIDATED, 409, "not_validated"},
        {ERR_CLAIM_REQUIRED, 409, "claim_required"},
        {ERR_ID_NUMBER_MISMATCH, 422, "id_number_mismatch"},
    };
    CHECK("error table test covers every err_code", NELEM(table) == ERR__MAX);
    for (size_t i = 0; i < NELEM(table); i++) {
        req_t r;
        memset(&r, 0, sizeof r);
        reply_error(&r, table[i].e, "some detail");
        const char *why = problem_wrong(&r, table[i].status, table[i].code);
        bool ok = !why && streq(json_string_value(json_object_get(r.resp, "detail")), "some detail") &&
                  !json_object_get(r.resp, "errors") &&
                  (table[i].status == 401) == streq(header_value(&r, "WWW-Authenticate"), "Bearer");
        char name[96];
        snprintf(name, sizeof name, "reply_error(%s) is a %d problem with its code and detail", table[i].code,
                 table[i].status);
        CHECK(name, ok);
        req_done(&r);
    }

    req_t r;
    memset(&r, 0, sizeof r);
    reply_error(&r, ERR_NOT_FOUND, NULL);
    CHECK("reply_error without detail uses the title", streq(json_string_value(json_object_get(r.resp, "detail")),
                                                             json_string_value(json_object_get(r.resp, "title"))));
    req_done(&r);

    reply_error(&r, (err_code)ERR__MAX + 7, "x");
    CHECK("reply_error with an out-of-range code is a 500", !problem_wrong(&r, 500, "internal"));
    req_done(&r);

    reply_json(&r, 200, json_pack("{s:i}", "a", 1));
    reply_error(&r, ERR_CONFLICT, "later error replaces the earlier body");
    CHECK("a later reply replaces the earlier one (no leak)", !problem_wrong(&r, 409, "conflict"));
    reply_empty(&r, 204);
    CHECK("reply_empty drops the body", r.status == 204 && r.resp == NULL && r.replied);
    req_done(&r);

    reply_json(&r, 201, json_pack("{s:s}", "k", "v"));
    CHECK("reply_json sets status, body and JSON content type",
          r.status == 201 && r.replied && streq(r.content_type_out, "application/json") &&
              streq(json_string_value(json_object_get(r.resp, "k")), "v"));
    req_done(&r);

    char value[16] = "first";
    reply_header(&r, "X-A", value);
    strcpy(value, "changed");
    CHECK("reply_header copies the value", streq(header_value(&r, "X-A"), "first"));
    for (int i = 1; i < MAX_EXTRA_HEADERS + 3; i++)
        reply_header(&r, "X-B", "b");
    CHECK("reply_header keeps at most MAX_EXTRA_HEADERS", r.nheaders == MAX_EXTRA_HEADERS);
    req_done(&r);

    db_t db;
    memset(&db, 0, sizeof db);
    r.db = &db;
    db.last = DB_UNAVAILABLE;
    reply_db_error(&r);
    CHECK("reply_db_error: database down is 503 with Retry-After",
          !problem_wrong(&r, 503, "unavailable") && streq(header_value(&r, "Retry-After"), "5"));
    req_done(&r);
    r.db = &db;
    db.last = DB_ERROR;
    reply_db_error(&r);
    CHECK("reply_db_error: any other database error is 500 without Retry-After",
          !problem_wrong(&r, 500, "internal") && !header_value(&r, "Retry-After"));
    req_done(&r);
}

/* ------------------------------------------------------------------ */
/* At most MAX_FIELD_ERRORS entries in errors, then errors_truncated. */

static void unknown_keys_case(int nkeys, size_t want_listed, bool want_truncated, const char *name)
{
    req_t r;
    form_t f;
    memset(&r, 0, sizeof r);
    memset(&f, 0, sizeof f);
    r.json = json_pack("{s:s}", "name", "ab");
    for (int i = 0; i < nkeys; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        json_object_set_new(r.json, key, json_integer(i));
    }
    body_fields(&r, specs, NELEM(specs), &f);
    bool replied = fields_failed_reply(&r);
    const json_t *errors = json_object_get(r.resp, "errors");
    char detail[64];
    snprintf(detail, sizeof detail, nkeys == 1 ? "1 field is invalid" : "%d fields are invalid", nkeys);
    bool ok = replied && r.status == 422 && json_array_size(errors) == want_listed &&
              json_is_true(json_object_get(r.resp, "errors_truncated")) == want_truncated &&
              (want_truncated || !json_object_get(r.resp, "errors_truncated")) &&
              streq(json_string_value(json_object_get(r.resp, "detail")), detail) && r.nfield_errors == (size_t)nkeys;
    if (!ok)
        fprintf(stderr, "  %s: listed %zu, truncated %d, detail %s\n", name, json_array_size(errors),
                json_is_true(json_object_get(r.resp, "errors_truncated")),
                json_string_value(json_object_get(r.resp, "detail")));
    CHECK(name, ok);
    req_done(&r);
}

static void test_errors_cap(void)
{
    CHECK("MAX_FIELD_ERRORS is 100 (API.md v1.1)", MAX_FIELD_ERRORS == 100);
    unknown_keys_case(1, 1, false, "1 unknown key: 1 error, no errors_truncated");
    unknown_keys_case(100, 100, false, "100 unknown keys: all 100 listed, no errors_truncated");
    unknown_keys_case(101, 100, true, "101 unknown keys: 100 listed, errors_truncated, detail counts 101");
    unknown_keys_case(96334, 100, true, "96,334 unknown keys: 100 listed, errors_truncated, detail counts all");
}

int main(void)
{
    test_table();
    test_body_fields_direct();
    test_text_rules();
    test_text_rule_broken();
    test_paging();
    test_query_fields();
    test_replies();
    test_errors_cap();
    return CHECK_DONE();
}
