/* Aliyun RPC signing, SignatureVersion 1.0, HMAC-SHA1 (pure: no I/O).
 *
 * As documented by Aliyun (https://help.aliyun.com/document_detail/101343.htm):
 *   1. sort all parameters except Signature by name;
 *   2. percent-encode each name and value (UTF-8 bytes; A-Z a-z 0-9 - _ . ~
 *      kept, everything else %XY, so space is %20 and never '+');
 *   3. join as name=value with '&' -> CanonicalizedQueryString;
 *   4. StringToSign = HTTPMethod + "&" + percentEncode("/") + "&" + percentEncode(CanonicalizedQueryString);
 *   5. Signature = Base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign)). */
#include "sms_aliyun.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

/* ---- growable string; any allocation failure sticks in .failed ---- */

typedef struct {
    char *p;
    size_t len, cap;
    bool failed;
} strbuf;

static bool sb_grow(strbuf *b, size_t need)
{
    size_t cap = b->cap ? b->cap : 128;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->p, cap);
    if (!p)
        return false;
    b->p = p;
    b->cap = cap;
    return true;
}

static void sb_putn(strbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (n > SIZE_MAX - 1 - b->len || (b->len + n + 1 > b->cap && !sb_grow(b, b->len + n + 1))) {
        b->failed = true;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_puts(strbuf *b, const char *s) { sb_putn(b, s, strlen(s)); }

bool aliyun_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '~';
}

/* Appends s percent-encoded per Aliyun's rules (RFC 3986 unreserved set). */
static void sb_put_pct(strbuf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *q = (const unsigned char *)s; *q && !b->failed; q++) {
        if (aliyun_unreserved(*q)) {
            sb_putn(b, (const char *)q, 1);
        } else {
            char e[3] = {'%', hex[*q >> 4], hex[*q & 0x0F]};
            sb_putn(b, e, sizeof e);
        }
    }
}

/* The contents ("" if nothing was written), b emptied; NULL on failure. */
static char *sb_take(strbuf *b)
{
    char *p = b->failed ? NULL : b->p ? b->p : calloc(1, 1);
    if (b->failed)
        free(b->p);
    *b = (strbuf){0};
    return p;
}

/* ---- the canonicalized query string ---- */

typedef struct {
    const char *k, *v;
} kv_pair;

static int kv_cmp(const void *a, const void *b) { return strcmp(((const kv_pair *)a)->k, ((const kv_pair *)b)->k); }

/* The n pairs sorted by key; NULL if a key is missing, empty, "Signature" or
 * repeated, a value is missing, or memory runs out. */
static kv_pair *sorted_pairs(const char *const *keys, const char *const *values, size_t n)
{
    kv_pair *kv = malloc(n * sizeof *kv);
    if (!kv)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!keys[i] || keys[i][0] == '\0' || !values[i] || strcmp(keys[i], "Signature") == 0)
            goto bad;
        kv[i] = (kv_pair){keys[i], values[i]};
    }
    qsort(kv, n, sizeof *kv, kv_cmp);
    for (size_t i = 1; i < n; i++)
        if (strcmp(kv[i - 1].k, kv[i].k) == 0)
            goto bad; /* duplicate key: the request would be ambiguous */
    return kv;
bad:
    free(kv);
    return NULL;
}

/* key=value&... of the sorted, percent-encoded pairs; malloc'd, NULL on failure. */
static char *canonical_query(const char *const *keys, const char *const *values, size_t n)
{
    if (n == 0)
        return calloc(1, 1);
    kv_pair *kv = sorted_pairs(keys, values, n);
    if (!kv)
        return NULL;
    strbuf canon = {0};
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            sb_putn(&canon, "&", 1);
        sb_put_pct(&canon, kv[i].k);
        sb_putn(&canon, "=", 1);
        sb_put_pct(&canon, kv[i].v);
    }
    free(kv);
    return sb_take(&canon);
}

/* ---- the signature ---- */

/* Base64(HMAC-SHA1(secret + "&", method + "&%2F&" + percentEncode(canon))); malloc'd, NULL on failure. */
static char *signature_of(const char *method, const char *canon, const char *secret)
{
    strbuf sts = {0}, key = {0};
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char *sig = NULL;

    sb_puts(&sts, method);
    sb_puts(&sts, "&");
    sb_put_pct(&sts, "/");
    sb_puts(&sts, "&");
    sb_put_pct(&sts, canon);
    sb_puts(&key, secret);
    sb_puts(&key, "&");
    if (sts.failed || key.failed || key.len > (size_t)INT_MAX)
        goto out;
    if (!HMAC(EVP_sha1(), key.p, (int)key.len, (const unsigned char *)sts.p, sts.len, md, &mdlen) || mdlen == 0 ||
        mdlen > sizeof md)
        goto out;
    sig = malloc(4 * ((mdlen + 2) / 3) + 1);
    if (sig && EVP_EncodeBlock((unsigned char *)sig, md, (int)mdlen) <= 0) {
        free(sig);
        sig = NULL;
    }
out:
    if (key.p)
        OPENSSL_cleanse(key.p, key.len);
    free(key.p);
    free(sts.p);
    return sig;
}

static bool sign_args_ok(const char *method, const char *const *keys, const char *const *values, size_t n,
                         const char *secret, char **out_signature)
{
    return out_signature && method && secret && (!strcmp(method, "GET") || !strcmp(method, "POST")) &&
           (n == 0 || (keys && values)) && n <= SIZE_MAX / sizeof(kv_pair);
}

int aliyun_sign(const char *method, const char *const *keys, const char *const *values, size_t n,
                const char *access_key_secret, char **out_signature, char **out_canonical_query)
{
    if (out_signature)
        *out_signature = NULL;
    if (out_canonical_query)
        *out_canonical_query = NULL;
    if (!sign_args_ok(method, keys, values, n, access_key_secret, out_signature))
        return -1;
    char *canon = canonical_query(keys, values, n);
    char *sig = canon ? signature_of(method, canon, access_key_secret) : NULL;
    if (!sig) {
        free(canon);
        return -1;
    }
    *out_signature = sig;
    if (out_canonical_query)
        *out_canonical_query = canon;
    else
        free(canon);
    return 0;
}

char *aliyun_signed_query(const char *method, const char *const *keys, const char *const *values, size_t n,
                          const char *access_key_secret)
{
    char *sig = NULL, *canon = NULL;
    if (aliyun_sign(method, keys, values, n, access_key_secret, &sig, &canon) != 0)
        return NULL;
    strbuf q = {0};
    sb_puts(&q, canon);
    sb_puts(&q, n ? "&Signature=" : "Signature=");
    sb_put_pct(&q, sig);
    free(sig);
    free(canon);
    return sb_take(&q);
}
