/* ETag and If-Match for GET/PATCH /orgs/{id} (API.md v1.1).
 *
 * The ETag is "<version>-<hash>": version is org.orgs.version, which a
 * trigger bumps on every UPDATE of the row (009_org_v11.sql), so any write to
 * the org, even one that writes back the same values, gives a new tag; hash is
 * the first 8 bytes of the SHA-256 of the org's JSON (compact, sorted keys),
 * which also changes with what the representation takes from other rows
 * (activity_count, the parent's name, region names). Equal tags therefore mean
 * byte-equal representations: a strong validator. */
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "org.h"

void org_etag(req_t *r, long long version, const json_t *org, char etag[ETAG_MAX])
{
    unsigned char digest[32];
    char hex[17];
    const char *text = json_text(r, org, JSON_COMPACT | JSON_SORT_KEYS);
    /* Without the text (out of memory) the tag still changes with the row;
     * the arena has failed, so the request answers 500 anyway. */
    crypto_sha256(text ? text : "", text ? strlen(text) : 0, digest);
    hex_encode(digest, 8, hex);
    snprintf(etag, ETAG_MAX, "\"%lld-%s\"", version, hex);
}

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
