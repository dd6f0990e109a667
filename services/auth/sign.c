/* Signing access tokens with libjwt (ES256, auth's private key): the one
 * place that holds libjwt's allocations, so the token a handler gets lives
 * in the request's arena like every other string. */
#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"

/* The token in libjwt's memory (the caller frees), or NULL. */
static char *sign(long long user_id, long long session_id)
{
    jwt_t *jwt = NULL;
    char *token = NULL, sub[24], sid[24], jti[32];
    time_t now = time(NULL);
    snprintf(sub, sizeof sub, "%lld", user_id);
    snprintf(sid, sizeof sid, "%lld", session_id);
    if (crypto_random_token(jti, sizeof jti, 16) || jwt_new(&jwt))
        return NULL;
    if (jwt_add_header(jwt, "kid", app_keys.kid) || jwt_add_grant(jwt, "iss", app_config.issuer) ||
        jwt_add_grant(jwt, "aud", app_config.audience) || jwt_add_grant(jwt, "sub", sub) ||
        jwt_add_grant(jwt, "sid", sid) || jwt_add_grant(jwt, "jti", jti) ||
        jwt_add_grant(jwt, "token_use", "access") || jwt_add_grant_int(jwt, "iat", (long)now) ||
        jwt_add_grant_int(jwt, "exp", (long)now + ACCESS_TOKEN_TTL) ||
        jwt_set_alg(jwt, JWT_ALG_ES256, (const unsigned char *)auth.private_pem, (int)auth.private_len))
        goto out;
    token = jwt_encode_str(jwt);
out:
    jwt_free(jwt);
    return token;
}

const char *access_token_sign(req_t *r, long long user_id, long long session_id)
{
    char *token = sign(user_id, session_id);
    const char *copy = token ? arena_strndup(&r->arena, token, strlen(token)) : NULL;
    free(token);
    return copy;
}
