/* Signing access tokens (ES256, auth's private key, parsed once at start:
 * common/token.c signs with OpenSSL directly). The token a handler gets
 * lives in the request's arena like every other string. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "token.h"

const char *access_token_sign(req_t *r, long long user_id, long long session_id)
{
    char sub[24], sid[24], jti[33], token[1024];
    long long now = (long long)time(NULL);
    snprintf(sub, sizeof sub, "%lld", user_id);
    snprintf(sid, sizeof sid, "%lld", session_id);
    if (crypto_random_token(jti, sizeof jti, 16))
        return NULL;
    json_t *claims = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "iss", app_config.issuer, "aud",
                               app_config.audience, "sub", sub, "sid", sid, "jti", jti, "token_use", "access", "iat",
                               (json_int_t)now, "exp", (json_int_t)(now + ACCESS_TOKEN_TTL));
    char *text = claims ? json_dumps(claims, JSON_COMPACT) : NULL;
    json_decref(claims);
    int rc = text ? jwt_sign_es256(auth.signing_key, app_keys.kid, text, strlen(text), token, sizeof token) : -1;
    free(text);
    return rc ? NULL : arena_strndup(&r->arena, token, strlen(token));
}
