#include "token.h"

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "scan.h"

#define MAX_TOKEN 4096

static int bn_param_b64(const EVP_PKEY *pk, const char *name, char *out, size_t outlen)
{
    BIGNUM *bn = NULL;
    unsigned char buf[32];
    if (!EVP_PKEY_get_bn_param(pk, name, &bn))
        return -1;
    int rc = BN_bn2binpad(bn, buf, sizeof buf) == 32 && b64url_encode(buf, 32, out, outlen) ? 0 : -1;
    BN_free(bn);
    return rc;
}

int jwt_keys_load(jwt_keys *k, const char *pem, size_t len, const char *issuer, const char *audience, char *err,
                  size_t errlen)
{
    int rc = -1;
    char curve[32] = "";
    memset(k, 0, sizeof *k);
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *pk = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
    if (!pk) {
        snprintf(err, errlen, "not a PEM public key");
        goto out;
    }
    if (!EVP_PKEY_is_a(pk, "EC") ||
        !EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve, NULL) ||
        strcmp(curve, "prime256v1")) {
        snprintf(err, errlen, "not a P-256 (ES256) key");
        goto out;
    }
    if (bn_param_b64(pk, OSSL_PKEY_PARAM_EC_PUB_X, k->x, sizeof k->x) ||
        bn_param_b64(pk, OSSL_PKEY_PARAM_EC_PUB_Y, k->y, sizeof k->y)) {
        snprintf(err, errlen, "cannot read the key's coordinates");
        goto out;
    }
    /* RFC 7638: SHA-256 over the required members in lexicographic order. */
    char canon[200];
    unsigned char digest[32];
    int n = snprintf(canon, sizeof canon, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", k->x, k->y);
    crypto_sha256(canon, (size_t)n, digest);
    b64url_encode(digest, 32, k->kid, sizeof k->kid);
    k->public_pem = malloc(len + 1);
    if (!k->public_pem) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    k->pkey = pk;
    pk = NULL; /* kept */
    memcpy(k->public_pem, pem, len);
    k->public_pem[len] = '\0';
    k->public_len = len;
    k->issuer = issuer;
    k->audience = audience;
    rc = 0;
out:
    EVP_PKEY_free(pk);
    BIO_free(bio);
    return rc;
}

void jwt_keys_free(jwt_keys *k)
{
    EVP_PKEY_free(k->pkey);
    free(k->public_pem);
    k->pkey = NULL;
    k->public_pem = NULL;
}

/* Each thread keeps a verify context for the key it last checked with:
 * EVP_DigestVerifyInit on every token fetched the digest and the key's
 * method again (5% of a refusal's CPU in the sign-up rush, where every token
 * is new; bench/ANALYSIS.md, session 12). The context holds a reference to
 * its key, so a key's address is never reused while a context names it. The
 * thread's context is freed when the thread ends. */
static pthread_key_t verifier_key;
static pthread_once_t verifier_once = PTHREAD_ONCE_INIT;
static bool verifier_ready;

static void verifier_free(void *ctx) { EVP_PKEY_CTX_free(ctx); }
static void verifier_init(void) { verifier_ready = pthread_key_create(&verifier_key, verifier_free) == 0; }

/* This thread's context for key, ready to verify; NULL out of memory. */
static EVP_PKEY_CTX *verifier_for(EVP_PKEY *key)
{
    pthread_once(&verifier_once, verifier_init);
    if (!verifier_ready)
        return NULL;
    EVP_PKEY_CTX *kept = pthread_getspecific(verifier_key);
    if (kept && EVP_PKEY_CTX_get0_pkey(kept) == key)
        return kept;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
    if (!ctx || EVP_PKEY_verify_init(ctx) != 1 || pthread_setspecific(verifier_key, ctx) != 0) {
        EVP_PKEY_CTX_free(ctx); /* the kept one stays, still good for its own key */
        return NULL;
    }
    EVP_PKEY_CTX_free(kept);
    return ctx;
}

/* ES256 (RFC 7518 3.4): SHA-256 over "header.payload", signature r || s. */
static bool es256_valid(EVP_PKEY *key, const char *signed_part, size_t n, const unsigned char sig[64])
{
    bool valid = false;
    unsigned char der[80], *p = der, digest[32];
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
    EVP_PKEY_CTX *ctx = verifier_for(key);
    if (!es || !r || !s || !ctx || !ECDSA_SIG_set0(es, r, s))
        goto out;
    r = s = NULL; /* owned by es now */
    int len = i2d_ECDSA_SIG(es, &p);
    crypto_sha256(signed_part, n, digest);
    valid = len > 0 && EVP_PKEY_verify(ctx, der, (size_t)len, digest, sizeof digest) == 1;
out:
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return valid;
}

/* Decodes one base64url segment into a JSON object (duplicate keys refused). */
static json_t *segment_json(const char *seg, size_t n)
{
    unsigned char buf[MAX_TOKEN];
    long len = b64url_decode(seg, n, buf, sizeof buf);
    if (len <= 0)
        return NULL;
    json_t *j = json_loadb((const char *)buf, (size_t)len, JSON_REJECT_DUPLICATES, NULL);
    if (j && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static bool str_is(const json_t *o, const char *key, const char *want)
{
    const json_t *v = json_object_get(o, key);
    return json_is_string(v) && !strcmp(json_string_value(v), want);
}

static token_result check_header(const jwt_keys *k, const json_t *h)
{
    /* Exact, case-sensitive: libjwt would accept "es256", "none", HS*. */
    if (!str_is(h, "alg", "ES256") || !str_is(h, "typ", "JWT") || !str_is(h, "kid", k->kid))
        return TOKEN_BAD_HEADER;
    if (json_object_get(h, "crit"))
        return TOKEN_BAD_HEADER;
    return TOKEN_OK;
}

static token_result check_claims(const jwt_keys *k, const json_t *c, time_t now, token_claims *out)
{
    const json_t *exp = json_object_get(c, "exp"), *iat = json_object_get(c, "iat");
    const json_t *sub = json_object_get(c, "sub"), *sid = json_object_get(c, "sid");
    long long uid, session;
    if (!json_is_integer(exp) || !json_is_integer(iat) || !json_is_string(sub) || !json_is_string(sid))
        return TOKEN_BAD_CLAIMS;
    if (!str_is(c, "iss", k->issuer) || !str_is(c, "aud", k->audience) || !str_is(c, "token_use", "access"))
        return TOKEN_BAD_CLAIMS;
    json_int_t e = json_integer_value(exp), i = json_integer_value(iat);
    /* checked before subtracting, so no value can overflow the lifetime test */
    if (i < 0 || e < i || e - i > ACCESS_TOKEN_TTL || i > (json_int_t)now + JWT_LEEWAY)
        return TOKEN_BAD_CLAIMS;
    if (e <= (json_int_t)now)
        return TOKEN_EXPIRED;
    if (!scan_id_str(json_string_value(sub), &uid) || !scan_id_str(json_string_value(sid), &session))
        return TOKEN_BAD_CLAIMS;
    out->user_id = uid;
    snprintf(out->session_id, sizeof out->session_id, "%lld", session);
    out->iat = i;
    out->exp = e;
    return TOKEN_OK;
}

/* Tokens this process verified lately, by the SHA-256 of the whole token (a
 * signature alone could be grafted onto another payload): a client sends the
 * same token for 15 minutes, and the ECDSA check is most of a request's CPU.
 * A hit still checks what depends on the clock (iat, exp); the rest of a
 * token cannot change. One table for all the threads, a lock for each
 * stripe of it: a per-thread table missed nearly always with 64 threads
 * (bench/ANALYSIS.md, the reads' CPU). 16,384 tokens, about 2 MiB, touched as it fills. */
#define VERIFIED_SETS 4096
#define VERIFIED_WAYS 4 /* a set holds four: tokens that share a set do not evict each other */
#define VERIFIED_STRIPES 64
typedef struct {
    unsigned char digest[32];
    token_claims claims;
    bool used;
} verified_slot;
typedef struct {
    verified_slot way[VERIFIED_WAYS];
    unsigned next; /* the way the next new token replaces, round robin */
} verified_set;
static verified_set verified[VERIFIED_SETS];
static pthread_mutex_t verified_lock[VERIFIED_STRIPES];
static pthread_once_t verified_once = PTHREAD_ONCE_INIT;

static void verified_init(void)
{
    for (int i = 0; i < VERIFIED_STRIPES; i++)
        pthread_mutex_init(&verified_lock[i], NULL); /* default attributes: cannot fail on Linux */
}

static unsigned verified_index(const unsigned char digest[32])
{
    return ((unsigned)digest[0] << 16 | (unsigned)digest[1] << 8 | digest[2]) % VERIFIED_SETS;
}

/* The claims cached for digest under key k, copied out; false when none. */
static bool verified_get(const unsigned char digest[32], const EVP_PKEY *k, token_claims *out)
{
    unsigned idx = verified_index(digest);
    bool hit = false;
    pthread_mutex_lock(&verified_lock[idx % VERIFIED_STRIPES]);
    for (int i = 0; i < VERIFIED_WAYS && !hit; i++) {
        const verified_slot *slot = &verified[idx].way[i];
        hit = slot->used && crypto_equal(slot->digest, digest, 32) && slot->claims.public_key == k;
        if (hit)
            *out = slot->claims;
    }
    pthread_mutex_unlock(&verified_lock[idx % VERIFIED_STRIPES]);
    return hit;
}

static void verified_put(const unsigned char digest[32], const EVP_PKEY *k, const token_claims *claims)
{
    unsigned idx = verified_index(digest);
    pthread_mutex_lock(&verified_lock[idx % VERIFIED_STRIPES]);
    verified_set *set = &verified[idx];
    verified_slot *slot = &set->way[set->next];
    set->next = (set->next + 1) % VERIFIED_WAYS;
    memcpy(slot->digest, digest, 32);
    slot->claims = *claims;
    slot->claims.public_key = k;
    slot->used = true;
    pthread_mutex_unlock(&verified_lock[idx % VERIFIED_STRIPES]);
}

static token_result verify_uncached(const jwt_keys *k, const char *token, time_t now, token_claims *out);

token_result jwt_verify_access(const jwt_keys *k, const char *token, time_t now, token_claims *out)
{
    unsigned char digest[32];
    token_claims cached;
    size_t len = strnlen(token, MAX_TOKEN + 1);
    if (!k->pkey || len == 0 || len > MAX_TOKEN)
        return TOKEN_MALFORMED;
    pthread_once(&verified_once, verified_init);
    crypto_sha256(token, len, digest);
    if (verified_get(digest, k->pkey, &cached)) {
        /* the checks that depend on the clock, against this now */
        if (cached.iat > (long long)now + JWT_LEEWAY)
            return TOKEN_BAD_CLAIMS;
        if (cached.exp <= (long long)now)
            return TOKEN_EXPIRED;
        *out = cached;
        return TOKEN_OK;
    }
    token_result res = verify_uncached(k, token, now, out);
    if (res == TOKEN_OK)
        verified_put(digest, k->pkey, out);
    return res;
}

static token_result verify_uncached(const jwt_keys *k, const char *token, time_t now, token_claims *out)
{
    size_t len = strnlen(token, MAX_TOKEN + 1);
    if (!k->pkey || len == 0 || len > MAX_TOKEN)
        return TOKEN_MALFORMED;
    const char *dot1 = strchr(token, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot1 || !dot2 || strchr(dot2 + 1, '.') || dot2[1] == '\0')
        return TOKEN_MALFORMED;

    json_t *header = segment_json(token, (size_t)(dot1 - token));
    if (!header)
        return TOKEN_MALFORMED;
    token_result res = check_header(k, header);
    json_decref(header);
    if (res != TOKEN_OK)
        return res;

    /* The signature is decoded strictly (one accepted spelling per token):
     * 64 bytes, r || s. */
    unsigned char sig[96];
    if (b64url_decode(dot2 + 1, strlen(dot2 + 1), sig, sizeof sig) != 64)
        return TOKEN_MALFORMED;
    if (!es256_valid(k->pkey, token, (size_t)(dot2 - token), sig))
        return TOKEN_BAD_SIGNATURE;

    json_t *claims = segment_json(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    if (!claims)
        return TOKEN_MALFORMED;
    res = check_claims(k, claims, now, out);
    json_decref(claims);
    return res;
}

/* ES256 over "header.claims" with a key parsed once: libjwt 1.10 decodes
 * its PEM key again for every token it signs (~420 µs a login). The key is
 * only read here, so every thread shares it, as the verifier's. */
int jwt_sign_es256(EVP_PKEY *key, const char *kid, const char *claims, size_t claims_len, char *out, size_t outlen)
{
    char header[128];
    int hn = snprintf(header, sizeof header, "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", kid);
    if (!key || hn <= 0 || (size_t)hn >= sizeof header)
        return -1;
    size_t n = b64url_encode((const unsigned char *)header, (size_t)hn, out, outlen);
    if (!n || n + 1 >= outlen)
        return -1;
    out[n++] = '.';
    size_t c = b64url_encode((const unsigned char *)claims, claims_len, out + n, outlen - n);
    if (!c)
        return -1;
    n += c;
    unsigned char der[80], raw[64];
    size_t derlen = sizeof der;
    const unsigned char *p = der;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestSign(ctx, der, &derlen, (const unsigned char *)out, n) == 1;
    EVP_MD_CTX_free(ctx);
    ECDSA_SIG *es = ok ? d2i_ECDSA_SIG(NULL, &p, (long)derlen) : NULL;
    /* JWS wants r || s, each 32 bytes big-endian (RFC 7518 3.4), not DER */
    ok = es && BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32) == 32 &&
         BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32) == 32;
    ECDSA_SIG_free(es);
    if (!ok || n + 1 >= outlen)
        return -1;
    out[n++] = '.';
    return b64url_encode(raw, sizeof raw, out + n, outlen - n) ? 0 : -1;
}

const char *token_result_str(token_result r)
{
    switch (r) {
    case TOKEN_OK: return "ok";
    case TOKEN_MALFORMED: return "malformed";
    case TOKEN_BAD_HEADER: return "bad header";
    case TOKEN_BAD_SIGNATURE: return "bad signature";
    case TOKEN_EXPIRED: return "expired";
    case TOKEN_BAD_CLAIMS: return "bad claims";
    }
    return "?";
}
