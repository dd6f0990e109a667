/* If-Match against a resource's current ETag (RFC 9110 13.1.1), for every
 * service whose writes take one (orgs, stats targets). */
#include "etag.h"

#include <string.h>

/* One entity tag of a list at *p (after optional whitespace and commas):
 * its opaque part (between the quotes) in *tag and *len, weak or not. Returns the
 * position after it, or NULL at the end or on a malformed list. */
static const char *next_tag(const char *p, const char **tag, size_t *len, bool *weak)
{
    while (*p == ' ' || *p == '\t' || *p == ',')
        p++;
    if (!*p)
        return NULL;
    *weak = !strncmp(p, "W/", 2);
    if (*weak)
        p += 2;
    if (*p != '"')
        return NULL;
    const char *end = strchr(p + 1, '"');
    if (!end)
        return NULL;
    *tag = p + 1;
    *len = (size_t)(end - p - 1);
    p = end + 1;
    while (*p == ' ' || *p == '\t')
        p++;
    return *p && *p != ',' ? NULL : p;
}

bool if_match_ok(const char *if_match, const char *etag)
{
    if (!if_match)
        return true;
    const char *p = if_match;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '*') {
        for (p++; *p == ' ' || *p == '\t'; p++)
            ;
        return !*p;
    }
    size_t want = strlen(etag) - 2; /* etag is quoted */
    const char *tag;
    size_t len;
    bool weak;
    while ((p = next_tag(p, &tag, &len, &weak)))
        if (!weak && len == want && !memcmp(tag, etag + 1, want))
            return true;
    return false;
}
