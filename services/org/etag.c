/* ETag of GET/PATCH /orgs/{id} (API.md v1.1; If-Match: common/etag.c).
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
