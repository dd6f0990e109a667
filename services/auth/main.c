/* stvs-auth: phone-code and password login, sessions, tokens (API.md, Auth). */
#include <curl/curl.h>
#include <errno.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "log.h"
#include "sms_aliyun.h"

static const route_t routes[] = {
    {"POST",   "/auth/sms-codes",        h_sms_codes_create,        0},
    {"POST",   "/auth/sessions",         h_sessions_create,         0},
    {"POST",   "/auth/tokens/refresh",   h_tokens_refresh,          0},
    {"DELETE", "/auth/sessions/current", h_sessions_delete_current, ROUTE_AUTH},
    {"GET",    "/auth/me",               h_me,                      ROUTE_AUTH},
    {"PUT",    "/auth/password",         h_password_put,            ROUTE_AUTH},
    {"GET",    "/auth/jwks.json",        h_jwks,                    ROUTE_NO_DB},
    {"GET",    "/auth/health",           app_health,                0},
};

auth_settings auth;

/* The private key must be P-256 and the very key whose public half every
 * service verifies with. It is parsed once and kept (auth.signing_key); the
 * PEM text is wiped as soon as it is parsed. */
static int load_private_key(void)
{
    const char *path;
    char curve[32] = "";
    jwt_keys mine;
    char err[128];
    size_t pem_len = 0;
    if (config_str("STVS_JWT_PRIVATE_KEY_FILE", NULL, &path))
        return -1;
    char *pem = read_file(path, 16384, &pem_len);
    if (!pem) {
        log_error("configuration: STVS_JWT_PRIVATE_KEY_FILE cannot be read (%s)", strerror(errno));
        return -1;
    }
    int rc = -1;
    BIO *in = BIO_new_mem_buf(pem, (int)pem_len), *out = BIO_new(BIO_s_mem());
    EVP_PKEY *pk = in ? PEM_read_bio_PrivateKey(in, NULL, NULL, NULL) : NULL;
    char *pub = NULL;
    long publen;
    if (!pk || !EVP_PKEY_is_a(pk, "EC") ||
        !EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve, NULL) ||
        strcmp(curve, "prime256v1")) {
        log_error("configuration: STVS_JWT_PRIVATE_KEY_FILE is not a P-256 (ES256) private key");
        goto out;
    }
    if (!out || !PEM_write_bio_PUBKEY(out, pk) || (publen = BIO_get_mem_data(out, &pub)) <= 0 ||
        jwt_keys_load(&mine, pub, (size_t)publen, "", "", err, sizeof err)) {
        log_error("configuration: STVS_JWT_PRIVATE_KEY_FILE: cannot derive its public key");
        goto out;
    }
    rc = strcmp(mine.kid, app_keys.kid) ? -1 : 0;
    jwt_keys_free(&mine);
    if (rc)
        log_error("configuration: STVS_JWT_PRIVATE_KEY_FILE does not match STVS_JWT_PUBLIC_KEY_FILE");
out:
    if (!rc) {
        auth.signing_key = pk;
        pk = NULL;
    }
    EVP_PKEY_free(pk);
    BIO_free(in);
    BIO_free(out);
    explicit_bzero(pem, pem_len);
    free(pem);
    return rc;
}

static int make_sms_sender(void)
{
    const char *backend, *outbox;
    char err[160] = "";
    long timeout;
    if (config_str("SMS_BACKEND", "file", &backend) || config_int("SMS_TIMEOUT_MS", 5000, 100, 60000, &timeout))
        return -1;
    if (!strcmp(backend, "file")) {
        if (config_str("SMS_OUTBOX", "var/sms-outbox.jsonl", &outbox))
            return -1;
        auth.sms = sms_file_new(outbox, err, sizeof err);
    } else if (!strcmp(backend, "aliyun")) {
        aliyun_config c = {.timeout_ms = timeout};
        if (config_str("ALIYUN_SMS_ACCESS_KEY_ID", NULL, &c.access_key_id) ||
            config_str("ALIYUN_SMS_ACCESS_KEY_SECRET", NULL, &c.access_key_secret) ||
            config_str("ALIYUN_SMS_SIGN_NAME", NULL, &c.sign_name) ||
            config_str("ALIYUN_SMS_TEMPLATE_CODE", NULL, &c.template_code) ||
            config_str("ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/", &c.endpoint))
            return -1;
        auth.sms = sms_aliyun_new(&c, err, sizeof err);
    } else {
        log_error("configuration: SMS_BACKEND must be file or aliyun");
        return -1;
    }
    if (!auth.sms)
        log_error("configuration: SMS backend %s: %s", backend, err);
    return auth.sms ? 0 : -1;
}

static int auth_init(const stvs_config *cfg)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -1;
    if (config_int("SMS_RESEND_SECONDS", 60, 1, 3600, &auth.resend_seconds) ||
        config_int("SMS_PER_PHONE_PER_DAY", 10, 1, 1000000, &auth.per_phone_per_day) ||
        config_int("SMS_PER_ADDRESS_PER_HOUR", 30, 1, 1000000000, &auth.per_address_per_hour) ||
        config_int("LOGIN_PER_ADDRESS_PER_MINUTE", 30, 1, 1000000000, &auth.login_per_address_per_minute) ||
        crypto_derive_key(cfg->data_key, "stvs/auth/sms-code/v1", auth.code_key) || load_private_key() ||
        make_sms_sender() || auth_passwords_init() || purge_start(cfg))
        return -1;
    return 0;
}

static void auth_cleanup(void)
{
    purge_stop();
    if (auth.sms)
        auth.sms->destroy(auth.sms);
    EVP_PKEY_free(auth.signing_key);
    auth.signing_key = NULL;
    explicit_bzero(auth.code_key, sizeof auth.code_key);
    curl_global_cleanup();
}

int main(void)
{
    static const service_t svc = {
        .name = "auth",
        .routes = routes,
        .nroutes = sizeof routes / sizeof *routes,
        .stmts = auth_sql,
        .nstmts = SQL__MAX,
        .needs_data_key = true,
        .init = auth_init,
        .cleanup = auth_cleanup,
        .metrics = purge_metrics,
    };
    return app_run(&svc);
}
