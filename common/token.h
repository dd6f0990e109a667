/* The one hardened access-token verifier every service uses. libjwt 1.10
 * checks only the signature, takes the algorithm from the token and accepts
 * alg "none" or an HMAC keyed with our public PEM; so the header is checked
 * here first (alg exactly ES256, typ JWT, our kid, no crit), the algorithm is
 * pinned again after decoding, and every claim is checked here. */
#ifndef STVS_TOKEN_H
#define STVS_TOKEN_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define ACCESS_TOKEN_TTL 900
#define JWT_LEEWAY 60 /* seconds of clock skew tolerated on iat */

typedef struct {
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
} token_claims;

/* Loads a P-256 public key PEM; refuses anything else. 0 or -1 with err. */
int jwt_keys_load(jwt_keys *k, const char *pem, size_t len, const char *issuer, const char *audience, char *err,
                  size_t errlen);
void jwt_keys_free(jwt_keys *k);
token_result jwt_verify_access(const jwt_keys *k, const char *token, time_t now, token_claims *out);
const char *token_result_str(token_result r);

#endif
