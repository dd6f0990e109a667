/* The one hardened access-token verifier every service uses, and auth's
 * signer. libjwt 1.10 takes the algorithm from the token and accepts alg
 * "none" or an HMAC keyed with our public PEM, and it decodes the PEM key
 * again on every call, verifying or signing (~330 µs of a 390 µs verify,
 * ~420 µs a signature, bench/ANALYSIS.md). So both are done here: the header
 * is checked first (alg exactly ES256, typ JWT, our kid, no crit), the
 * signature is an ECDSA P-256 check (or signature) with a key parsed once at
 * start-up, and every claim is checked here. */
#ifndef STVS_TOKEN_H
#define STVS_TOKEN_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define ACCESS_TOKEN_TTL 900
#define JWT_LEEWAY 60 /* seconds of clock skew tolerated on iat */

typedef struct evp_pkey_st EVP_PKEY;

typedef struct {
    EVP_PKEY *pkey;   /* parsed once; read-only, shared by every thread */
    char *public_pem;
    size_t public_len;
    char kid[48];   /* RFC 7638 thumbprint, base64url */
    char x[48], y[48]; /* base64url P-256 coordinates, for the JWK set */
    const char *issuer, *audience;
} jwt_keys;

typedef enum {
    TOKEN_OK,
    TOKEN_MALFORMED,
    TOKEN_BAD_HEADER,
    TOKEN_BAD_SIGNATURE,
    TOKEN_EXPIRED,
    TOKEN_BAD_CLAIMS,
} token_result;

typedef struct {
    long long user_id;  /* sub */
    char session_id[24]; /* sid */
    long long iat, exp;
    const EVP_PKEY *public_key; /* the key that verified it (the cache's, internal) */
} token_claims;

/* Loads a P-256 public key PEM; refuses anything else. 0 or -1 with err. */
int jwt_keys_load(jwt_keys *k, const char *pem, size_t len, const char *issuer, const char *audience, char *err,
                  size_t errlen);
void jwt_keys_free(jwt_keys *k);
token_result jwt_verify_access(const jwt_keys *k, const char *token, time_t now, token_claims *out);
const char *token_result_str(token_result r);

/* Signs claims (a JSON object's text) as an ES256 access token with our kid:
 * the token into out, NUL-terminated; 0, or -1 if it cannot be signed or
 * does not fit. key is a P-256 private key parsed once (auth's). */
int jwt_sign_es256(EVP_PKEY *key, const char *kid, const char *claims, size_t claims_len, char *out, size_t outlen);

#endif
