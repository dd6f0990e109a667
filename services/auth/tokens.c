/* Issuing tokens: ES256 access tokens (sign.c) and opaque refresh tokens,
 * stored only as SHA-256 hashes; and the caller's account as JSON. */
#include <string.h>

#include "auth.h"
#include "log.h"

void refresh_token_hash(const char *token, char out[65])
{
    unsigned char digest[32];
    crypto_sha256(token, strlen(token), digest);
    hex_encode(digest, 32, out);
}

json_t *me_json_or_reply(req_t *r, long long user_id)
{
    const char *id = id_str(r, user_id);
    PGresult *res = db_query_or_reply(r, SQL_ME, 1, (const char *[]){id});
    if (!res)
        return NULL;
    if (PQntuples(res) != 1) { /* the account was deleted under a live token */
        PQclear(res);
        reply_error(r, ERR_UNAUTHORIZED, "the account no longer exists");
        return NULL;
    }
    json_t *me = json_pack("{s:I, s:s, s:o, s:b, s:o}", "id", (json_int_t)db_int(res, 0, "id"), "phone",
                           db_str(res, 0, "phone"), "volunteer_id",
                           db_isnull(res, 0, "volunteer_id") ? json_null()
                                                              : json_integer(db_int(res, 0, "volunteer_id")),
                           "claim_required", db_bool(res, 0, "claim_required"), "roles",
                           db_json(res, 0, "roles", json_array()));
    PQclear(res);
    if (!me)
        reply_error(r, ERR_INTERNAL, NULL);
    return me;
}

void reply_new_tokens(req_t *r, long long user_id, long long session_id)
{
    char refresh[64], hash[65];
    if (crypto_random_token(refresh, sizeof refresh, 32)) {
        reply_error(r, ERR_INTERNAL, NULL);
        return;
    }
    refresh_token_hash(refresh, hash);
    const char *sid = id_str(r, session_id);
    const char *ttl = arena_printf(&r->arena, "%d", REFRESH_TTL);
    if (!db_do_or_reply(r, SQL_REFRESH_INSERT, 3, (const char *[]){hash, sid, ttl}))
        return;
    const char *access = access_token_sign(r, user_id, session_id);
    if (!access) {
        log_msg("error", r->request_id, "signing an access token failed");
        reply_error(r, ERR_INTERNAL, NULL);
        return;
    }
    json_t *user = me_json_or_reply(r, user_id);
    if (!user)
        return;
    reply_json(r, 200, json_pack("{s:s, s:s, s:i, s:s, s:i, s:o}", "access_token", access, "token_type", "Bearer",
                                 "expires_in", ACCESS_TOKEN_TTL, "refresh_token", refresh, "refresh_expires_in",
                                 REFRESH_TTL, "user", user));
    explicit_bzero(refresh, sizeof refresh);
    db_commit_or_reply(r); /* a failed commit answers instead: no tokens of a session never stored */
}

/* GET /auth/jwks.json: 200. The public key other services verify with. */
void h_jwks(req_t *r)
{
    reply_json(r, 200, json_pack("{s:[{s:s, s:s, s:s, s:s, s:s, s:s, s:s}]}", "keys", "kty", "EC", "crv", "P-256",
                                 "x", app_keys.x, "y", app_keys.y, "kid", app_keys.kid, "use", "sig", "alg", "ES256"));
    reply_header(r, "Cache-Control", "public, max-age=300");
}
