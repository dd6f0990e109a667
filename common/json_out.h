/* JSON written straight into one buffer, for answers of many rows of one
 * shape (a page of activities) and the hottest single reads: a jansson tree
 * per row, each string copied and checked, then dumped, was most of the
 * activity service's CPU on a list request (bench/ANALYSIS.md, session 5).
 * Prints what json_dumps(JSON_COMPACT | JSON_REAL_PRECISION(15)), the
 * replies' own flags (common/app.c), prints for the same values. The writer
 * owns its buffer; a failed allocation is remembered and json_out_text()
 * then answers NULL, so callers check once at the end. */
#ifndef STVS_JSON_OUT_H
#define STVS_JSON_OUT_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The json_dumps flags whose output json_out reproduces (the replies'). */
#define JSON_OUT_DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

#define JSON_OUT_DEPTH 8

typedef struct {
    char *buf;
    size_t len, cap;
    bool failed;
    int depth;                          /* open objects and arrays */
    bool has_member[JSON_OUT_DEPTH];    /* a comma goes before the next member */
    bool after_key;                     /* the next value is a member's, no comma */
} json_out;

void json_out_init(json_out *o);
void json_out_free(json_out *o);
/* The text so far (NUL-terminated, owned by o), or NULL after a failure or
 * with an object or array still open. */
const char *json_out_text(const json_out *o, size_t *len);
/* The text as a jansson tree (for an answer that nests or edits it), and the
 * writer freed; NULL when the writer failed or out of memory. */
json_t *json_out_tree(json_out *o);

void jo_open(json_out *o, char bracket);  /* '{' or '[' */
void jo_close(json_out *o, char bracket); /* '}' or ']' */
void jo_key(json_out *o, const char *key); /* a member's name; its value comes next */
void jo_string(json_out *o, const char *s); /* NULL: null */
void jo_int(json_out *o, long long v);
void jo_bool(json_out *o, bool v);
void jo_null(json_out *o);
/* A number from its decimal text (a numeric column), printed as jansson
 * prints the double it is; NULL: 0.0, as db_num() reads it. */
void jo_real_text(json_out *o, const char *decimal);
/* JSON text as PostgreSQL made it (to_json, a json column): copied as it is;
 * NULL: fallback ("null", "[]"). Only for text the database generated. */
void jo_raw(json_out *o, const char *json, const char *fallback);

#endif
