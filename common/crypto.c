#include "crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

int crypto_random(void *buf, size_t n)
{
    if (n > (size_t)0x7fffffff)
        return -1;
    return RAND_bytes(buf, (int)n) == 1 ? 0 : -1;
}

int crypto_random_digits(char *out, int ndigits)
{
    if (ndigits < 1 || ndigits > 9)
        return -1;
    uint32_t mod = 1;
    for (int i = 0; i < ndigits; i++)
        mod *= 10;
    /* Reject the top partial range so every value is equally likely. */
    uint32_t limit = UINT32_MAX - (UINT32_MAX % mod) - 1;
    uint32_t v;
    do {
        if (crypto_random(&v, sizeof v) != 0)
            return -1;
    } while (v > limit);
    char tmp[16];
    snprintf(tmp, sizeof tmp, "%0*u", ndigits, (unsigned)(v % mod));
    memcpy(out, tmp, (size_t)ndigits + 1);
    return 0;
}

int crypto_random_token(char *out, size_t outlen, size_t nbytes)
{
    unsigned char buf[64];
    if (nbytes > sizeof buf || crypto_random(buf, nbytes) != 0)
        return -1;
    return b64url_encode(buf, nbytes, out, outlen) ? 0 : -1;
}

/* SHA256() looks the digest up in OpenSSL 3's method store on every call,
 * under its lock: 4.5% of the activity service's CPU in the sign-up run, for
 * a hash of a microsecond (bench/ANALYSIS.md, session 12). Fetched once. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static void sha256_fetch(void) { sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL); }

void crypto_sha256(const void *data, size_t n, unsigned char out[32])
{
    pthread_once(&sha256_once, sha256_fetch);
    if (!sha256_md || EVP_Digest(data, n, out, NULL, sha256_md, NULL) != 1)
        SHA256(data, n, out); /* not fetched (out of memory): the lookup each time */
}

int crypto_hmac_sha256(const unsigned char *key, size_t keylen, const void *data, size_t n, unsigned char out[32])
{
    unsigned int len = 32;
    if (keylen > 0x7fffffff)
        return -1;
    pthread_once(&sha256_once, sha256_fetch);
    return HMAC(sha256_md ? sha256_md : EVP_sha256(), key, (int)keylen, data, n, out, &len) && len == 32 ? 0 : -1;
}

bool crypto_equal(const void *a, const void *b, size_t n) { return CRYPTO_memcmp(a, b, n) == 0; }

int crypto_derive_key(const unsigned char master[DATA_KEY_LEN], const char *label, unsigned char out[32])
{
    return crypto_hmac_sha256(master, DATA_KEY_LEN, label, strlen(label), out);
}

int crypto_seal(const unsigned char key[32], const void *plain, size_t n, const char *aad, unsigned char *out)
{
    int len, rc = -1;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx || n > 0x7fffffff || crypto_random(out, 12) ||
        EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, out) != 1 ||
        EVP_EncryptUpdate(ctx, NULL, &len, (const unsigned char *)aad, (int)strlen(aad)) != 1 ||
        EVP_EncryptUpdate(ctx, out + 12, &len, plain, (int)n) != 1 ||
        EVP_EncryptFinal_ex(ctx, out + 12 + len, &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out + 12 + n) != 1)
        goto out;
    rc = 0;
out:
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

long crypto_open(const unsigned char key[32], const unsigned char *sealed, size_t n, const char *aad,
                 unsigned char *out)
{
    int len, fin;
    long rc = -1;
    if (n < GCM_OVERHEAD || n > 0x7fffffff)
        return -1;
    size_t clen = n - GCM_OVERHEAD;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx || EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, sealed) != 1 ||
        EVP_DecryptUpdate(ctx, NULL, &len, (const unsigned char *)aad, (int)strlen(aad)) != 1 ||
        EVP_DecryptUpdate(ctx, out, &len, sealed + 12, (int)clen) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, (void *)(sealed + 12 + clen)) != 1 ||
        EVP_DecryptFinal_ex(ctx, out + len, &fin) != 1)
        goto out;
    rc = (long)len + fin;
out:
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

void hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int hex_decode(const char *in, unsigned char *out, size_t outlen)
{
    if (strlen(in) != 2 * outlen)
        return -1;
    for (size_t i = 0; i < outlen; i++) {
        int hi = hexval(in[2 * i]), lo = hexval(in[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t b64url_encode(const unsigned char *in, size_t n, char *out, size_t outlen)
{
    size_t need = (n / 3) * 4 + (n % 3 ? n % 3 + 1 : 0);
    if (outlen < need + 1)
        return 0;
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
        out[o++] = b64url[v >> 6 & 63];
        out[o++] = b64url[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
        out[o++] = b64url[v >> 6 & 63];
    }
    out[o] = '\0';
    return o;
}

static int b64val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

long b64url_decode(const char *in, size_t n, unsigned char *out, size_t outlen)
{
    if (n % 4 == 1)
        return -1;
    size_t need = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
    if (need > outlen)
        return -1;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64val(in[i]);
        if (v < 0)
            return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits & 0xff);
        }
    }
    /* Leftover bits must be zero, so each token has exactly one encoding. */
    if (bits && (acc & ((1u << bits) - 1)))
        return -1;
    return (long)o;
}
