/* If-Match (RFC 9110 13.1.1) against a resource's current ETag. */
#ifndef STVS_ETAG_H
#define STVS_ETAG_H
#include <stdbool.h>

/* Strong comparison: true when if_match is absent (NULL), "*", or a list
 * one of whose entity tags is etag (quoted, as the ETag header sends it).
 * Weak tags and a malformed list never match. */
bool if_match_ok(const char *if_match, const char *etag);

#endif
