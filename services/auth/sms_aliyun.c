/* Aliyun dysmsapi SendSms backend: one GET with every parameter in the
 * query string (as in the documented SendSms example; SendSms parameters are
 * query parameters), signed by sms_aliyun_sign.c. A send is four steps:
 * check the input, build the request URL, perform it, read the answer. */
#include "sms_aliyun.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "crypto.h"

#define ALIYUN_DEFAULT_ENDPOINT "https://dysmsapi.aliyuncs.com/"
#define ALIYUN_MAX_FIELD 1024            /* longest accepted config string */
#define ALIYUN_MAX_CODE 32               /* longest accepted verification code */
#define ALIYUN_MAX_RESPONSE (64 * 1024)  /* a SendSms answer is a few hundred bytes */

typedef struct {
    sms_sender base; /* must stay first: send/destroy get &base */
    char *access_key_id, *access_key_secret, *sign_name, *template_code, *endpoint;
    long timeout_ms;
} aliyun_sender;

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    if (n < 0)
        err[0] = '\0';
}

static void clear_err(char *err, size_t errlen)
{
    if (err && errlen > 0)
        err[0] = '\0';
}

/* ---- step 1: the input ---- */

/* "+8613800000000", "8613800000000", "13800000000", "0086...": an optional
 * '+' then digits only. Refuses ',' so one call can never reach several
 * numbers (SendSms accepts a comma-separated list). */
static bool valid_phone(const char *phone)
{
    if (!phone)
        return false;
    const char *p = phone[0] == '+' ? phone + 1 : phone;
    size_t n = 0;
    for (; *p; p++, n++) {
        if (*p < '0' || *p > '9')
            return false;
    }
    return n >= 5 && n <= 20;
}

static bool input_ok(const aliyun_sender *s, const char *phone, const char *code, char *err, size_t errlen)
{
    if (!s)
        set_err(err, errlen, "aliyun: no sender");
    else if (!valid_phone(phone))
        set_err(err, errlen, "aliyun: invalid phone number");
    else if (!code || code[0] == '\0' || strlen(code) > ALIYUN_MAX_CODE)
        set_err(err, errlen, "aliyun: invalid code");
    else
        return true;
    return false;
}

/* ---- step 2: the request URL ---- */

/* SendSms request parameters; values are filled in per call in this order. */
static const char *const sendsms_keys[] = {
    "AccessKeyId",    "Action",          "Format",         "PhoneNumbers",     "RegionId",
    "SignName",       "SignatureMethod", "SignatureNonce", "SignatureVersion", "TemplateCode",
    "TemplateParam",  "Timestamp",       "Version",
};
#define SENDSMS_NPARAMS (sizeof sendsms_keys / sizeof sendsms_keys[0])

/* What changes from one send to the next. */
typedef struct {
    char nonce[33]; /* 16 random bytes in hex */
    char ts[32];    /* now, UTC, YYYY-MM-DDThh:mm:ssZ */
    char *tparam;   /* {"code":"<code>"}, malloc'd */
} sendsms_fresh;

static bool fresh_values(sendsms_fresh *f, const char *code, char *err, size_t errlen)
{
    unsigned char raw[16];
    struct tm tm;
    time_t now = time(NULL);
    _Static_assert(sizeof f->nonce == 2 * sizeof raw + 1, "nonce size");

    if (crypto_random(raw, sizeof raw) != 0) {
        set_err(err, errlen, "aliyun: random source failed");
        return false;
    }
    hex_encode(raw, sizeof raw, f->nonce);
    if (now == (time_t)-1 || !gmtime_r(&now, &tm) || strftime(f->ts, sizeof f->ts, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        set_err(err, errlen, "aliyun: clock unavailable");
        return false;
    }
    json_t *tparam = json_pack("{s:s}", "code", code); /* fails on non-UTF-8 input */
    if (!tparam) {
        set_err(err, errlen, "aliyun: invalid code");
        return false;
    }
    f->tparam = json_dumps(tparam, JSON_COMPACT);
    json_decref(tparam);
    if (!f->tparam)
        set_err(err, errlen, "aliyun: out of memory");
    return f->tparam != NULL;
}

/* endpoint?<signed query>, malloc'd; NULL after writing err. */
static char *request_url(const aliyun_sender *s, const char *phone, const sendsms_fresh *f, char *err,
                         size_t errlen)
{
    const char *const values[] = {
        s->access_key_id, "SendSms",   "JSON",   phone, "cn-hangzhou",
        s->sign_name,     "HMAC-SHA1", f->nonce, "1.0", s->template_code,
        f->tparam,        f->ts,       "2017-05-25",
    };
    _Static_assert(sizeof values / sizeof values[0] == SENDSMS_NPARAMS, "SendSms keys/values mismatch");
    char *query = aliyun_signed_query("GET", sendsms_keys, values, SENDSMS_NPARAMS, s->access_key_secret);
    if (!query) {
        set_err(err, errlen, "aliyun: signing failed");
        return NULL;
    }
    size_t n = strlen(s->endpoint) + 1 + strlen(query) + 1;
    char *url = malloc(n);
    if (url)
        snprintf(url, n, "%s?%s", s->endpoint, query);
    else
        set_err(err, errlen, "aliyun: out of memory");
    free(query);
    return url;
}

/* ---- step 3: the exchange ---- */

typedef struct {
    char *p;
    size_t len;
    bool too_big;
} resp_buf;

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    resp_buf *r = userdata;
    if (size != 0 && nmemb > SIZE_MAX / size)
        return 0;
    size_t n = size * nmemb;
    if (n > ALIYUN_MAX_RESPONSE - r->len) {
        r->too_big = true;
        return 0; /* makes curl fail with CURLE_WRITE_ERROR */
    }
    char *p = realloc(r->p, r->len + n + 1);
    if (!p)
        return 0;
    memcpy(p + r->len, data, n);
    r->p = p;
    r->len += n;
    r->p[r->len] = '\0';
    return n;
}

/* A GET over http(s) only, no redirects, TLS 1.2+ verified, bounded in time. */
static bool set_options(CURL *h, const char *url, long timeout_ms, resp_buf *resp)
{
#define SETOPT(opt, val)                                                                                       \
    if (curl_easy_setopt(h, (opt), (val)) != CURLE_OK)                                                         \
        return false;
    SETOPT(CURLOPT_URL, url);
    SETOPT(CURLOPT_HTTPGET, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0 */
    SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
#else
    SETOPT(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
    SETOPT(CURLOPT_NOSIGNAL, 1L);
    SETOPT(CURLOPT_TIMEOUT_MS, timeout_ms);
    SETOPT(CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
    SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
    SETOPT(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    SETOPT(CURLOPT_USERAGENT, "stvs-sms-aliyun/1");
    SETOPT(CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(CURLOPT_WRITEDATA, resp);
#undef SETOPT
    return true;
}

/* Fills resp and *http_status; SMS_OK when an answer came back, whatever it says. */
static sms_status perform(const char *url, long timeout_ms, resp_buf *resp, long *http_status, char *err,
                          size_t errlen)
{
    sms_status st = SMS_FAILED;
    CURL *h = curl_easy_init();
    CURLcode cc;
    if (!h) {
        set_err(err, errlen, "aliyun: curl init failed");
    } else if (!set_options(h, url, timeout_ms, resp)) {
        set_err(err, errlen, "aliyun: curl option failed");
    } else if ((cc = curl_easy_perform(h)) == CURLE_OPERATION_TIMEDOUT) {
        st = SMS_TIMEOUT;
        set_err(err, errlen, "aliyun: timeout");
    } else if (cc != CURLE_OK) {
        /* curl_easy_strerror is generic text: no URL, so no phone or code. */
        set_err(err, errlen, "aliyun: %s", resp->too_big ? "response too large" : curl_easy_strerror(cc));
    } else if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, http_status) != CURLE_OK) {
        set_err(err, errlen, "aliyun: no HTTP status");
    } else {
        st = SMS_OK;
    }
    if (h)
        curl_easy_cleanup(h);
    return st;
}

/* ---- step 4: the answer ---- */

/* Copies an Aliyun error code into out, keeping only characters such codes use. */
static void sanitize_code(const char *in, char *out, size_t outlen)
{
    size_t i = 0;
    for (; in[i] && i + 1 < outlen; i++) {
        unsigned char c = (unsigned char)in[i];
        out[i] = (aliyun_unreserved(c) || c == ':') ? (char)c : '?';
    }
    out[i] = '\0';
}

/* Errors come back as JSON with a Code too (often with HTTP 4xx/5xx); only
 * Code "OK" with HTTP 200 is a sent message. */
static sms_status read_answer(const resp_buf *resp, long http_status, char *err, size_t errlen)
{
    json_t *root = resp->p ? json_loadb(resp->p, resp->len, 0, NULL) : NULL;
    json_t *jcode = root ? json_object_get(root, "Code") : NULL;
    sms_status st = SMS_FAILED;
    char safe[80];
    if (!json_is_string(jcode)) {
        set_err(err, errlen, "aliyun: unreadable answer (HTTP %ld)", http_status);
    } else if (strcmp(json_string_value(jcode), "OK") != 0) {
        sanitize_code(json_string_value(jcode), safe, sizeof safe);
        set_err(err, errlen, "aliyun: %s", safe);
    } else if (http_status != 200) {
        set_err(err, errlen, "aliyun: HTTP %ld", http_status);
    } else {
        st = SMS_OK;
    }
    json_decref(root);
    return st;
}

static sms_status aliyun_send(sms_sender *self, const char *phone, const char *code, const char *purpose,
                              char *err, size_t errlen)
{
    aliyun_sender *s = (aliyun_sender *)self;
    sendsms_fresh fresh = {.tparam = NULL};
    resp_buf resp = {0};
    char *url = NULL;
    long http_status = 0;
    sms_status st = SMS_FAILED;

    (void)purpose; /* one template serves every purpose */
    clear_err(err, errlen);
    if (input_ok(s, phone, code, err, errlen) && fresh_values(&fresh, code, err, errlen) &&
        (url = request_url(s, phone, &fresh, err, errlen)) != NULL) {
        st = perform(url, s->timeout_ms, &resp, &http_status, err, errlen);
        if (st == SMS_OK)
            st = read_answer(&resp, http_status, err, errlen);
    }
    free(resp.p);
    free(url);
    free(fresh.tparam);
    return st;
}

/* ---- the sender ---- */

static void free_secret(char *p)
{
    if (p) {
        OPENSSL_cleanse(p, strlen(p));
        free(p);
    }
}

static void aliyun_destroy(sms_sender *self)
{
    aliyun_sender *s = (aliyun_sender *)self;
    if (!s)
        return;
    free(s->access_key_id);
    free_secret(s->access_key_secret);
    free(s->sign_name);
    free(s->template_code);
    free(s->endpoint);
    free(s);
}

/* Present, not too long, no control characters. */
static bool field_ok(const char *v)
{
    if (!v || v[0] == '\0' || strlen(v) > ALIYUN_MAX_FIELD)
        return false;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p < 0x20 || *p == 0x7F)
            return false;
    }
    return true;
}

/* https://host[:port][/path]; plain http only to the loopback host (tests).
 * No query, fragment, user info or whitespace. */
static bool endpoint_ok(const char *e)
{
    if (!field_ok(e) || strpbrk(e, "?#@ ") != NULL)
        return false;
    if (strncmp(e, "https://", 8) == 0)
        return e[8] != '\0' && e[8] != '/' && e[8] != ':';
    if (strncmp(e, "http://", 7) == 0) {
        static const char *const loopback[] = {"127.0.0.1", "localhost", "[::1]"};
        const char *host = e + 7;
        for (size_t i = 0; i < sizeof loopback / sizeof loopback[0]; i++) {
            size_t n = strlen(loopback[i]);
            if (strncmp(host, loopback[i], n) == 0 && (host[n] == '\0' || host[n] == ':' || host[n] == '/'))
                return true;
        }
    }
    return false;
}

/* The endpoint to use (the default for NULL or ""), or NULL after writing
 * err when a field is missing or invalid. */
static const char *config_checked(const aliyun_config *cfg, char *err, size_t errlen)
{
    if (!cfg) {
        set_err(err, errlen, "aliyun: no config");
        return NULL;
    }
    const struct {
        const char *name, *value;
    } required[] = {
        {"access_key_id", cfg->access_key_id},
        {"access_key_secret", cfg->access_key_secret},
        {"sign_name", cfg->sign_name},
        {"template_code", cfg->template_code},
    };
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        const char *v = required[i].value;
        if (!v || v[0] == '\0' || !field_ok(v)) {
            set_err(err, errlen, "aliyun: %s %s", !v || v[0] == '\0' ? "missing" : "invalid", required[i].name);
            return NULL;
        }
    }
    const char *endpoint = (cfg->endpoint && cfg->endpoint[0]) ? cfg->endpoint : ALIYUN_DEFAULT_ENDPOINT;
    if (!endpoint_ok(endpoint)) {
        set_err(err, errlen, "aliyun: invalid endpoint (must be https://)");
        return NULL;
    }
    if (cfg->timeout_ms <= 0) {
        set_err(err, errlen, "aliyun: missing timeout_ms (must be > 0)");
        return NULL;
    }
    return endpoint;
}

sms_sender *sms_aliyun_new(const aliyun_config *cfg, char *err, size_t errlen)
{
    clear_err(err, errlen);
    const char *endpoint = config_checked(cfg, err, errlen);
    if (!endpoint)
        return NULL;
    aliyun_sender *s = calloc(1, sizeof *s);
    if (!s)
        goto oom;
    s->base.send = aliyun_send;
    s->base.destroy = aliyun_destroy;
    s->timeout_ms = cfg->timeout_ms;
    if (!(s->access_key_id = strdup(cfg->access_key_id)) ||
        !(s->access_key_secret = strdup(cfg->access_key_secret)) || !(s->sign_name = strdup(cfg->sign_name)) ||
        !(s->template_code = strdup(cfg->template_code)) || !(s->endpoint = strdup(endpoint)))
        goto oom;
    return &s->base;

oom:
    set_err(err, errlen, "aliyun: out of memory");
    if (s)
        aliyun_destroy(&s->base);
    return NULL;
}
