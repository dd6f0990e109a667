/* Unit tests for common/token.c: the hardened access-token verifier.
 *
 * Each libjwt 1.10 trap listed in DESIGN.md ("Known traps in our
 * dependencies") is one row of the table below. Tokens are built here, by
 * hand, so that every byte is under the test's control: base64url header and
 * payload (jansson), then an ES256 signature from an in-process P-256 key
 * (EVP_DigestSign, DER converted to raw r||s) or an HMAC (OpenSSL HMAC()).
 * Nothing here relies on libjwt to build a token, except one row that proves
 * tokens minted the way services/auth/tokens.c mints them still verify.
 *
 * Times are fixed (NOW below) and passed to jwt_verify_access(), so the
 * claim rows are plain data. */
#include "check.h"
#include "token.h"

#include <jansson.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


#define NOW 1700000000LL
#define ISSUER "stvs"
#define AUDIENCE "stvs-api"

/* ------------------------------------------------------------------ */
/* Independent helpers (deliberately not common/crypto.c). */

static char *b64u(const unsigned char *in, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *out = malloc(n * 4 / 3 + 4);
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = acc << 8 | in[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = tbl[acc >> bits & 63];
        }
    }
    if (bits)
        out[o++] = tbl[acc << (6 - bits) & 63];
    out[o] = '\0';
    return out;
}

static char *b64u_str(const char *s) { return b64u((const unsigned char *)s, strlen(s)); }

/* Concatenates up to 5 strings (NULLs skipped) into a new buffer. */
static char *cat(const char *a, const char *b, const char *c, const char *d, const char *e)
{
    const char *parts[] = {a, b, c, d, e};
    size_t n = 1;
    for (size_t i = 0; i < NELEM(parts); i++)
        n += parts[i] ? strlen(parts[i]) : 0;
    char *out = malloc(n);
    out[0] = '\0';
    for (size_t i = 0; i < NELEM(parts); i++)
        if (parts[i])
            strcat(out, parts[i]);
    return out;
}

/* Replaces every "$KID" in s with kid; returns a new string. */
static char *subst_kid(const char *s, const char *kid)
{
    size_t n = strlen(s) + 1, kl = strlen(kid);
    for (const char *p = s; (p = strstr(p, "$KID")); p += 4)
        n += kl;
    char *out = malloc(n), *o = out;
    while (*s) {
        if (!strncmp(s, "$KID", 4)) {
            memcpy(o, kid, kl);
            o += kl;
            s += 4;
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    return out;
}

static char *pem_public(EVP_PKEY *pk)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data, *out = NULL;
    if (b && PEM_write_bio_PUBKEY(b, pk)) {
        long n = BIO_get_mem_data(b, &data);
        out = malloc((size_t)n + 1);
        memcpy(out, data, (size_t)n);
        out[n] = '\0';
    }
    BIO_free(b);
    return out;
}

static char *pem_private(EVP_PKEY *pk)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data, *out = NULL;
    if (b && PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL)) {
        long n = BIO_get_mem_data(b, &data);
        out = malloc((size_t)n + 1);
        memcpy(out, data, (size_t)n);
        out[n] = '\0';
    }
    BIO_free(b);
    return out;
}

/* ES256 over msg: EVP_DigestSign gives DER; JWS wants raw r||s (RFC 7518 3.4). */
static int es256_raw(EVP_PKEY *key, const char *msg, unsigned char raw[64], unsigned char *der, size_t *derlen)
{
    unsigned char buf[128];
    size_t len = sizeof buf;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestSign(ctx, buf, &len, (const unsigned char *)msg, strlen(msg)) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return -1;
    const unsigned char *p = buf;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
    if (!sig)
        return -1;
    const BIGNUM *r, *s;
    ECDSA_SIG_get0(sig, &r, &s);
    ok = BN_bn2binpad(r, raw, 32) == 32 && BN_bn2binpad(s, raw + 32, 32) == 32;
    ECDSA_SIG_free(sig);
    if (der) {
        memcpy(der, buf, len);
        *derlen = len;
    }
    return ok ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Keys shared by every case. */

static EVP_PKEY *our_key, *other_key;
static char *our_pem, *other_pem, *our_priv_pem;
static jwt_keys keys;

/* ------------------------------------------------------------------ */
/* Token construction. */

typedef enum {
    SIG_ES256,          /* our key: a genuine signature */
    SIG_ES256_OTHER,    /* an attacker's P-256 key */
    SIG_ES256_DER,      /* our key, but DER instead of raw r||s */
    SIG_ES256_ZERO,     /* 64 zero bytes */
    SIG_HS256_PEM,      /* HMAC keyed with our public PEM, as stored (trailing newline) */
    SIG_HS256_PEM_NONL, /* ... without the trailing newline */
    SIG_HS384_PEM,
    SIG_HS512_PEM,
    SIG_HS512_PEM_NONL,
    SIG_HS256_EMPTY,    /* HMAC with an empty key */
    SIG_EMPTY,          /* "h.p." */
    SIG_JUNK,           /* "h.p.junk" */
} sig_kind;

/* Applied to the encoded header/payload before signing, so a genuine
 * signature covers the odd encoding: only base64url strictness is tested. */
typedef enum {
    PRE_NONE,
    PRE_HDR_PAD,      /* header segment with '=' padding */
    PRE_PAY_PAD,      /* payload segment with '=' padding */
    PRE_HDR_PLUS,     /* '+' inside the header segment */
    PRE_HDR_SPACE,    /* ' ' inside the header segment */
    PRE_PAY_SLASH,    /* '/' inside the payload segment */
    PRE_PAY_STAR,     /* '*' inside the payload segment */
    PRE_HDR_EMPTY,    /* empty header segment */
    PRE_PAY_EMPTY,    /* empty payload segment */
} pre_kind;

/* Applied to the finished token. */
typedef enum {
    POST_NONE,
    POST_TAMPER_PAYLOAD,  /* payload re-encoded with sub "1", original signature kept */
    POST_TAMPER_HEADER,   /* header re-encoded with a space, original signature kept */
    POST_SIG_FLIP,        /* one signature character changed */
    POST_SIG_TRUNCATE,    /* last signature character removed */
    POST_SIG_PAD,         /* "==" appended to the signature */
    POST_SIG_STD_ALPHABET,/* a '-' or '_' of the signature replaced by '+' or '/' */
    POST_SIG_TRAIL_BITS,  /* unused low bits of the last signature character set */
    POST_SIG_JUNK_TAIL,   /* "!!" appended after the signature */
    POST_NEWLINE,         /* "\n" appended */
    POST_LEADING_SPACE,   /* " " prepended */
    POST_ONE_DOT,         /* "h.p" */
    POST_NO_DOTS,         /* "hps" */
    POST_FOUR_SEGMENTS,   /* "h.p.s.x" */
    POST_FIVE_SEGMENTS,   /* JWE shape "h.k.iv.c.t" */
} post_kind;

#define REJECTED (-1) /* any result but TOKEN_OK */

typedef struct {
    const char *name;      /* what the row proves */
    const char *hdr_set;   /* JSON object merged into the default header; "$KID" = our kid */
    const char *hdr_del;   /* header member removed */
    const char *hdr_raw;   /* the whole header JSON text instead ("$KID" = our kid) */
    const char *cl_set;    /* JSON object merged into the default claims */
    const char *cl_del;    /* claim removed */
    const char *cl_raw;    /* the whole claims JSON text instead */
    sig_kind sig;
    pre_kind pre;
    post_kind post;
    int expect;            /* token_result, or REJECTED */
    bool isolate;          /* run in a child process: a sanitizer abort is a FAIL, not a crash */
} tok_case;

static json_t *default_header(void)
{
    return json_pack("{s:s, s:s, s:s}", "alg", "ES256", "typ", "JWT", "kid", keys.kid);
}

static json_t *default_claims(void)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "iss", ISSUER, "aud", AUDIENCE, "sub", "42", "sid",
                     "77", "jti", "jti-1", "token_use", "access", "iat", (json_int_t)NOW, "exp",
                     (json_int_t)(NOW + ACCESS_TOKEN_TTL));
}

/* JSON text of default+set-del, or raw. Returns a new string. */
static char *json_text(json_t *def, const char *set, const char *del, const char *raw)
{
    char *out;
    if (raw) {
        out = subst_kid(raw, keys.kid);
    } else {
        if (set) {
            char *s = subst_kid(set, keys.kid);
            json_t *patch = json_loads(s, 0, NULL);
            free(s);
            if (!patch) {
                fprintf(stderr, "bad patch in test table: %s\n", set);
                exit(2);
            }
            json_object_update(def, patch);
            json_decref(patch);
        }
        if (del)
            json_object_del(def, del);
        out = json_dumps(def, JSON_COMPACT);
    }
    json_decref(def);
    return out;
}

static void pad_segment(char **seg)
{
    size_t n = strlen(*seg);
    const char *pad = n % 4 == 2 ? "==" : n % 4 == 3 ? "=" : "====";
    char *p = cat(*seg, pad, NULL, NULL, NULL);
    free(*seg);
    *seg = p;
}

static void insert_char(char **seg, char c)
{
    size_t n = strlen(*seg), at = n / 2;
    char *p = malloc(n + 2);
    memcpy(p, *seg, at);
    p[at] = c;
    memcpy(p + at + 1, *seg + at, n - at + 1);
    free(*seg);
    *seg = p;
}

static char *sign_segment(sig_kind sig, const char *input)
{
    unsigned char mac[EVP_MAX_MD_SIZE], raw[64], der[128];
    unsigned int maclen = 0;
    size_t derlen = 0;
    size_t pemlen = strlen(our_pem);
    switch (sig) {
    case SIG_ES256:
        return es256_raw(our_key, input, raw, NULL, NULL) ? NULL : b64u(raw, 64);
    case SIG_ES256_OTHER:
        return es256_raw(other_key, input, raw, NULL, NULL) ? NULL : b64u(raw, 64);
    case SIG_ES256_DER:
        return es256_raw(our_key, input, raw, der, &derlen) ? NULL : b64u(der, derlen);
    case SIG_ES256_ZERO:
        memset(raw, 0, sizeof raw);
        return b64u(raw, 64);
    case SIG_HS256_PEM:
        HMAC(EVP_sha256(), our_pem, (int)pemlen, (const unsigned char *)input, strlen(input), mac, &maclen);
        return b64u(mac, maclen);
    case SIG_HS256_PEM_NONL:
        HMAC(EVP_sha256(), our_pem, (int)pemlen - 1, (const unsigned char *)input, strlen(input), mac, &maclen);
        return b64u(mac, maclen);
    case SIG_HS384_PEM:
        HMAC(EVP_sha384(), our_pem, (int)pemlen, (const unsigned char *)input, strlen(input), mac, &maclen);
        return b64u(mac, maclen);
    case SIG_HS512_PEM:
        HMAC(EVP_sha512(), our_pem, (int)pemlen, (const unsigned char *)input, strlen(input), mac, &maclen);
        return b64u(mac, maclen);
    case SIG_HS512_PEM_NONL:
        HMAC(EVP_sha512(), our_pem, (int)pemlen - 1, (const unsigned char *)input, strlen(input), mac, &maclen);
        return b64u(mac, maclen);
    case SIG_HS256_EMPTY:
        HMAC(EVP_sha256(), "", 0, (const unsigned char *)input, strlen(input), mac, &maclen);
        return b64u(mac, maclen);
    case SIG_EMPTY:
        return strdup("");
    case SIG_JUNK:
        return strdup("c2lnbmF0dXJlLWp1bms");
    }
    return NULL;
}

static const char *b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Builds the token of one row; caller frees. */
static char *build_token(const tok_case *c)
{
    char *htxt = json_text(default_header(), c->hdr_set, c->hdr_del, c->hdr_raw);
    char *ctxt = json_text(default_claims(), c->cl_set, c->cl_del, c->cl_raw);
    char *h = b64u_str(htxt), *p = b64u_str(ctxt);
    switch (c->pre) {
    case PRE_NONE: break;
    case PRE_HDR_PAD: pad_segment(&h); break;
    case PRE_PAY_PAD: pad_segment(&p); break;
    case PRE_HDR_PLUS: insert_char(&h, '+'); break;
    case PRE_HDR_SPACE: insert_char(&h, ' '); break;
    case PRE_PAY_SLASH: insert_char(&p, '/'); break;
    case PRE_PAY_STAR: insert_char(&p, '*'); break;
    case PRE_HDR_EMPTY: h[0] = '\0'; break;
    case PRE_PAY_EMPTY: p[0] = '\0'; break;
    }
    char *input = cat(h, ".", p, NULL, NULL);
    char *s = sign_segment(c->sig, input);
    /* A standard-alphabet twin needs a '-' or '_' to swap: ECDSA is
     * randomised, so sign again until the signature has one. */
    for (int i = 0; c->post == POST_SIG_STD_ALPHABET && s && !strpbrk(s, "-_") && i < 200; i++) {
        free(s);
        s = sign_segment(c->sig, input);
    }
    char *tok = s ? cat(input, ".", s, NULL, NULL) : NULL;
    size_t n = tok ? strlen(tok) : 0;
    char *t2 = NULL;
    switch (tok ? c->post : POST_NONE) {
    case POST_NONE: break;
    case POST_TAMPER_PAYLOAD: {
        json_t *cl = json_loads(ctxt, 0, NULL);
        json_object_set_new(cl, "sub", json_string("1"));
        char *txt = json_dumps(cl, JSON_COMPACT), *p2 = b64u_str(txt);
        t2 = cat(h, ".", p2, ".", s);
        json_decref(cl);
        free(txt);
        free(p2);
        break;
    }
    case POST_TAMPER_HEADER: {
        json_t *hd = json_loads(htxt, 0, NULL);
        char *txt = json_dumps(hd, JSON_INDENT(1)), *h2 = b64u_str(txt);
        t2 = cat(h2, ".", p, ".", s);
        json_decref(hd);
        free(txt);
        free(h2);
        break;
    }
    case POST_SIG_FLIP: {
        char *m = tok + n - strlen(s) / 2;
        *m = *m == 'A' ? 'B' : 'A';
        break;
    }
    case POST_SIG_TRUNCATE: tok[n - 1] = '\0'; break;
    case POST_SIG_PAD: t2 = cat(tok, "==", NULL, NULL, NULL); break;
    case POST_SIG_STD_ALPHABET: {
        char *m = strpbrk(tok + n - strlen(s), "-_");
        if (m)
            *m = *m == '-' ? '+' : '/';
        break;
    }
    case POST_SIG_TRAIL_BITS: {
        /* 64 bytes = 86 characters; the last carries 2 data bits and 4 zero bits. */
        int v = (int)(strchr(b64chars, tok[n - 1]) - b64chars);
        tok[n - 1] = b64chars[v | 1];
        break;
    }
    case POST_SIG_JUNK_TAIL: t2 = cat(tok, "!!", NULL, NULL, NULL); break;
    case POST_NEWLINE: t2 = cat(tok, "\n", NULL, NULL, NULL); break;
    case POST_LEADING_SPACE: t2 = cat(" ", tok, NULL, NULL, NULL); break;
    case POST_ONE_DOT: t2 = cat(h, ".", p, NULL, NULL); break;
    case POST_NO_DOTS: t2 = cat(h, p, s, NULL, NULL); break;
    case POST_FOUR_SEGMENTS: t2 = cat(tok, ".", s, NULL, NULL); break;
    case POST_FIVE_SEGMENTS: t2 = cat(tok, ".", p, ".", s); break;
    }
    if (t2) {
        free(tok);
        tok = t2;
    }
    free(htxt);
    free(ctxt);
    free(h);
    free(p);
    free(input);
    free(s);
    return tok;
}

/* ------------------------------------------------------------------ */
/* The table. */

static const tok_case cases[] = {
    /* --- positive --- */
    {.name = "a correct ES256 token with our kid verifies", .expect = TOKEN_OK},
    {.name = "exp exactly iat+900 (the TTL) is accepted", .cl_set = "{\"iat\":1699999500,\"exp\":1700000400}",
     .expect = TOKEN_OK},
    {.name = "exp one second after now is not yet expired", .cl_set = "{\"iat\":1699999101,\"exp\":1700000001}",
     .expect = TOKEN_OK},
    {.name = "iat exactly now+leeway (60 s of clock skew) is accepted",
     .cl_set = "{\"iat\":1700000060,\"exp\":1700000960}", .expect = TOKEN_OK},
    /* ids are scan_id()'s: 1 to 18 digits, as in a path or a query */
    {.name = "sub of 18 digits (the largest id) is a positive integer", .cl_set = "{\"sub\":\"999999999999999999\"}",
     .expect = TOKEN_OK},
    {.name = "sid of 18 digits is a session id", .cl_set = "{\"sid\":\"999999999999999999\"}", .expect = TOKEN_OK},
    {.name = "sub of 19 digits (INT64_MAX) rejected, as in a path", .cl_set = "{\"sub\":\"9223372036854775807\"}",
     .expect = TOKEN_BAD_CLAIMS},
    {.name = "sid of 19 digits (INT64_MAX) rejected", .cl_set = "{\"sid\":\"9223372036854775807\"}",
     .expect = TOKEN_BAD_CLAIMS},
    {.name = "sid past INT64_MAX rejected", .cl_set = "{\"sid\":\"9223372036854775808\"}", .expect = TOKEN_BAD_CLAIMS},
    {.name = "sid that is not a number rejected", .cl_set = "{\"sid\":\"abc\"}", .expect = TOKEN_BAD_CLAIMS},
    {.name = "sid with a leading zero rejected", .cl_set = "{\"sid\":\"077\"}", .expect = TOKEN_BAD_CLAIMS},
    {.name = "unknown extra claims are ignored", .cl_set = "{\"scope\":\"x\",\"nested\":{\"a\":[1,2]}}",
     .expect = TOKEN_OK},

    /* --- trap: alg "none" is accepted by jwt_decode with a NULL/empty key --- */
    {.name = "alg \"none\" with empty signature rejected", .hdr_set = "{\"alg\":\"none\"}", .sig = SIG_EMPTY,
     .expect = REJECTED},
    {.name = "alg \"None\" with empty signature rejected", .hdr_set = "{\"alg\":\"None\"}", .sig = SIG_EMPTY,
     .expect = REJECTED},
    {.name = "alg \"NONE\" with empty signature rejected", .hdr_set = "{\"alg\":\"NONE\"}", .sig = SIG_EMPTY,
     .expect = REJECTED},
    {.name = "alg \"nOnE\" with empty signature rejected", .hdr_set = "{\"alg\":\"nOnE\"}", .sig = SIG_EMPTY,
     .expect = REJECTED},
    {.name = "alg \"none\" with junk signature rejected as bad header", .hdr_set = "{\"alg\":\"none\"}",
     .sig = SIG_JUNK, .expect = TOKEN_BAD_HEADER},
    {.name = "alg \"None\" with junk signature rejected as bad header", .hdr_set = "{\"alg\":\"None\"}",
     .sig = SIG_JUNK, .expect = TOKEN_BAD_HEADER},
    {.name = "alg \"NONE\" with junk signature rejected as bad header", .hdr_set = "{\"alg\":\"NONE\"}",
     .sig = SIG_JUNK, .expect = TOKEN_BAD_HEADER},
    {.name = "alg \"nOnE\" with junk signature rejected as bad header", .hdr_set = "{\"alg\":\"nOnE\"}",
     .sig = SIG_JUNK, .expect = TOKEN_BAD_HEADER},
    {.name = "alg \"none\" with our valid ES256 signature rejected as bad header", .hdr_set = "{\"alg\":\"none\"}",
     .expect = TOKEN_BAD_HEADER},
    {.name = "classic {\"alg\":\"none\"} header alone (no typ, no kid) rejected",
     .hdr_raw = "{\"alg\":\"none\"}", .sig = SIG_EMPTY, .expect = REJECTED},
    {.name = "alg missing from header rejected as bad header", .hdr_del = "alg", .expect = TOKEN_BAD_HEADER},
    {.name = "alg null rejected as bad header", .hdr_set = "{\"alg\":null}", .expect = TOKEN_BAD_HEADER},

    /* --- trap: algorithm taken from the token: HMAC keyed with our public PEM --- */
    {.name = "HS256 MACed with our public PEM (with trailing newline) rejected", .hdr_set = "{\"alg\":\"HS256\"}",
     .sig = SIG_HS256_PEM, .expect = TOKEN_BAD_HEADER},
    {.name = "HS256 MACed with our public PEM (without trailing newline) rejected",
     .hdr_set = "{\"alg\":\"HS256\"}", .sig = SIG_HS256_PEM_NONL, .expect = TOKEN_BAD_HEADER},
    {.name = "HS384 MACed with our public PEM rejected", .hdr_set = "{\"alg\":\"HS384\"}", .sig = SIG_HS384_PEM,
     .expect = TOKEN_BAD_HEADER},
    {.name = "HS512 MACed with our public PEM (with trailing newline) rejected", .hdr_set = "{\"alg\":\"HS512\"}",
     .sig = SIG_HS512_PEM, .expect = TOKEN_BAD_HEADER},
    {.name = "HS512 MACed with our public PEM (without trailing newline) rejected",
     .hdr_set = "{\"alg\":\"HS512\"}", .sig = SIG_HS512_PEM_NONL, .expect = TOKEN_BAD_HEADER},
    {.name = "HS256 MACed with an empty key rejected", .hdr_set = "{\"alg\":\"HS256\"}", .sig = SIG_HS256_EMPTY,
     .expect = TOKEN_BAD_HEADER},
    {.name = "HS256 with our PEM as secret and no kid/typ rejected", .hdr_raw = "{\"alg\":\"HS256\"}",
     .sig = SIG_HS256_PEM, .expect = TOKEN_BAD_HEADER},
    {.name = "RS256 header over an ES256 signature rejected", .hdr_set = "{\"alg\":\"RS256\"}",
     .expect = TOKEN_BAD_HEADER},
    {.name = "ES384 header over an ES256 signature rejected", .hdr_set = "{\"alg\":\"ES384\"}",
     .expect = TOKEN_BAD_HEADER},

    /* --- trap: alg matched case-insensitively --- */
    {.name = "alg \"es256\" (lowercase) with a valid ES256 signature rejected", .hdr_set = "{\"alg\":\"es256\"}",
     .expect = TOKEN_BAD_HEADER},
    {.name = "alg \"Es256\" with a valid ES256 signature rejected", .hdr_set = "{\"alg\":\"Es256\"}",
     .expect = TOKEN_BAD_HEADER},
    {.name = "alg \"ES256 \" (trailing space) rejected", .hdr_set = "{\"alg\":\"ES256 \"}",
     .expect = TOKEN_BAD_HEADER},

    /* --- signature by someone else / kid --- */
    {.name = "ES256 signed by another P-256 key with our kid rejected as bad signature", .sig = SIG_ES256_OTHER,
     .expect = TOKEN_BAD_SIGNATURE},
    {.name = "ES256 signed by another key that embeds its jwk/jku in the header rejected",
     .hdr_set = "{\"jwk\":{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\"},\"jku\":\"http://evil/\"}",
     .sig = SIG_ES256_OTHER, .expect = TOKEN_BAD_SIGNATURE},
    {.name = "ES256 signature in DER form instead of raw r||s rejected", .sig = SIG_ES256_DER,
     .expect = REJECTED},
    {.name = "ES256 all-zero signature rejected", .sig = SIG_ES256_ZERO, .expect = TOKEN_BAD_SIGNATURE},
    {.name = "wrong kid with a valid signature rejected", .hdr_set = "{\"kid\":\"some-other-key\"}",
     .expect = TOKEN_BAD_HEADER},
    {.name = "missing kid rejected", .hdr_del = "kid", .expect = TOKEN_BAD_HEADER},
    {.name = "kid as a number rejected", .hdr_set = "{\"kid\":7}", .expect = TOKEN_BAD_HEADER},

    /* --- typ and crit --- */
    {.name = "typ missing rejected", .hdr_del = "typ", .expect = TOKEN_BAD_HEADER},
    {.name = "typ \"JWS\" rejected", .hdr_set = "{\"typ\":\"JWS\"}", .expect = TOKEN_BAD_HEADER},
    {.name = "typ \"at+jwt\" rejected", .hdr_set = "{\"typ\":\"at+jwt\"}", .expect = TOKEN_BAD_HEADER},
    {.name = "typ as a number rejected", .hdr_set = "{\"typ\":1}", .expect = TOKEN_BAD_HEADER},
    {.name = "crit header present rejected", .hdr_set = "{\"crit\":[\"exp\"],\"exp\":1}",
     .expect = TOKEN_BAD_HEADER},
    {.name = "crit header as empty array rejected", .hdr_set = "{\"crit\":[]}", .expect = TOKEN_BAD_HEADER},
    {.name = "duplicate alg in header (ES256 then none) rejected",
     .hdr_raw = "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"$KID\",\"alg\":\"none\"}", .expect = TOKEN_MALFORMED},
    {.name = "duplicate alg in header (none then ES256) rejected",
     .hdr_raw = "{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"$KID\",\"alg\":\"ES256\"}", .expect = TOKEN_MALFORMED},
    {.name = "header that is a JSON array rejected", .hdr_raw = "[\"ES256\"]", .expect = TOKEN_MALFORMED},
    {.name = "header that is not JSON rejected", .hdr_raw = "alg=ES256", .expect = TOKEN_MALFORMED},

    /* --- trap: libjwt checks no claims --- */
    {.name = "missing exp rejected", .cl_del = "exp", .expect = TOKEN_BAD_CLAIMS},
    {.name = "exp as a string rejected", .cl_set = "{\"exp\":\"1700000900\"}", .expect = TOKEN_BAD_CLAIMS},
    {.name = "exp as a float rejected", .cl_set = "{\"exp\":1700000900.0}", .expect = TOKEN_BAD_CLAIMS},
    {.name = "exp as a float with fraction rejected", .cl_set = "{\"exp\":1700000900.5}",
     .expect = TOKEN_BAD_CLAIMS},
    {.name = "exp null rejected", .cl_set = "{\"exp\":null}", .expect = TOKEN_BAD_CLAIMS},
    {.name = "exp true rejected", .cl_set = "{\"exp\":true}", .expect = TOKEN_BAD_CLAIMS},
    {.name = "exp in the past rejected as expired", .cl_set = "{\"iat\":1699999000,\"exp\":1699999800}",
     .expect = TOKEN_EXPIRED},
    {.name = "exp equal to now rejected as expired", .cl_set = "{\"iat\":1699999100,\"exp\":1700000000}",
     .expect = TOKEN_EXPIRED},
    {.name = "exp - iat = 901 (> 900 TTL) rejected", .cl_set = "{\"iat\":1700000000,\"exp\":1700000901}",
     .expect = TOKEN_BAD_CLAIMS},
    {.name = "exp a year ahead rejected (TTL)", .cl_set = "{\"exp\":1731536000}", .expect = TOKEN_BAD_CLAIMS},
    {.name = "exp far future with negative iat (exp - iat overflows int64) rejected",
     .cl_set = "{\"iat\":-1,\"exp\":9223372036854775807}", .expect = TOKEN_BAD_CLAIMS, .isolate = true},
    {.name = "exp far future with iat INT64_MIN (exp - iat overflows int64) rejected",
     .cl_set = "{\"iat\":-9223372036854775808,\"exp\":1700000100}", .expect = TOKEN_BAD_CLAIMS, .isolate = true},
    {.name = "iat 61 s in the future (beyond leeway) rejected", .cl_set = "{\"iat\":1700000061,\"exp\":1700000961}",
     .expect = TOKEN_BAD_CLAIMS},
    {.name = "iat a day in the future rejected", .cl_set = "{\"iat\":1700086400,\"exp\":1700087000}",
     .expect = TOKEN_BAD_CLAIMS},
    {.name = "missing iat rejected", .cl_del = "iat", .expect = TOKEN_BAD_CLAIMS},
    {.name = "iat as a string rejected", .cl_set = "{\"iat\":\"1700000000\"}", .expect = TOKEN_BAD_CLAIMS},
    {.name = "iat as a float rejected", .cl_set = "{\"iat\":1700000000.0}", .expect = TOKEN_BAD_CLAIMS},
    {.name = "wrong iss rejected", .cl_set = "{\"iss\":\"evil\"}", .expect = TOKEN_BAD_CLAIMS},
    {.name = "iss differing only in case rejected", .cl_set = "{\"iss\":\"STVS\"}", .expect = TOKEN_BAD_CLAIMS},
    {.name = "missing iss rejected", .cl_del = "iss", .expect = TOKEN_BAD_CLAIMS},
    {.name = "wrong aud rejected", .cl_set = "{\"aud\":\"other-api\"}", .expect = TOKEN_BAD_CLAIMS},
    {.name = "missing aud rejected", .cl_del = "aud", .expect = TOKEN_BAD_CLAIMS},
    {.name = "aud as an array rejected (we issue a string)", .cl_set = "{\"aud\":[\"stvs-api\"]}",
     .expect = TOKEN_BAD_CLAIMS},
    {.name = "missing token_use rejected", .cl_del = "token_use", .expect = TOKEN_BAD_CLAIMS},
    {.name = "token_use \"refresh\" rejected", .cl_set = "{\"token_use\":\"refresh\"}", .expect = TOKEN_BAD_CLAIMS},
    {.name = "token_use \"Access\" rejected", .cl_set = "{\"token_use\":\"Access\"}", .expect = TOKEN_BAD_CLAIMS},
    {.name = "sub \"0\" rejected", .cl_set = "{\"sub\":\"0\"}", .expect = TOKEN_BAD_CLAIMS},
    {.name = "sub \"-1\" rejected", .cl_set = "{\"sub\":\"-1\"}", .expect = TOKEN_BAD_CLAIMS},
    {.name = "sub \"abc\" rejected", .cl_set = "{\"sub\":\"abc\"}", .expect = TOKEN_BAD_CLAIMS},
    {.name = "sub as the number 5 rejected", .cl_set = "{\"sub\":5}", .expect = TOKEN_BAD_CLAIMS},
    {.name = "sub \"007\" (leading zeros) rejected", .cl_set = "{\"sub\":\"007\"}", .expect = TOKEN_BAD_CLAIMS},
    {.name = "sub \"+5\" rejected", .cl_set = "{\"sub\":\"+5\"}", .expect = TOKEN_BAD_CLAIMS},
    {.name = "sub \"\" rejected", .cl_set = "{\"sub\":\"\"}", .expect = TOKEN_BAD_CLAIMS},
    {.name = "sub \"5 \" (trailing space) rejected", .cl_set = "{\"sub\":\"5 \"}", .expect = TOKEN_BAD_CLAIMS},
    {.name = "sub \" 5\" (leading space) rejected", .cl_set = "{\"sub\":\" 5\"}", .expect = TOKEN_BAD_CLAIMS},
    {.name = "sub \"\\t5\" (leading tab) rejected", .cl_set = "{\"sub\":\"\\t5\"}", .expect = TOKEN_BAD_CLAIMS},
    {.name = "sub \"1e3\" rejected", .cl_set = "{\"sub\":\"1e3\"}", .expect = TOKEN_BAD_CLAIMS},
    {.name = "sub \"0x10\" rejected", .cl_set = "{\"sub\":\"0x10\"}", .expect = TOKEN_BAD_CLAIMS},
    {.name = "sub beyond INT64_MAX rejected", .cl_set = "{\"sub\":\"9223372036854775808\"}",
     .expect = TOKEN_BAD_CLAIMS},
    {.name = "missing sub rejected", .cl_del = "sub", .expect = TOKEN_BAD_CLAIMS},
    {.name = "missing sid rejected", .cl_del = "sid", .expect = TOKEN_BAD_CLAIMS},
    {.name = "sid as a number rejected", .cl_set = "{\"sid\":77}", .expect = TOKEN_BAD_CLAIMS},
    {.name = "sid of 24 characters (does not fit) rejected", .cl_set = "{\"sid\":\"123456789012345678901234\"}",
     .expect = TOKEN_BAD_CLAIMS},
    {.name = "duplicate sub in a validly signed payload rejected",
     .cl_raw = "{\"iss\":\"stvs\",\"aud\":\"stvs-api\",\"sub\":\"42\",\"sid\":\"77\",\"token_use\":\"access\","
               "\"iat\":1700000000,\"exp\":1700000900,\"sub\":\"1\"}",
     .expect = TOKEN_MALFORMED},
    {.name = "validly signed payload that is a JSON array rejected", .cl_raw = "[1,2,3]", .expect = REJECTED},
    {.name = "validly signed payload that is not JSON rejected", .cl_raw = "sub=1", .expect = REJECTED},

    /* --- structure and encoding --- */
    {.name = "tampered payload (sub changed, old signature) rejected", .post = POST_TAMPER_PAYLOAD,
     .expect = TOKEN_BAD_SIGNATURE},
    {.name = "tampered header (re-encoded, old signature) rejected", .post = POST_TAMPER_HEADER,
     .expect = TOKEN_BAD_SIGNATURE},
    {.name = "one signature character changed rejected", .post = POST_SIG_FLIP, .expect = TOKEN_BAD_SIGNATURE},
    {.name = "signature one character short rejected", .post = POST_SIG_TRUNCATE, .expect = REJECTED},
    {.name = "empty signature segment rejected", .sig = SIG_EMPTY, .expect = TOKEN_MALFORMED},
    {.name = "two segments (second dot missing) rejected", .post = POST_ONE_DOT, .expect = TOKEN_MALFORMED},
    {.name = "no dots at all rejected", .post = POST_NO_DOTS, .expect = TOKEN_MALFORMED},
    {.name = "four segments rejected", .post = POST_FOUR_SEGMENTS, .expect = TOKEN_MALFORMED},
    {.name = "five segments (JWE shape) rejected", .post = POST_FIVE_SEGMENTS, .expect = TOKEN_MALFORMED},
    {.name = "empty header segment rejected", .pre = PRE_HDR_EMPTY, .expect = TOKEN_MALFORMED},
    {.name = "empty payload segment (validly signed) rejected", .pre = PRE_PAY_EMPTY, .expect = REJECTED},
    {.name = "'+' (non-base64url) in a validly signed header rejected", .pre = PRE_HDR_PLUS,
     .expect = TOKEN_MALFORMED},
    {.name = "' ' in a validly signed header rejected", .pre = PRE_HDR_SPACE, .expect = TOKEN_MALFORMED},
    {.name = "'/' (non-base64url) in a validly signed payload rejected", .pre = PRE_PAY_SLASH, .expect = REJECTED},
    {.name = "'*' in a validly signed payload rejected", .pre = PRE_PAY_STAR, .expect = REJECTED},
    {.name = "base64 '=' padding on a validly signed header rejected", .pre = PRE_HDR_PAD,
     .expect = TOKEN_MALFORMED},
    {.name = "base64 '=' padding on a validly signed payload rejected", .pre = PRE_PAY_PAD, .expect = REJECTED},
    {.name = "base64 '=' padding on the signature rejected", .post = POST_SIG_PAD, .expect = REJECTED},
    {.name = "standard-alphabet '+' or '/' in the signature rejected", .post = POST_SIG_STD_ALPHABET,
     .expect = REJECTED},
    {.name = "non-zero unused bits in the signature's last character rejected", .post = POST_SIG_TRAIL_BITS,
     .expect = REJECTED},
    {.name = "junk after the signature rejected", .post = POST_SIG_JUNK_TAIL, .expect = REJECTED},
    {.name = "trailing newline after the token rejected", .post = POST_NEWLINE, .expect = REJECTED},
    {.name = "leading space before the token rejected", .post = POST_LEADING_SPACE, .expect = TOKEN_MALFORMED},
};

/* Runs one case in a child; returns its result, or -100 when it died
 * (e.g. UBSan caught undefined behaviour) or -101 when fork failed. */
static int verify_isolated(const char *tok, token_claims *out)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -101;
    if (pid == 0)
        _exit(10 + (int)jwt_verify_access(&keys, tok, (time_t)NOW, out));
    int st = 0;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) < 10)
        return -100;
    return WEXITSTATUS(st) - 10;
}

static void test_table(void)
{
    for (size_t i = 0; i < NELEM(cases); i++) {
        const tok_case *c = &cases[i];
        char *tok = build_token(c);
        if (!tok) {
            CHECK(c->name, false && "token could not be built");
            continue;
        }
        token_claims out;
        memset(&out, 0, sizeof out);
        int res = c->isolate ? verify_isolated(tok, &out) : (int)jwt_verify_access(&keys, tok, (time_t)NOW, &out);
        bool ok = c->expect == REJECTED ? res != TOKEN_OK && res >= 0 : res == c->expect;
        if (!ok)
            fprintf(stderr, "  row \"%s\": got %d (%s), expected %d\n  token %s\n", c->name, res,
                    res >= 0 ? token_result_str((token_result)res) : "child died", c->expect, tok);
        CHECK(c->name, ok);
        free(tok);
    }
}

/* ------------------------------------------------------------------ */
/* Positive details and limits. */

static void test_claims_out(void)
{
    tok_case c = {.name = "default"};
    char *tok = build_token(&c);
    token_claims out;
    memset(&out, 0, sizeof out);
    CHECK("correct token: verifies", jwt_verify_access(&keys, tok, (time_t)NOW, &out) == TOKEN_OK);
    CHECK("correct token: user_id is sub", out.user_id == 42);
    CHECK("correct token: session_id is sid", !strcmp(out.session_id, "77"));
    CHECK("correct token: iat is returned", out.iat == NOW);
    CHECK("correct token: exp is returned", out.exp == NOW + ACCESS_TOKEN_TTL);
    CHECK("correct token: still valid one second before exp",
          jwt_verify_access(&keys, tok, (time_t)(NOW + ACCESS_TOKEN_TTL - 1), &out) == TOKEN_OK);
    CHECK("correct token: expired at exp",
          jwt_verify_access(&keys, tok, (time_t)(NOW + ACCESS_TOKEN_TTL), &out) == TOKEN_EXPIRED);
    CHECK("correct token: iat 60 s ahead of our clock is tolerated",
          jwt_verify_access(&keys, tok, (time_t)(NOW - JWT_LEEWAY), &out) == TOKEN_OK);
    CHECK("correct token: iat 61 s ahead of our clock is refused",
          jwt_verify_access(&keys, tok, (time_t)(NOW - JWT_LEEWAY - 1), &out) == TOKEN_BAD_CLAIMS);

    /* Same issuer/audience matter: a verifier for another audience refuses it. */
    jwt_keys k2;
    char err[128];
    CHECK("keys for another audience load",
          jwt_keys_load(&k2, our_pem, strlen(our_pem), ISSUER, "other-api", err, sizeof err) == 0);
    CHECK("correct token refused by a verifier for another audience",
          jwt_verify_access(&k2, tok, (time_t)NOW, &out) == TOKEN_BAD_CLAIMS);
    jwt_keys_free(&k2);

    /* A verifier without a key refuses everything. */
    jwt_keys none;
    memset(&none, 0, sizeof none);
    snprintf(none.kid, sizeof none.kid, "%s", keys.kid);
    none.issuer = ISSUER;
    none.audience = AUDIENCE;
    CHECK("verifier without a loaded key refuses a correct token",
          jwt_verify_access(&none, tok, (time_t)NOW, &out) != TOKEN_OK);
    free(tok);

    CHECK("empty string rejected as malformed", jwt_verify_access(&keys, "", (time_t)NOW, &out) == TOKEN_MALFORMED);
    CHECK("\".\" rejected", jwt_verify_access(&keys, ".", (time_t)NOW, &out) == TOKEN_MALFORMED);
    CHECK("\"..\" rejected", jwt_verify_access(&keys, "..", (time_t)NOW, &out) == TOKEN_MALFORMED);
    CHECK("\"...\" rejected", jwt_verify_access(&keys, "...", (time_t)NOW, &out) == TOKEN_MALFORMED);

    char *big = malloc(5001);
    memset(big, 'A', 5000);
    big[5000] = '\0';
    big[100] = '.';
    big[200] = '.';
    CHECK("5000-byte token rejected as malformed", jwt_verify_access(&keys, big, (time_t)NOW, &out) == TOKEN_MALFORMED);
    free(big);
}

/* The largest validly signed token that fits MAX_TOKEN (4096) verifies; the
 * next size up is refused before any parsing. */
static void test_size_limit(void)
{
    char *fits = NULL, *over = NULL;
    for (int pad = 2400; pad < 3300 && !over; pad++) {
        char *padding = malloc((size_t)pad + 1);
        memset(padding, 'x', (size_t)pad);
        padding[pad] = '\0';
        json_t *patch = json_pack("{s:s}", "pad", padding);
        char *ptxt = json_dumps(patch, JSON_COMPACT);
        tok_case c = {.name = "size", .cl_set = ptxt};
        char *tok = build_token(&c);
        size_t n = tok ? strlen(tok) : 0;
        if (n && n <= 4096) {
            free(fits);
            fits = tok;
        } else if (n > 4096) {
            over = tok;
        } else {
            free(tok);
        }
        free(ptxt);
        json_decref(patch);
        free(padding);
    }
    token_claims out;
    CHECK("size probe produced tokens on both sides of 4096", fits && over && strlen(fits) >= 4093);
    if (fits && over) {
        CHECK("validly signed token at the 4096-byte limit verifies",
              jwt_verify_access(&keys, fits, (time_t)NOW, &out) == TOKEN_OK);
        CHECK("validly signed token just over 4096 bytes rejected as malformed",
              jwt_verify_access(&keys, over, (time_t)NOW, &out) == TOKEN_MALFORMED);
    }
    free(fits);
    free(over);
}

/* Tokens minted the way services/auth/tokens.c mints them (libjwt,
 * jwt_encode_str with the private PEM) pass the verifier. */
static void test_libjwt_minted(void)
{
    jwt_t *jwt = NULL;
    char *tok = NULL;
    if (jwt_new(&jwt) == 0 && !jwt_add_header(jwt, "kid", keys.kid) && !jwt_add_grant(jwt, "iss", ISSUER) &&
        !jwt_add_grant(jwt, "aud", AUDIENCE) && !jwt_add_grant(jwt, "sub", "9") && !jwt_add_grant(jwt, "sid", "3") &&
        !jwt_add_grant(jwt, "jti", "abc") && !jwt_add_grant(jwt, "token_use", "access") &&
        !jwt_add_grant_int(jwt, "iat", (long)NOW) && !jwt_add_grant_int(jwt, "exp", (long)NOW + ACCESS_TOKEN_TTL) &&
        !jwt_set_alg(jwt, JWT_ALG_ES256, (const unsigned char *)our_priv_pem, (int)strlen(our_priv_pem)))
        tok = jwt_encode_str(jwt);
    jwt_free(jwt);
    token_claims out;
    memset(&out, 0, sizeof out);
    CHECK("libjwt mints an ES256 token with our private key", tok != NULL);
    if (tok) {
        token_result res = jwt_verify_access(&keys, tok, (time_t)NOW, &out);
        if (res != TOKEN_OK)
            fprintf(stderr, "  libjwt-minted token refused: %s\n", token_result_str(res));
        CHECK("token minted like services/auth/tokens.c verifies", res == TOKEN_OK);
        CHECK("token minted like services/auth/tokens.c yields its sub and sid",
              out.user_id == 9 && !strcmp(out.session_id, "3"));
    }
    free(tok);
}

/* jwt_sign_es256 (auth's signer, the key parsed once): what it signs
 * verifies with our verifier and with libjwt's, independently; signed with
 * another key it does not; a buffer too small is refused, never cut. The
 * time per signature against libjwt's (which decodes the PEM each time) is
 * printed, not checked. */
static void test_our_signer(void)
{
    char claims[256], tok[1024];
    int cn = snprintf(claims, sizeof claims,
                      "{\"iss\":\"%s\",\"aud\":\"%s\",\"sub\":\"12\",\"sid\":\"5\",\"jti\":\"j\","
                      "\"token_use\":\"access\",\"iat\":%lld,\"exp\":%lld}",
                      ISSUER, AUDIENCE, NOW, NOW + ACCESS_TOKEN_TTL);
    token_claims out;
    memset(&out, 0, sizeof out);
    CHECK("our signer signs", jwt_sign_es256(our_key, keys.kid, claims, (size_t)cn, tok, sizeof tok) == 0);
    CHECK("our signer's token verifies with sub and sid",
          jwt_verify_access(&keys, tok, (time_t)NOW, &out) == TOKEN_OK && out.user_id == 12 &&
              !strcmp(out.session_id, "5"));
    jwt_t *jwt = NULL;
    CHECK("our signer's token verifies with libjwt (an independent ES256 verifier)",
          jwt_decode(&jwt, tok, (const unsigned char *)our_pem, (int)strlen(our_pem)) == 0 && jwt &&
              jwt_get_alg(jwt) == JWT_ALG_ES256 && !strcmp(jwt_get_grant(jwt, "sub"), "12"));
    jwt_free(jwt);
    CHECK("a token our signer signed with another key is refused",
          jwt_sign_es256(other_key, keys.kid, claims, (size_t)cn, tok, sizeof tok) == 0 &&
              jwt_verify_access(&keys, tok, (time_t)NOW, &out) == TOKEN_BAD_SIGNATURE);
    CHECK("our signer refuses a buffer too small", jwt_sign_es256(our_key, keys.kid, claims, (size_t)cn, tok, 200) == -1);
    CHECK("our signer refuses no key", jwt_sign_es256(NULL, keys.kid, claims, (size_t)cn, tok, sizeof tok) == -1);

    struct timespec t0, t1, t2;
    enum { N = 200 };
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < N; i++)
        (void)jwt_sign_es256(our_key, keys.kid, claims, (size_t)cn, tok, sizeof tok);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    for (int i = 0; i < N; i++) {
        jwt_t *j = NULL;
        char *t = NULL;
        if (!jwt_new(&j) && !jwt_add_grants_json(j, claims) &&
            !jwt_set_alg(j, JWT_ALG_ES256, (const unsigned char *)our_priv_pem, (int)strlen(our_priv_pem)))
            t = jwt_encode_str(j);
        free(t);
        jwt_free(j);
    }
    clock_gettime(CLOCK_MONOTONIC, &t2);
    double ours = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / N / 1000;
    double theirs = ((double)(t2.tv_sec - t1.tv_sec) * 1e9 + (double)(t2.tv_nsec - t1.tv_nsec)) / N / 1000;
    printf("  signing: %.0f µs a token with the key parsed once, %.0f µs with libjwt 1.10 (PEM each time)\n", ours,
           theirs);
}

/* ------------------------------------------------------------------ */
/* jwt_keys_load. */

static void sha256(const void *d, size_t n, unsigned char out[32])
{
    unsigned int len = 32;
    EVP_Digest(d, n, out, &len, EVP_sha256(), NULL);
}

/* RFC 7638 thumbprint computed from the encoded public point (04 || X || Y). */
static bool thumbprint_matches(EVP_PKEY *pk, const jwt_keys *k)
{
    unsigned char pt[65], digest[32];
    size_t ptlen = 0;
    if (!EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof pt, &ptlen) ||
        ptlen != 65 || pt[0] != 4)
        return false;
    char *x = b64u(pt + 1, 32), *y = b64u(pt + 33, 32);
    char *canon = cat("{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"", x, "\",\"y\":\"", y, "\"}");
    sha256(canon, strlen(canon), digest);
    char *kid = b64u(digest, 32);
    bool ok = !strcmp(k->x, x) && !strcmp(k->y, y) && !strcmp(k->kid, kid) && strlen(k->kid) == 43;
    free(x);
    free(y);
    free(canon);
    free(kid);
    return ok;
}

static void test_keys_load(void)
{
    char err[128];
    jwt_keys k;

    CHECK("kid is the RFC 7638 thumbprint of our key, x and y are its coordinates",
          thumbprint_matches(our_key, &keys));
    CHECK("issuer and audience kept", !strcmp(keys.issuer, ISSUER) && !strcmp(keys.audience, AUDIENCE));

    /* A coordinate with a leading zero byte must still be 32 bytes (43
     * characters) in the JWK and the thumbprint. */
    EVP_PKEY *z = NULL;
    for (int i = 0; i < 20000 && !z; i++) {
        EVP_PKEY *t = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        unsigned char pt[65];
        size_t ptlen = 0;
        if (t && EVP_PKEY_get_octet_string_param(t, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof pt, &ptlen) &&
            ptlen == 65 && (pt[1] == 0 || pt[33] == 0))
            z = t;
        else
            EVP_PKEY_free(t);
    }
    CHECK("found a P-256 key with a leading zero coordinate byte", z != NULL);
    if (z) {
        char *pem = pem_public(z);
        CHECK("key with a leading zero coordinate byte loads",
              jwt_keys_load(&k, pem, strlen(pem), ISSUER, AUDIENCE, err, sizeof err) == 0);
        CHECK("thumbprint right when a coordinate has a leading zero byte", thumbprint_matches(z, &k));
        jwt_keys_free(&k);
        free(pem);
        EVP_PKEY_free(z);
    }

    struct {
        const char *name, *type, *param;
        size_t bits;
    } refuse[] = {
        {"jwt_keys_load refuses an RSA-2048 public key", "RSA", NULL, 2048},
        {"jwt_keys_load refuses a P-384 public key", "EC", "P-384", 0},
        {"jwt_keys_load refuses a P-521 public key", "EC", "P-521", 0},
        {"jwt_keys_load refuses a secp256k1 public key", "EC", "secp256k1", 0},
        {"jwt_keys_load refuses an Ed25519 public key", "ED25519", NULL, 0},
    };
    for (size_t i = 0; i < NELEM(refuse); i++) {
        EVP_PKEY *pk = refuse[i].bits ? EVP_PKEY_Q_keygen(NULL, NULL, refuse[i].type, refuse[i].bits)
                       : refuse[i].param ? EVP_PKEY_Q_keygen(NULL, NULL, refuse[i].type, refuse[i].param)
                                         : EVP_PKEY_Q_keygen(NULL, NULL, refuse[i].type);
        char *pem = pk ? pem_public(pk) : NULL;
        err[0] = '\0';
        CHECK(refuse[i].name,
              pem && jwt_keys_load(&k, pem, strlen(pem), ISSUER, AUDIENCE, err, sizeof err) == -1 && err[0] &&
                  k.public_pem == NULL);
        free(pem);
        EVP_PKEY_free(pk);
    }

    static const char garbage[] = "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n";
    err[0] = '\0';
    CHECK("jwt_keys_load refuses garbage inside PEM armour",
          jwt_keys_load(&k, garbage, strlen(garbage), ISSUER, AUDIENCE, err, sizeof err) == -1 && err[0]);
    CHECK("jwt_keys_load refuses plain text",
          jwt_keys_load(&k, "hello", 5, ISSUER, AUDIENCE, err, sizeof err) == -1);
    CHECK("jwt_keys_load refuses an empty buffer", jwt_keys_load(&k, "", 0, ISSUER, AUDIENCE, err, sizeof err) == -1);
    CHECK("jwt_keys_load refuses a truncated PEM",
          jwt_keys_load(&k, our_pem, strlen(our_pem) / 2, ISSUER, AUDIENCE, err, sizeof err) == -1);
    CHECK("jwt_keys_load refuses a private key PEM in place of the public key",
          jwt_keys_load(&k, our_priv_pem, strlen(our_priv_pem), ISSUER, AUDIENCE, err, sizeof err) == -1);

    /* Only len bytes are read: the PEM need not be NUL-terminated. */
    size_t n = strlen(our_pem);
    char *exact = malloc(n);
    memcpy(exact, our_pem, n);
    CHECK("jwt_keys_load reads exactly len bytes (no terminator needed)",
          jwt_keys_load(&k, exact, n, ISSUER, AUDIENCE, err, sizeof err) == 0 && !strcmp(k.kid, keys.kid) &&
              k.public_len == n && !strcmp(k.public_pem, our_pem));
    jwt_keys_free(&k);
    CHECK("jwt_keys_free clears the PEM", k.public_pem == NULL);
    free(exact);
}

int main(void)
{
    char err[128];
    our_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    other_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    our_pem = our_key ? pem_public(our_key) : NULL;
    other_pem = other_key ? pem_public(other_key) : NULL;
    our_priv_pem = our_key ? pem_private(our_key) : NULL;
    if (!our_pem || !other_pem || !our_priv_pem || our_pem[strlen(our_pem) - 1] != '\n') {
        fprintf(stderr, "cannot generate P-256 test keys\n");
        return 2;
    }
    int rc = jwt_keys_load(&keys, our_pem, strlen(our_pem), ISSUER, AUDIENCE, err, sizeof err);
    CHECK("jwt_keys_load accepts a P-256 public key PEM", rc == 0);
    if (rc != 0) {
        fprintf(stderr, "jwt_keys_load: %s\n", err);
    } else {
        test_table();
        test_claims_out();
        test_size_limit();
        test_libjwt_minted();
        test_our_signer();
        test_keys_load();
    }
    jwt_keys_free(&keys);
    EVP_PKEY_free(our_key);
    EVP_PKEY_free(other_key);
    free(our_pem);
    free(other_pem);
    free(our_priv_pem);
    return CHECK_DONE();
}
