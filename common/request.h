/* Request parsing, between the FastCGI shell (app.c) and routing: the query
 * string, the body, the Content-Type and the bearer token. Pure functions of
 * their inputs and the request's arena, so they are unit-tested on their own
 * (tests/unit/test_request.c); app.c only hands them libfcgi's params and
 * input stream. */
#ifndef STVS_REQUEST_H
#define STVS_REQUEST_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "http.h"
#include "token.h"

/* Decodes n bytes of application/x-www-form-urlencoded text (+ is a space,
 * %XX a byte; a % not followed by two hex digits is kept as it is) into the
 * arena. *len is the decoded length, which a %00 makes longer than
 * strlen(). NULL when the arena is out of memory. */
char *url_decode(arena_t *a, const char *s, size_t n, size_t *len);

/* Splits the query string qs (NULL: none) into r->query. Nothing is cut
 * silently: more than MAX_QUERY_PARAMS parameters (empty segments do not
 * count), or a control character (NUL included) in a name or value, is a
 * field error that dispatch answers as a 422 before the handler runs. */
void request_query(req_t *r, const char *qs);

/* application/json, with or without parameters (charset=...). */
bool request_is_json(const char *content_type);

/* Reads up to n bytes of the body into buf; returns how many it read. */
typedef int (*body_reader)(void *ctx, char *buf, int n);
/* Reads a body of content_length bytes (NULL or "": none) into r->body.
 * False after answering: 400 for a bad Content-Length or a body that ends
 * early, 413 (without reading) for one over max bytes (MAX_BODY, or the
 * service's max_body for its uploads), 500 without memory. */
bool request_body_or_reply(req_t *r, const char *content_length, size_t max, body_reader read, void *ctx);

/* The Authorization header's bearer token, checked with keys at now: sets
 * r->user_id and r->session_id, or answers 401 and returns false. */
bool request_bearer_or_reply(req_t *r, const jwt_keys *keys, time_t now);

#endif
