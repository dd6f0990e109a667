/* The verifier's cache of verified tokens may only ever return
 * what a full verification of the same bytes would. */
#include "check.h"

#include <jwt.h>
#include <pthread.h>
#include <stdio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "token.h"

static char *pem_of(EVP_PKEY *k, bool private_key)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data, *out;
    if (private_key)
        PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
    else
        PEM_write_bio_PUBKEY(b, k);
    long n = BIO_get_mem_data(b, &data);
    out = strndup(data, (size_t)n);
    BIO_free(b);
    return out;
}

static char *sign(const char *priv, const char *kid, const char *sub, time_t now)
{
    jwt_t *j = NULL;
    char *t = NULL;
    if (jwt_new(&j) == 0 && !jwt_add_header(j, "kid", kid) && !jwt_add_grant(j, "iss", "stvs") &&
        !jwt_add_grant(j, "aud", "stvs-api") && !jwt_add_grant(j, "sub", sub) && !jwt_add_grant(j, "sid", "7") &&
        !jwt_add_grant(j, "token_use", "access") && !jwt_add_grant_int(j, "iat", (long)now) &&
        !jwt_add_grant_int(j, "exp", (long)now + 900) &&
        !jwt_set_alg(j, JWT_ALG_ES256, (const unsigned char *)priv, (int)strlen(priv)))
        t = jwt_encode_str(j);
    jwt_free(j);
    return t;
}

/* header.payload-of-other.signature-of-token */
static char *graft(const char *token, const char *other)
{
    const char *sig = strrchr(token, '.');
    const char *other_sig = strrchr(other, '.');
    size_t head = (size_t)(other_sig - other);
    char *out = malloc(head + strlen(sig) + 1);
    memcpy(out, other, head);
    strcpy(out + head, sig);
    return out;
}

/* Threads verifying their own tokens through the one shared table, over
 * and over: each must always get its own token's claims. */
#define RACERS 8
#define RACER_TOKENS 64
typedef struct {
    const jwt_keys *k;
    char *tokens[RACER_TOKENS];
    long long first_user;
    time_t now;
    int wrong;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    token_claims c;
    for (int round = 0; round < 20; round++)
        for (int i = 0; i < RACER_TOKENS; i++)
            if (jwt_verify_access(r->k, r->tokens[i], r->now, &c) != TOKEN_OK || c.user_id != r->first_user + i)
                r->wrong++;
    return NULL;
}

int main(void)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    char *pub = pem_of(key, false), *priv = pem_of(key, true), err[128];
    jwt_keys k;
    token_claims c;
    time_t now = time(NULL);
    CHECK("keys load", jwt_keys_load(&k, pub, strlen(pub), "stvs", "stvs-api", err, sizeof err) == 0);
    char *alice = sign(priv, k.kid, "5", now), *mallory = sign(priv, k.kid, "6", now);

    CHECK("a token verifies", jwt_verify_access(&k, alice, now, &c) == TOKEN_OK && c.user_id == 5);
    CHECK("the same token verifies again (from the cache) with the same claims",
          jwt_verify_access(&k, alice, now + 1, &c) == TOKEN_OK && c.user_id == 5 && !strcmp(c.session_id, "7"));
    char *grafted = graft(alice, mallory);
    CHECK("a cached token's signature on another payload is refused",
          jwt_verify_access(&k, grafted, now, &c) == TOKEN_BAD_SIGNATURE);
    CHECK("a cached token expires on time", jwt_verify_access(&k, alice, now + 900, &c) == TOKEN_EXPIRED);
    CHECK("a cached token is refused before its iat comes within the leeway",
          jwt_verify_access(&k, alice, now - JWT_LEEWAY - 1, &c) == TOKEN_BAD_CLAIMS);
    CHECK("and accepted again at a time it is valid", jwt_verify_access(&k, alice, now + 10, &c) == TOKEN_OK);

    jwt_keys other;
    EVP_PKEY *key2 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    char *pub2 = pem_of(key2, false);
    CHECK("other keys load", jwt_keys_load(&other, pub2, strlen(pub2), "stvs", "stvs-api", err, sizeof err) == 0);
    CHECK("a token cached under one key is not accepted under another",
          jwt_verify_access(&other, alice, now, &c) != TOKEN_OK);

    racer racers[RACERS];
    pthread_t threads[RACERS];
    for (int t = 0; t < RACERS; t++) {
        racers[t] = (racer){.k = &k, .first_user = 1000 + t * RACER_TOKENS, .now = now};
        for (int i = 0; i < RACER_TOKENS; i++) {
            char sub[24];
            snprintf(sub, sizeof sub, "%lld", racers[t].first_user + i);
            racers[t].tokens[i] = sign(priv, k.kid, sub, now);
        }
    }
    for (int t = 0; t < RACERS; t++)
        pthread_create(&threads[t], NULL, race, &racers[t]);
    int wrong = 0;
    for (int t = 0; t < RACERS; t++) {
        pthread_join(threads[t], NULL);
        wrong += racers[t].wrong;
        for (int i = 0; i < RACER_TOKENS; i++)
            free(racers[t].tokens[i]);
    }
    CHECK("threads sharing the cache each get their own tokens' claims, every time", wrong == 0);

    free(grafted);
    free(alice);
    free(mallory);
    free(pub);
    free(pub2);
    free(priv);
    jwt_keys_free(&k);
    jwt_keys_free(&other);
    EVP_PKEY_free(key);
    EVP_PKEY_free(key2);
    return CHECK_DONE();
}
