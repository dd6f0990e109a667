/* Logging in (code or password), refreshing, logging out, the caller's
 * account, and setting a password. */
#include <argon2.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "log.h"

/* argon2id at OWASP's minimum (19 MiB, 2 passes): slow for an attacker,
 * bounded memory per worker thread. */
#define ARGON2_T 2
#define ARGON2_M_KIB 19456
#define ARGON2_P 1
#define ARGON2_SALT 16
#define ARGON2_HASH 32

static const char *check_code(const char *v, const char **message)
{
    bool ok = strlen(v) == 6;
    for (int i = 0; ok && i < 6; i++)
        ok = v[i] >= '0' && v[i] <= '9';
    *message = "must be 6 digits";
    return ok ? NULL : "invalid_format";
}

typedef struct {
    const char *phone, *code, *password;
} login_body;

static const field_spec login_fields[] = {
    {"phone", F_STRING, FIELD_REQUIRED, 0, 0, offsetof(login_body, phone), check_phone, NULL},
    {"code", F_STRING, 0, 0, 0, offsetof(login_body, code), check_code, NULL},
    {"password", F_STRING, 0, 1, 128, offsetof(login_body, password), NULL, NULL},
};

/* Creates the account on first use, a session that remembers how it began
 * ("code" or "password"), and answers the tokens. */
static void start_session(req_t *r, const char *phone, const char *method)
{
    PGresult *res = db_query_or_reply(r, SQL_USER_UPSERT, 1, (const char *[]){phone});
    if (!res)
        return;
    long long user_id = db_int(res, 0, "id");
    PQclear(res);
    const char *uid = id_str(r, user_id);
    if (!uid) {
        reply_error(r, ERR_INTERNAL, NULL);
        return;
    }
    res = db_query_or_reply(r, SQL_SESSION_CREATE, 2, (const char *[]){uid, method});
    if (!res)
        return;
    long long session_id = db_int(res, 0, "id");
    PQclear(res);
    reply_new_tokens(r, user_id, session_id);
}

/* 200 or 401 invalid_code / too_many_attempts. A wrong try is committed
 * before answering, so it counts even though the login fails. */
static void login_with_code(req_t *r, const login_body *b)
{
    if (!db_begin_or_reply(r))
        return;
    PGresult *res = db_query_or_reply(r, SQL_CODE_FOR_UPDATE, 1, (const char *[]){b->phone});
    if (!res)
        return;
    bool usable = PQntuples(res) == 1 && db_bool(res, 0, "live") && !db_bool(res, 0, "used");
    bool right = usable && sms_code_matches(b->phone, b->code, db_str(res, 0, "code_hash"));
    PQclear(res);
    if (!usable) {
        reply_error(r, ERR_INVALID_CODE, "the code is wrong, used or expired");
        return;
    }
    if (right) {
        if (db_do_or_reply(r, SQL_CODE_USE, 1, (const char *[]){b->phone}))
            start_session(r, b->phone, "code");
        return;
    }
    const char *tries = arena_printf(&r->arena, "%d", SMS_WRONG_TRIES);
    if (!tries) {
        reply_error(r, ERR_INTERNAL, NULL);
        return;
    }
    res = db_query_or_reply(r, SQL_CODE_WRONG, 2, (const char *[]){b->phone, tries});
    if (!res)
        return;
    bool burnt = db_int(res, 0, "attempts") >= SMS_WRONG_TRIES;
    PQclear(res);
    if (!db_commit_or_reply(r))
        return;
    if (burnt)
        reply_error(r, ERR_TOO_MANY_ATTEMPTS, "too many wrong codes; request a new one");
    else
        reply_error(r, ERR_INVALID_CODE, "the code is wrong, used or expired");
}

/* A hash to verify against when the phone has no password, so that the
 * answer takes as long whether or not the account exists. */
static char dummy_hash[128];

static int hash_password(const char *password, char *out, size_t outlen)
{
    unsigned char salt[ARGON2_SALT];
    if (crypto_random(salt, sizeof salt))
        return -1;
    return argon2id_hash_encoded(ARGON2_T, ARGON2_M_KIB, ARGON2_P, password, strlen(password), salt, sizeof salt,
                                 ARGON2_HASH, out, outlen) == ARGON2_OK ? 0 : -1;
}

int auth_passwords_init(void) { return hash_password("not a real password", dummy_hash, sizeof dummy_hash); }

/* Whether a password matches the stored hash; with none stored, a dummy is
 * verified instead, so that the answer takes as long either way. */
static bool password_matches(const char *stored, const char *password)
{
    int rc = argon2id_verify(stored ? stored : dummy_hash, password, strlen(password));
    return stored && rc == ARGON2_OK;
}

/* Takes the phone's attempt counter (in the caller's transaction) and
 * answers 429 while it is locked. True: go on and check the password. */
static bool attempts_open_or_reply(req_t *r, const char *phone)
{
    PGresult *res = db_query_or_reply(r, SQL_ATTEMPTS_LOCK, 1, (const char *[]){phone});
    if (!res)
        return false;
    long long locked_for = db_int(res, 0, "locked_for");
    PQclear(res);
    if (locked_for > 0) {
        rate_limited_reply(r, locked_for, "too many wrong passwords; try again later");
        return false;
    }
    return true;
}

/* Counts a wrong password for the phone and commits it. */
static bool attempt_failed_or_reply(req_t *r, const char *phone)
{
    const char *tries = arena_printf(&r->arena, "%d", PASSWORD_TRIES);
    const char *lock = arena_printf(&r->arena, "%d", PASSWORD_LOCK_SECONDS);
    if (!tries || !lock) {
        reply_error(r, ERR_INTERNAL, NULL);
        return false;
    }
    return db_do_or_reply(r, SQL_ATTEMPTS_FAILED, 3, (const char *[]){phone, tries, lock}) && db_commit_or_reply(r);
}

/* 200, 401 unauthorized, 429 while locked after repeated failures. Known and
 * unknown phones, with or without a password, take the same path: the same
 * counter, the same hash work, the same answers. */
static void login_with_password(req_t *r, const login_body *b)
{
    if (!db_begin_or_reply(r) || !attempts_open_or_reply(r, b->phone))
        return;
    PGresult *res = db_query_or_reply(r, SQL_USER_FOR_PASSWORD, 1, (const char *[]){b->phone});
    if (!res)
        return;
    bool ok = password_matches(PQntuples(res) == 1 ? db_str(res, 0, "password_hash") : NULL, b->password);
    PQclear(res);
    if (ok) {
        if (db_do_or_reply(r, SQL_ATTEMPTS_CLEAR, 1, (const char *[]){b->phone}))
            start_session(r, b->phone, "password");
        return;
    }
    if (attempt_failed_or_reply(r, b->phone))
        reply_error(r, ERR_UNAUTHORIZED, "wrong phone or password");
}

/* POST /auth/sessions: 200, 400, 401, 413, 415, 422, 429, 503. The
 * per-address limit comes before any hash is computed. */
void h_sessions_create(req_t *r)
{
    login_body b = {0};
    if (!body_object_or_reply(r))
        return;
    body_fields(r, login_fields, sizeof login_fields / sizeof *login_fields, &b);
    bool has_code = json_object_get(r->json, "code"), has_password = json_object_get(r->json, "password");
    if (has_code && has_password)
        field_error(r, "password", "exclusive", "send either code or password, not both");
    else if (!has_code && !has_password)
        field_error(r, "code", "required", "code (or password) is required");
    if (fields_failed_reply(r) || !login_admitted_or_reply(r))
        return;
    if (b.code)
        login_with_code(r, &b);
    else
        login_with_password(r, &b);
}

typedef struct {
    const char *refresh_token;
} refresh_body;

static const field_spec refresh_fields[] = {
    {"refresh_token", F_STRING, FIELD_REQUIRED, 1, 4096, offsetof(refresh_body, refresh_token), NULL, NULL},
};

/* POST /auth/tokens/refresh: 200 with a new pair, 401. Each refresh token
 * works once; presenting a rotated one again means it was stolen (or the
 * client is confused), so the whole session is revoked. */
void h_tokens_refresh(req_t *r)
{
    refresh_body b = {0};
    char hash[65];
    if (!body_parse_or_reply(r, refresh_fields, 1, &b))
        return;
    refresh_token_hash(b.refresh_token, hash);
    if (!db_begin_or_reply(r))
        return;
    PGresult *res = db_query_or_reply(r, SQL_REFRESH_FOR_UPDATE, 1, (const char *[]){hash});
    if (!res)
        return;
    if (PQntuples(res) != 1) {
        PQclear(res);
        reply_error(r, ERR_UNAUTHORIZED, "unknown refresh token");
        return;
    }
    const char *session = arena_printf(&r->arena, "%s", db_str(res, 0, "session_id"));
    long long session_id = db_int(res, 0, "session_id"), user_id = db_int(res, 0, "user_id");
    bool used = db_bool(res, 0, "used"), expired = db_bool(res, 0, "expired"), revoked = db_bool(res, 0, "revoked");
    PQclear(res);
    if (used && !revoked) {
        log_msg("warn", r->request_id, "rotated refresh token reused; revoking session %lld", session_id);
        if (!db_do_or_reply(r, SQL_SESSION_REVOKE, 1, (const char *[]){session}) || !db_commit_or_reply(r))
            return;
    }
    if (used || expired || revoked) {
        reply_error(r, ERR_UNAUTHORIZED, "the refresh token is no longer valid");
        return;
    }
    if (db_do_or_reply(r, SQL_REFRESH_MARK_USED, 1, (const char *[]){hash}))
        reply_new_tokens(r, user_id, session_id);
}

/* DELETE /auth/sessions/current: 204, 401. Ends the session of the access
 * token; its refresh tokens stop working at once. */
void h_sessions_delete_current(req_t *r)
{
    if (db_do_or_reply(r, SQL_SESSION_REVOKE, 1, (const char *[]){r->session_id}))
        reply_empty(r, 204);
}

/* GET /auth/me: 200, 401. */
void h_me(req_t *r)
{
    json_t *me = me_json_or_reply(r, r->user_id);
    if (me)
        reply_json(r, 200, me);
}

typedef struct {
    const char *password, *current_password;
} password_body;

static const field_spec password_fields[] = {
    {"password", F_STRING, FIELD_REQUIRED, 8, 128, offsetof(password_body, password), NULL, NULL},
    {"current_password", F_STRING, 0, 1, 128, offsetof(password_body, current_password), NULL, NULL},
};

/* The caller's session: 401 when it has ended (logged out, or ended by a
 * password change elsewhere); *fresh_code when it began with a code login
 * under 10 minutes ago (refreshed tokens keep their session's login). */
static bool session_or_reply(req_t *r, const char *uid, bool *fresh_code)
{
    PGresult *res = db_query_or_reply(r, SQL_SESSION_REAUTH, 2, (const char *[]){r->session_id, uid});
    if (!res)
        return false;
    bool live = PQntuples(res) == 1 && !db_bool(res, 0, "revoked");
    *fresh_code = live && db_bool(res, 0, "fresh_code");
    PQclear(res);
    if (!live)
        reply_error(r, ERR_UNAUTHORIZED, "the session has ended");
    return live;
}

/* In the caller's transaction: takes the phone's attempt counter (the order
 * every password transaction takes its rows in: the counter, then the
 * account) and, when current is given, checks it as a password login would:
 * 429 while the phone is locked, 401 invalid_password (the failure
 * committed). A fresh code login passes a lock: it is the way back for a
 * forgotten password. */
static bool password_change_allowed_or_reply(req_t *r, const char *uid, const char *current)
{
    PGresult *res = db_query_or_reply(r, SQL_USER_PASSWORD_BY_ID, 1, (const char *[]){uid});
    if (!res)
        return false;
    if (PQntuples(res) != 1) {
        PQclear(res);
        reply_error(r, ERR_UNAUTHORIZED, "the account no longer exists");
        return false;
    }
    bool has_password = !db_isnull(res, 0, "password_hash");
    const char *phone = arena_printf(&r->arena, "%s", db_str(res, 0, "phone"));
    const char *stored = has_password ? arena_printf(&r->arena, "%s", db_str(res, 0, "password_hash")) : NULL;
    PQclear(res);
    if (!phone || (has_password && !stored)) {
        reply_error(r, ERR_INTERNAL, NULL);
        return false;
    }
    if (!current) /* the caller checked the session: take the counter's row, then go on */
        return db_do_or_reply(r, SQL_ATTEMPTS_LOCK, 1, (const char *[]){phone});
    if (!attempts_open_or_reply(r, phone))
        return false;
    if (password_matches(stored, current))
        return true;
    if (attempt_failed_or_reply(r, phone))
        reply_error(r, ERR_INVALID_PASSWORD, "the current password is wrong");
    return false;
}

/* PUT /auth/password: 204, 400, 401 (invalid_password), 403
 * (reauthentication_required), 413, 415, 422, 429, 503. Needs the current
 * password, or a session that began with a code login under 10 minutes ago:
 * an access token alone never sets or replaces a password. Every other
 * session of the user ends. */
void h_password_put(req_t *r)
{
    password_body b = {0};
    char encoded[128];
    bool fresh_code;
    if (!body_parse_or_reply(r, password_fields, sizeof password_fields / sizeof *password_fields, &b))
        return;
    const char *uid = id_str(r, r->user_id);
    if (!uid) {
        reply_error(r, ERR_INTERNAL, NULL);
        return;
    }
    if (!session_or_reply(r, uid, &fresh_code))
        return;
    if (!b.current_password && !fresh_code) {
        reply_error(r, ERR_REAUTHENTICATION_REQUIRED,
                    "send current_password, or log in with an SMS code and set the password within 10 minutes");
        return;
    }
    if (hash_password(b.password, encoded, sizeof encoded)) {
        reply_error(r, ERR_INTERNAL, NULL);
        return;
    }
    if (!db_begin_or_reply(r) || !password_change_allowed_or_reply(r, uid, b.current_password) ||
        !db_do_or_reply(r, SQL_PASSWORD_SET, 2, (const char *[]){uid, encoded}) ||
        !db_do_or_reply(r, SQL_SESSIONS_REVOKE_OTHERS, 2, (const char *[]){uid, r->session_id}) ||
        !db_commit_or_reply(r))
        return;
    reply_empty(r, 204);
}
