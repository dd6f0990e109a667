#include "body.h"

#include <math.h>
#include <string.h>

#include "scan.h"

bool body_object_or_reply(req_t *r)
{
    json_error_t jerr;
    if (r->json)
        return true;
    if (!r->body_len) {
        reply_error(r, ERR_INVALID_JSON, "a JSON object body is required");
        return false;
    }
    r->json = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!r->json) {
        const char *why = strstr(jerr.text, "duplicate") ? "duplicate object key" : "body is not valid JSON";
        reply_error(r, ERR_INVALID_JSON, arena_printf(&r->arena, "%s at line %d column %d", why, jerr.line,
                                                      jerr.column));
        return false;
    }
    if (!json_is_object(r->json)) {
        reply_error(r, ERR_INVALID_JSON, "body must be a JSON object");
        return false;
    }
    return true;
}

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past
 * U+10FFFF. Returns the number of characters, or -1. */
long utf8_chars(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    long n = 0;
    while (*p) {
        unsigned c = *p;
        int len;
        unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
        if (c < 0x80)
            len = 1;
        else if (c >= 0xc2 && c <= 0xdf)
            len = 2;
        else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            if (c == 0xe0)
                lo = 0xa0; /* overlong */
            if (c == 0xed)
                hi = 0x9f; /* surrogates */
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            if (c == 0xf0)
                lo = 0x90; /* overlong */
            if (c == 0xf4)
                hi = 0x8f; /* past U+10FFFF */
        } else
            return -1;
        if (len > 1 && (p[1] < lo || p[1] > hi))
            return -1;
        for (int i = 2; i < len; i++)
            if ((p[i] & 0xc0) != 0x80)
                return -1;
        p += len;
        n++;
    }
    return n;
}

bool has_control_chars(const char *s, bool allow_newlines)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (allow_newlines && (*p == '\n' || *p == '\r' || *p == '\t'))
            continue;
        if (*p < 0x20 || *p == 0x7f)
            return true;
        /* C1 controls U+0080..U+009F are encoded as C2 80..C2 9F */
        if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
            return true;
    }
    return false;
}

int code_table_index(const code_table *t, const char *code)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->entries[i].code, code))
            return (int)i;
    return -1;
}

bool code_table_has(const code_table *t, const char *code) { return code_table_index(t, code) >= 0; }

static const field_spec *spec_find(const field_spec *specs, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(specs[i].name, name))
            return &specs[i];
    return NULL;
}

static const char *type_name(field_type t)
{
    switch (t) {
    case F_STRING: return "a string";
    case F_INT: return "an integer";
    case F_BOOL: return "a boolean";
    case F_NUMBER: return "a number";
    case F_ARRAY: return "an array";
    case F_OBJECT: return "an object";
    case F_ID: return "a positive integer";
    }
    return "?";
}

/* The invisible or blank characters of API.md v1.1 (U+200B-U+200D, U+2060,
 * U+FEFF, U+00A0, U+3000, ASCII blanks) and the rest of Unicode's
 * White_Space (U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F) and
 * U+180E: the length in bytes of the one at s, or 0. */
static size_t blank_char_len(const unsigned char *s)
{
    if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\v' || *s == '\f')
        return 1;
    if (s[0] == 0xc2 && s[1] == 0xa0) /* U+00A0 */
        return 2;
    if (s[0] == 0xe1 && ((s[1] == 0x9a && s[2] == 0x80) || (s[1] == 0xa0 && s[2] == 0x8e))) /* U+1680, U+180E */
        return 3;
    if (s[0] == 0xe2 && s[1] == 0x80 && ((s[2] >= 0x80 && s[2] <= 0x8d) || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf))
        return 3; /* U+2000-U+200D, U+2028, U+2029, U+202F */
    if (s[0] == 0xe2 && s[1] == 0x81 && (s[2] == 0x9f || s[2] == 0xa0)) /* U+205F, U+2060 */
        return 3;
    if (s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80) /* U+3000 */
        return 3;
    if (s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf) /* U+FEFF */
        return 3;
    return 0;
}

bool is_blank_text(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n;
    while (*p && (n = blank_char_len(p)) > 0)
        p += n;
    return *p == '\0';
}

const char *text_rule_broken(const char *v, long min, long max, bool multiline, bool free_text)
{
    long chars = utf8_chars(v);
    if (chars < 0)
        return "invalid_format";
    if (has_control_chars(v, multiline))
        return "control_character";
    if (*v && free_text && is_blank_text(v)) /* API.md v1.1: "blank", every service's text fields */
        return "blank";
    if (min && chars < min)
        return "too_short";
    if (max && chars > max)
        return "too_long";
    return NULL;
}

/* Checks one string value; field is the name to report (e.g. "themes[2]"). */
static bool check_string(req_t *r, const field_spec *s, const char *field, const char *v, bool length_rule)
{
    long min = length_rule ? s->min : 0, max = length_rule ? s->max : 0;
    const char *broken = text_rule_broken(v, min, max, s->flags & FIELD_MULTILINE, !s->table);
    if (broken) {
        const char *msg = !strcmp(broken, "invalid_format")      ? "must be valid UTF-8"
                          : !strcmp(broken, "control_character") ? "must not contain control characters"
                          : !strcmp(broken, "blank")             ? "must not be only blank or invisible characters"
                          : !strcmp(broken, "too_short") ? arena_printf(&r->arena, "must be at least %ld characters", min)
                                                         : arena_printf(&r->arena, "must be at most %ld characters", max);
        field_error(r, field, broken, msg);
        return false;
    }
    if (s->table && !code_table_has(s->table, v)) {
        field_error(r, field, "invalid_choice", code_choices_message(r, s->table));
        return false;
    }
    if (s->check) {
        const char *msg = "is not valid";
        const char *code = s->check(v, &msg);
        if (code) {
            field_error(r, field, code, msg);
            return false;
        }
    }
    return true;
}

static void check_array(req_t *r, const field_spec *s, const json_t *v)
{
    size_t n = json_array_size(v);
    if (s->min && (long)n < s->min) {
        field_error(r, s->name, "too_short", arena_printf(&r->arena, "must have at least %ld items", s->min));
        return;
    }
    if (s->max && (long)n > s->max) {
        field_error(r, s->name, "too_long", arena_printf(&r->arena, "must have at most %ld items", s->max));
        return;
    }
    /* Arrays here are lists of codes or short strings; items must be unique. */
    for (size_t i = 0; i < n; i++) {
        const json_t *item = json_array_get(v, i);
        const char *name = arena_printf(&r->arena, "%s[%zu]", s->name, i);
        if (!json_is_string(item)) {
            field_error(r, name, "invalid_type", "must be a string");
            continue;
        }
        if (!check_string(r, s, name, json_string_value(item), false))
            continue;
        for (size_t j = 0; j < i; j++)
            if (json_equal(item, json_array_get(v, j))) {
                field_error(r, name, "duplicate", "repeats an earlier item");
                break;
            }
    }
}

static void store(req_t *r, const field_spec *s, const json_t *v, void *out)
{
    char *dst = (char *)out + s->offset;
    switch (s->type) {
    case F_STRING: {
        const char *str = json_string_value(v);
        if (check_string(r, s, s->name, str, true))
            *(const char **)dst = str;
        break;
    }
    case F_INT: {
        long long n = json_integer_value(v);
        if ((s->min || s->max) && (n < s->min || n > s->max)) {
            field_error(r, s->name, "out_of_range",
                        arena_printf(&r->arena, "must be between %ld and %ld", s->min, s->max));
            break;
        }
        *(opt_int *)dst = (opt_int){true, n};
        break;
    }
    case F_ID: {
        long long n = json_integer_value(v);
        if (n < 1 || n > ID_MAX || (s->max && n > s->max)) {
            field_error(r, s->name, "out_of_range", "must be a positive integer");
            break;
        }
        *(opt_int *)dst = (opt_int){true, n};
        break;
    }
    case F_BOOL:
        *(opt_bool *)dst = (opt_bool){true, json_is_true(v)};
        break;
    case F_NUMBER: {
        double d = json_number_value(v);
        if (!isfinite(d)) {
            field_error(r, s->name, "out_of_range", "must be a finite number");
            break;
        }
        *(opt_num *)dst = (opt_num){true, d};
        break;
    }
    case F_ARRAY:
        check_array(r, s, v);
        *(const json_t **)dst = v;
        break;
    case F_OBJECT:
        *(const json_t **)dst = v;
        break;
    }
}

static bool type_ok(field_type t, const json_t *v)
{
    switch (t) {
    case F_STRING: return json_is_string(v);
    case F_INT: return json_is_integer(v);
    case F_BOOL: return json_is_boolean(v);
    case F_NUMBER: return json_is_number(v);
    case F_ARRAY: return json_is_array(v);
    case F_OBJECT: return json_is_object(v);
    case F_ID: return json_is_integer(v);
    }
    return false;
}

void body_fields_of(req_t *r, const json_t *obj, const char *prefix, const field_spec *specs, size_t n, void *out)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        if (!spec_find(specs, n, key))
            field_error(r, arena_printf(&r->arena, "%s%s", prefix, key), "unknown_field",
                        "is not a field of this request");
    }
    for (size_t i = 0; i < n; i++) {
        field_spec s = specs[i];
        if (*prefix) /* errors name the nested field: "leader.phone" */
            s.name = arena_printf(&r->arena, "%s%s", prefix, specs[i].name);
        v = json_object_get(obj, specs[i].name);
        if (!v) {
            if (s.flags & FIELD_REQUIRED)
                field_error(r, s.name, "required", "is required");
            continue;
        }
        if (s.flags & FIELD_IMMUTABLE) {
            field_error(r, s.name, "immutable", "cannot be changed");
            continue;
        }
        if (json_is_null(v) && (s.flags & FIELD_NULLABLE))
            continue;
        if (!type_ok(s.type, v)) {
            field_error(r, s.name, "invalid_type", arena_printf(&r->arena, "must be %s", type_name(s.type)));
            continue;
        }
        store(r, &s, v, out);
    }
}

void body_fields(req_t *r, const field_spec *specs, size_t n, void *out)
{
    body_fields_of(r, r->json, "", specs, n, out);
}

bool body_parse_or_reply(req_t *r, const field_spec *specs, size_t n, void *out)
{
    if (!body_object_or_reply(r))
        return false;
    body_fields(r, specs, n, out);
    return !fields_failed_reply(r);
}

void fields_for_patch(const field_spec *in, size_t n, const char *const *immutable, field_spec *out)
{
    for (size_t i = 0; i < n; i++) {
        out[i] = in[i];
        out[i].flags &= ~(unsigned)FIELD_REQUIRED;
        for (const char *const *name = immutable; *name; name++)
            if (!strcmp(*name, in[i].name))
                out[i].flags |= FIELD_IMMUTABLE;
    }
}

const char *check_phone(const char *v, const char **message)
{
    bool ok = strlen(v) == 11 && v[0] == '1' && v[1] >= '3' && v[1] <= '9';
    for (int i = 2; ok && i < 11; i++)
        ok = v[i] >= '0' && v[i] <= '9';
    *message = "must be a mainland mobile number (11 digits, 1[3-9]…)";
    return ok ? NULL : "invalid_format";
}

const char *code_choices_message(req_t *r, const code_table *t)
{
    if (t->n > 8)
        return arena_printf(&r->arena, "must be a code of table %s", t->name);
    const char *m = "must be";
    for (size_t i = 0; i < t->n; i++)
        m = arena_printf(&r->arena, "%s%s %s", m, i == 0 ? "" : i + 1 == t->n ? " or" : ",", t->entries[i].code);
    return m;
}

/* One query parameter of a table, v its (first) value: NULL when fine,
 * else the error code and *message. */
static const char *query_value(req_t *r, const field_spec *s, const char *v, void *out, const char **message)
{
    char *dst = (char *)out + s->offset;
    if (s->type == F_ID) {
        long long id;
        if (!scan_id_str(v, &id) || (s->max && id > s->max)) {
            *message = s->max ? arena_printf(&r->arena, "must be an integer from 1 to %ld", s->max)
                              : "must be a positive integer";
            return "invalid_format";
        }
        *(opt_int *)dst = (opt_int){true, id};
        return NULL;
    }
    if (s->type != F_STRING) { /* a table bug: no other type reads a query */
        *message = "cannot be read from a query";
        return "invalid_format";
    }
    if (s->table) {
        *message = code_choices_message(r, s->table);
        if (!code_table_has(s->table, v))
            return "invalid_choice";
    } else if (s->check) {
        const char *code = s->check(v, message);
        if (code)
            return code;
    } else if (s->max) {
        long chars = utf8_chars(v);
        if (chars < 0 || chars > s->max || has_control_chars(v, false)) {
            *message = arena_printf(&r->arena, "must be at most %ld characters of text", s->max);
            return "invalid_format";
        }
        if (!*v)
            return NULL; /* empty text: no filter */
    }
    *(const char **)dst = v;
    return NULL;
}

static void query_specs(req_t *r, const field_spec *specs, size_t n, void *out)
{
    for (size_t i = 0; i < n; i++) {
        const char *v = query_get(r, specs[i].name), *message = "is not valid";
        if (!v)
            continue;
        const char *code = query_value(r, &specs[i], v, out, &message);
        if (code)
            field_error(r, specs[i].name, (specs[i].flags & FIELD_OUT_OF_RANGE) ? "out_of_range" : code, message);
    }
}

typedef struct {
    opt_int page, page_size;
} paging_query;

/* API.md: a bad page is invalid_format, a bad page_size out_of_range, whatever is wrong with it. */
static const field_spec paging_fields[] = {
    {"page", F_ID, 0, 1, 1000000, offsetof(paging_query, page), NULL, NULL},
    {"page_size", F_ID, FIELD_OUT_OF_RANGE, 1, PAGE_SIZE_MAX, offsetof(paging_query, page_size), NULL, NULL},
};

void query_fields(req_t *r, const field_spec *specs, size_t n, void *out, paging_t *paging)
{
    if (paging) {
        paging_query pq = {{false, 1}, {false, 20}};
        query_specs(r, paging_fields, sizeof paging_fields / sizeof *paging_fields, &pq);
        paging->page = pq.page.v;
        paging->page_size = pq.page_size.v;
        paging->offset = (paging->page - 1) * paging->page_size;
    }
    if (specs)
        query_specs(r, specs, n, out);
}

bool query_parse_or_reply(req_t *r, const field_spec *specs, size_t n, void *out, paging_t *paging)
{
    query_fields(r, specs, n, out, paging);
    return !fields_failed_reply(r);
}
