/* POST /auth/sms-codes: issue a login code. */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "log.h"

static const code_entry purposes[] = {{"login", "登录"}};
static const code_table purpose_table = {"sms_purpose", purposes, 1};

typedef struct {
    const char *phone, *purpose;
} sms_body;

static const field_spec sms_fields[] = {
    {"phone", F_STRING, FIELD_REQUIRED, 0, 0, offsetof(sms_body, phone), check_phone, NULL},
    {"purpose", F_STRING, 0, 0, 0, offsetof(sms_body, purpose), NULL, &purpose_table},
};

/* The stored form of a code: HMAC(code_key, phone:purpose:code), hex. */
static int code_hash(const char *phone, const char *purpose, const char *code, char out[65])
{
    char msg[64];
    unsigned char mac[32];
    int n = snprintf(msg, sizeof msg, "%s:%s:%s", phone, purpose, code);
    if (n < 0 || (size_t)n >= sizeof msg || crypto_hmac_sha256(auth.code_key, 32, msg, (size_t)n, mac))
        return -1;
    hex_encode(mac, 32, out);
    return 0;
}

bool sms_code_matches(const char *phone, const char *code, const char *stored_hex)
{
    char want[65];
    if (code_hash(phone, "login", code, want))
        return false;
    return strlen(stored_hex) == 64 && crypto_equal(want, stored_hex, 64);
}

/* Replies 429 when a limit is reached; the longest wait wins. */
static bool limited_reply(req_t *r, const PGresult *res)
{
    static const char *const cols[] = {"cooldown_wait", "phone_wait", "address_wait"};
    long long wait = 0;
    for (int i = 0; i < 3; i++) {
        long long w = db_int(res, 0, cols[i]);
        if (w > wait)
            wait = w;
    }
    if (wait <= 0)
        return false;
    reply_header(r, "Retry-After", arena_printf(&r->arena, "%lld", wait));
    reply_error(r, ERR_RATE_LIMITED, "too many codes requested; see Retry-After");
    return true;
}

/* 202, 400, 413, 415, 422, 429, 503. The answer never says whether the phone
 * has an account. The code is stored and the limits consumed only when the
 * provider accepted the message: a failed send rolls everything back. */
void h_sms_codes_create(req_t *r)
{
    sms_body b = {0};
    char code[7], hash[65], err[128];
    if (!body_parse_or_reply(r, sms_fields, sizeof sms_fields / sizeof *sms_fields, &b))
        return;
    if (!b.purpose)
        b.purpose = "login";
    if (crypto_random_digits(code, 6) || code_hash(b.phone, b.purpose, code, hash)) {
        reply_error(r, ERR_INTERNAL, NULL);
        return;
    }
    const char *addr = r->remote_addr;
    const char *resend = arena_printf(&r->arena, "%ld", auth.resend_seconds);
    const char *per_day = arena_printf(&r->arena, "%ld", auth.per_phone_per_day);
    const char *per_hour = arena_printf(&r->arena, "%ld", auth.per_address_per_hour);
    const char *ttl = arena_printf(&r->arena, "%d", SMS_CODE_TTL);

    if (!db_begin_or_reply(r) || !db_do_or_reply(r, SQL_SMS_LOCK, 2, (const char *[]){b.phone, addr}))
        return;
    PGresult *res = db_query_or_reply(r, SQL_SMS_LIMITS, 5, (const char *[]){b.phone, addr, resend, per_day, per_hour});
    if (!res)
        return;
    bool limited = limited_reply(r, res);
    PQclear(res);
    if (limited || !db_do_or_reply(r, SQL_SMS_CODE_UPSERT, 4, (const char *[]){b.phone, b.purpose, hash, ttl}) ||
        !db_do_or_reply(r, SQL_SMS_SEND_LOG, 2, (const char *[]){b.phone, addr}))
        return;
    sms_status st = auth.sms->send(auth.sms, b.phone, code, b.purpose, err, sizeof err);
    explicit_bzero(code, sizeof code);
    if (st != SMS_OK) {
        log_msg("error", r->request_id, "sms send failed: %s", err);
        reply_header(r, "Retry-After", "30");
        reply_error(r, ERR_UNAVAILABLE, "the SMS provider did not accept the message; try again shortly");
        return; /* the transaction rolls back: nothing consumed, the old code lives */
    }
    if (!db_commit_or_reply(r))
        return;
    reply_json(r, 202, json_pack("{s:i, s:i}", "expires_in", SMS_CODE_TTL, "resend_after", (int)auth.resend_seconds));
}
