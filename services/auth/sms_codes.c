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

/* The longest wait of the phone's limits (cooldown, per day) and of the
 * address's; 0 when none is reached. */
static long long phone_wait(const PGresult *res)
{
    static const char *const cols[] = {"cooldown_wait", "phone_wait"};
    long long wait = 0;
    for (int i = 0; i < 2; i++) {
        long long w = db_int(res, 0, cols[i]);
        if (w > wait)
            wait = w;
    }
    return wait;
}

/* 202, 400, 413, 415, 422, 429, 503. The answer never says whether the phone
 * has an account. The code is stored and the limits consumed only when the
 * provider accepted the message: a failed send rolls everything back. */
void h_sms_codes_create(req_t *r)
{
    static const char limited[] = "too many codes requested; see Retry-After";
    sms_body b = {0};
    char code[7], hash[65], err[128];
    if (!body_parse_or_reply(r, sms_fields, sizeof sms_fields / sizeof *sms_fields, &b))
        return;
    if (!b.purpose)
        b.purpose = "login";
    long long wait = address_remembered_wait(r, "sms"), addr_wait = 0;
    if (wait > 0) {
        rate_limited_reply(r, wait, limited);
        return;
    }
    const char *resend = arena_printf(&r->arena, "%ld", auth.resend_seconds);
    const char *per_day = arena_printf(&r->arena, "%ld", auth.per_phone_per_day);
    const char *ttl = arena_printf(&r->arena, "%d", SMS_CODE_TTL);
    if (!resend || !per_day || !ttl) {
        reply_error(r, ERR_INTERNAL, NULL);
        return;
    }

    /* the address first, then the phone: one order for every transaction */
    if (!db_begin_or_reply(r) || !address_wait_or_reply(r, "sms", auth.per_address_per_hour, 3600, &addr_wait) ||
        !db_do_or_reply(r, SQL_SMS_LOCK, 1, (const char *[]){b.phone}))
        return;
    PGresult *res = db_query_or_reply(r, SQL_SMS_LIMITS, 3, (const char *[]){b.phone, resend, per_day});
    if (!res)
        return;
    wait = phone_wait(res);
    PQclear(res);
    if (addr_wait > wait)
        wait = addr_wait;
    if (wait > 0) {
        rate_limited_reply(r, wait, limited);
        return;
    }
    if (crypto_random_digits(code, 6) || code_hash(b.phone, b.purpose, code, hash)) {
        explicit_bzero(code, sizeof code);
        reply_error(r, ERR_INTERNAL, NULL);
        return;
    }
    const char *addr = r->remote_addr;
    if (!db_do_or_reply(r, SQL_SMS_CODE_UPSERT, 4, (const char *[]){b.phone, b.purpose, hash, ttl}) ||
        !db_do_or_reply(r, SQL_SMS_SEND_LOG, 2, (const char *[]){b.phone, addr}) || !address_hit_or_reply(r, "sms")) {
        explicit_bzero(code, sizeof code);
        return;
    }
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
