/* What the auth service's files share: its SQL table, its settings, and the
 * token helpers. */
#ifndef STVS_AUTH_H
#define STVS_AUTH_H
#include <stdbool.h>

#include "app.h"
#include "body.h"
#include "sms.h"
#include "token.h"

#define SMS_CODE_TTL 300
#define SMS_WRONG_TRIES 5
#define REFRESH_TTL (30 * 24 * 3600)
#define PASSWORD_TRIES 5
#define PASSWORD_LOCK_SECONDS 900

/* SQL_... for each statement of sql.def, in its order. */
enum auth_sql {
#define STMT(id, ...) id,
#include "sql.def"
#undef STMT
    SQL__MAX
};
extern const db_stmt auth_sql[SQL__MAX];

typedef struct {
    sms_sender *sms;
    long resend_seconds, per_phone_per_day, per_address_per_hour;
    long login_per_address_per_minute;
    unsigned char code_key[32]; /* HMAC key for stored SMS codes */
    EVP_PKEY *signing_key; /* parsed once at start; read-only, shared by every thread */
} auth_settings;
extern auth_settings auth;

/* Constant-time check of a submitted login code against its stored hash. */
bool sms_code_matches(const char *phone, const char *code, const char *stored_hex);

/* sign.c: an ES256 access token for the session, in the request's arena;
 * NULL when it could not be signed. */
const char *access_token_sign(req_t *r, long long user_id, long long session_id);

/* tokens.c: issues a session's token pair and answers 200 with it and the
 * user. Runs inside the caller's transaction and commits it. */
void reply_new_tokens(req_t *r, long long user_id, long long session_id);
/* Hex SHA-256 of a refresh token, the only form stored. */
void refresh_token_hash(const char *token, char out[65]);
/* Prepares the dummy hash that equalizes password-login timing. */
int auth_passwords_init(void);
/* The caller as GET /auth/me shows it, or NULL after replying an error. */
json_t *me_json_or_reply(req_t *r, long long user_id);

/* limits.c: per-client-address limits (kind "sms" or "login"). The wait
 * (seconds) of a refusal this process remembers, 0 when none. */
long long address_remembered_wait(const req_t *r, const char *kind);
/* Inside the caller's transaction: locks the address for the kind and sets
 * *wait to the seconds until the window has room (0: room now). */
bool address_wait_or_reply(req_t *r, const char *kind, long per_window, int window_seconds, long long *wait);
/* Counts one admitted request of the kind, inside the caller's transaction. */
bool address_hit_or_reply(req_t *r, const char *kind);
/* 429 rate_limited with Retry-After: wait. */
void rate_limited_reply(req_t *r, long long wait, const char *detail);
/* LOGIN_PER_ADDRESS_PER_MINUTE, before any hash: counts the login and
 * answers true, or answers 429 (or 503) itself. */
bool login_admitted_or_reply(req_t *r);

/* purge.c: the purge thread (STVS_PURGE_INTERVAL, SIGUSR2: now), and its
 * lines for GET /metrics. */
int purge_start(const stvs_config *cfg);
void purge_stop(void);
void purge_metrics(FILE *out, db_t *db);

/* handlers */
void h_sms_codes_create(req_t *r);
void h_sessions_create(req_t *r);
void h_tokens_refresh(req_t *r);
void h_sessions_delete_current(req_t *r);
void h_me(req_t *r);
void h_jwks(req_t *r);
void h_password_put(req_t *r);

#endif
