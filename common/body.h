/* Strict JSON bodies and query strings, validated at the edge into typed
 * values. A service describes its body, or its query parameters, as a table
 * of fields; body_parse() checks types, lengths (in characters), control
 * characters, code tables and unknown fields, collecting every bad field
 * before the handler looks at any. A non-empty string of only blank or
 * invisible characters is "blank". query_fields() reads the query string
 * through the same tables (see there). */
#ifndef STVS_BODY_H
#define STVS_BODY_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "http.h"

/* F_ID: an id (scan_id(): 1 to 18 digits, no sign, no leading zero, in a
 * query; a JSON integer from 1 in a body), read into an opt_int. */
typedef enum { F_STRING, F_INT, F_BOOL, F_NUMBER, F_ARRAY, F_OBJECT, F_ID } field_type;

typedef struct {
    bool set;
    long long v;
} opt_int;
typedef struct {
    bool set;
    bool v;
} opt_bool;
typedef struct {
    bool set;
    double v;
} opt_num;

typedef struct {
    const char *code, *label;
} code_entry;
typedef struct {
    const char *name;
    const code_entry *entries;
    size_t n;
} code_table;

/* A check on a well-typed string: returns NULL when fine, else an error code
 * (e.g. "invalid_format") and sets *message. */
typedef const char *(*field_check)(const char *value, const char **message);

enum {
    FIELD_REQUIRED = 1,
    FIELD_IMMUTABLE = 2,
    FIELD_NULLABLE = 4,
    FIELD_MULTILINE = 8,
    FIELD_OUT_OF_RANGE = 16, /* query: any bad value is "out_of_range" (page_size, as the contract has it) */
};

typedef struct {
    const char *name;
    field_type type;
    unsigned flags;
    long min, max;            /* string: characters; int: value; array: items */
    size_t offset;            /* where the value goes in the output struct */
    field_check check;        /* strings (and array items) */
    const code_table *table;  /* strings (and array items) must be a code of it */
} field_spec;

/* Output types by field type: F_STRING const char * (NULL when absent),
 * F_INT and F_ID opt_int, F_BOOL opt_bool, F_NUMBER opt_num, F_ARRAY/F_OBJECT
 * const json_t * (borrowed from r->json). */

/* Parses r->body into r->json. Replies 400 and returns false when the body
 * is not one JSON object with unique keys. */
bool body_object_or_reply(req_t *r);
/* Validates r->json against the table into out; errors go to r->field_errors.
 * Call fields_failed_reply() after any cross-field checks. */
void body_fields(req_t *r, const field_spec *specs, size_t n, void *out);
/* The same for a nested object; errors are named prefix + field ("leader."). */
void body_fields_of(req_t *r, const json_t *obj, const char *prefix, const field_spec *specs, size_t n, void *out);
/* body_object_or_reply + body_fields + fields_failed_reply. */
bool body_parse_or_reply(req_t *r, const field_spec *specs, size_t n, void *out);

/* The table of a PATCH from the table of a POST: nothing required, and the
 * named fields immutable (sending them is a 422 "immutable"). out has n slots. */
void fields_for_patch(const field_spec *in, size_t n, const char *const *immutable, field_spec *out);

/* Query parameters through a field table (unknown parameters are ignored;
 * a repeated one is read at its first value). By type:
 *   F_STRING with a table: a code of it, else "invalid_choice" listing the
 *     choices (an empty value included);
 *   F_STRING with a check: check(value) (an empty value included);
 *   F_STRING with max: free text of at most max characters of valid UTF-8,
 *     else "invalid_format"; an empty value is no filter (NULL);
 *   F_STRING otherwise: the raw value, for the handler's own check
 *     (region_param_or_reply, a time bound);
 *   F_ID: scan_id() and, with max, at most max: else "invalid_format".
 * FIELD_OUT_OF_RANGE makes any bad value's code out_of_range. With paging, also
 * ?page= (1 to 1000000, else page/invalid_format) and ?page_size= (1 to
 * 100, else page_size/out_of_range): defaults 1 and 20. Errors go to
 * r->field_errors; the caller adds its own checks, then
 * fields_failed_reply(). specs may be NULL with n 0. */
void query_fields(req_t *r, const field_spec *specs, size_t n, void *out, paging_t *paging);
/* query_fields + fields_failed_reply: false after answering 422. */
bool query_parse_or_reply(req_t *r, const field_spec *specs, size_t n, void *out, paging_t *paging);
/* A query table's row: QUERY_FIELD(activity_query, org_id, F_ID, 0, NULL, NULL). */
#define QUERY_FIELD(type, name, kind, max, check, table) {#name, kind, 0, 0, max, offsetof(type, name), check, table}

/* "must be a, b or c" from a short table (at most 8 codes), else "must be a
 * code of table NAME" (GET /meta/codes lists it). */
const char *code_choices_message(req_t *r, const code_table *t);

/* Field checks shared by services. */
const char *check_phone(const char *v, const char **message); /* mainland mobile: 1[3-9] + 9 digits */

/* Text rules shared by every string field. */
long utf8_chars(const char *s);                /* -1 when not valid UTF-8 */
bool has_control_chars(const char *s, bool allow_newlines);
/* Only blank or invisible characters (an empty string too): such a text
 * field is 422 "blank". */
bool is_blank_text(const char *s);
bool code_table_has(const code_table *t, const char *code);
/* The code's row in t, or -1 when t has no such code. */
int code_table_index(const code_table *t, const char *code);
/* The first rule a string breaks, in the order the field tables check them,
 * by the code they report: "invalid_format" (not UTF-8),
 * "control_character" (newlines allowed when multiline), "blank" (free text
 * only: not a code), "too_short" / "too_long" (characters; a bound of 0 is
 * none); NULL when it keeps them all. Shared with checks of text that is
 * not a JSON body's (the import's cells, common/org_rules.h). */
const char *text_rule_broken(const char *v, long min, long max, bool multiline, bool free_text);

#endif
