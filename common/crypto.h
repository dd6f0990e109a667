/* Thin, checked wrappers over OpenSSL libcrypto. */
#ifndef STVS_CRYPTO_H
#define STVS_CRYPTO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DATA_KEY_LEN 32

int crypto_random(void *buf, size_t n);                         /* 0 ok, -1 on RNG failure */
int crypto_random_digits(char *out, int ndigits);               /* uniform, no modulo bias */
int crypto_random_token(char *out, size_t outlen, size_t nbytes); /* base64url of nbytes random */
void crypto_sha256(const void *data, size_t n, unsigned char out[32]);
int crypto_hmac_sha256(const unsigned char *key, size_t keylen, const void *data, size_t n, unsigned char out[32]);
bool crypto_equal(const void *a, const void *b, size_t n);      /* constant time */
/* Sub-keys for separate purposes, so one key never serves two algorithms. */
int crypto_derive_key(const unsigned char master[DATA_KEY_LEN], const char *label, unsigned char out[32]);

/* AES-256-GCM with a random 96-bit nonce. Sealed form: nonce(12) || ciphertext || tag(16),
 * so out needs n + GCM_OVERHEAD bytes. aad binds the ciphertext to its use. */
#define GCM_OVERHEAD 28
int crypto_seal(const unsigned char key[32], const void *plain, size_t n, const char *aad, unsigned char *out);
/* Returns the plaintext length, or -1 when the data or tag is wrong. */
long crypto_open(const unsigned char key[32], const unsigned char *sealed, size_t n, const char *aad,
                 unsigned char *out);

void hex_encode(const unsigned char *in, size_t n, char *out);  /* out: 2n+1 */
int hex_decode(const char *in, unsigned char *out, size_t outlen); /* exact length; -1 on bad input */
size_t b64url_encode(const unsigned char *in, size_t n, char *out, size_t outlen); /* no padding; 0 if too small */
/* Strict base64url decode (no padding, no other characters); returns length or -1. */
long b64url_decode(const char *in, size_t n, unsigned char *out, size_t outlen);

#endif
