/* Aliyun dysmsapi SendSms backend: RPC style, SignatureVersion 1.0, HMAC-SHA1.
 *
 * Signing, as documented by Aliyun (https://help.aliyun.com/document_detail/101343.htm):
 *   1. sort all parameters except Signature by name;
 *   2. percent-encode each name and value (UTF-8 bytes; A-Z a-z 0-9 - _ . ~
 *      kept, everything else %XY, so space is %20 and never '+');
 *   3. join as name=value with '&' -> CanonicalizedQueryString;
 *   4. StringToSign = HTTPMethod + "&" + percentEncode("/") + "&" + percentEncode(CanonicalizedQueryString);
 *   5. Signature = Base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign)).
 * The request is a GET with every parameter in the query string (as in the
 * documented SendSms example; SendSms parameters are query parameters). */
#include "sms_aliyun.h"

#include <limits.h>
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
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

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

/* ---- growable string; any allocation failure sticks in .failed ---- */

typedef struct {
    char *p;
    size_t len, cap;
    bool failed;
} strbuf;

static void sb_putn(strbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (n > SIZE_MAX - 1 - b->len) {
        b->failed = true;
        return;
    }
    size_t need = b->len + n + 1;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 128;
        while (cap < need)
            cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_puts(strbuf *b, const char *s) { sb_putn(b, s, strlen(s)); }

static bool is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~';
}

/* Appends s percent-encoded per Aliyun's rules (RFC 3986 unreserved set). */
static void sb_put_pct(strbuf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *q = (const unsigned char *)s; *q && !b->failed; q++) {
        if (is_unreserved(*q)) {
            sb_putn(b, (const char *)q, 1);
        } else {
            char e[3] = {'%', hex[*q >> 4], hex[*q & 0x0F]};
            sb_putn(b, e, sizeof e);
        }
    }
}

/* Returns the malloc'd contents ("" if nothing was written) and empties b; NULL on failure. */
static char *sb_take(strbuf *b)
{
    char *p = NULL;
    if (!b->failed)
        p = b->p ? b->p : calloc(1, 1);
    else
        free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

static void sb_free(strbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* ---- signing ---- */

typedef struct {
    const char *k, *v;
} kv_pair;

static int kv_cmp(const void *a, const void *b)
{
    return strcmp(((const kv_pair *)a)->k, ((const kv_pair *)b)->k);
}

int aliyun_sign(const char *method, const char *const *keys, const char *const *values, size_t n,
                const char *access_key_secret, char **out_signature, char **out_canonical_query)
{
    int rc = -1;
    kv_pair *kv = NULL;
    strbuf canon = {0}, sts = {0};
    char *canon_str = NULL, *key = NULL, *sig = NULL;
    size_t keylen = 0, slen = 0;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    if (out_signature)
        *out_signature = NULL;
    if (out_canonical_query)
        *out_canonical_query = NULL;
    if (!out_signature || !method || !access_key_secret)
        goto out;
    if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
        goto out;
    if (n > 0 && (!keys || !values))
        goto out;
    if (n > SIZE_MAX / sizeof *kv)
        goto out;

    if (n > 0) {
        kv = malloc(n * sizeof *kv);
        if (!kv)
            goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (!keys[i] || keys[i][0] == '\0' || !values[i] || strcmp(keys[i], "Signature") == 0)
            goto out;
        kv[i].k = keys[i];
        kv[i].v = values[i];
    }
    if (n > 1)
        qsort(kv, n, sizeof *kv, kv_cmp);

    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            if (strcmp(kv[i - 1].k, kv[i].k) == 0)
                goto out; /* duplicate key: the request would be ambiguous */
            sb_putn(&canon, "&", 1);
        }
        sb_put_pct(&canon, kv[i].k);
        sb_putn(&canon, "=", 1);
        sb_put_pct(&canon, kv[i].v);
    }
    canon_str = sb_take(&canon);
    if (!canon_str)
        goto out;

    sb_puts(&sts, method);
    sb_puts(&sts, "&");
    sb_put_pct(&sts, "/");
    sb_puts(&sts, "&");
    sb_put_pct(&sts, canon_str);
    if (sts.failed)
        goto out;

    slen = strlen(access_key_secret);
    if (slen > (size_t)INT_MAX - 1)
        goto out;
    keylen = slen + 1;
    key = malloc(keylen);
    if (!key)
        goto out;
    memcpy(key, access_key_secret, slen);
    key[slen] = '&';

    if (!HMAC(EVP_sha1(), key, (int)keylen, (const unsigned char *)sts.p, sts.len, md, &mdlen))
        goto out;
    if (mdlen == 0 || mdlen > sizeof md)
        goto out;

    sig = malloc(4 * ((mdlen + 2) / 3) + 1);
    if (!sig)
        goto out;
    if (EVP_EncodeBlock((unsigned char *)sig, md, (int)mdlen) <= 0)
        goto out;

    *out_signature = sig;
    sig = NULL;
    if (out_canonical_query) {
        *out_canonical_query = canon_str;
        canon_str = NULL;
    }
    rc = 0;

out:
    if (key) {
        OPENSSL_cleanse(key, keylen);
        free(key);
    }
    free(sig);
    free(canon_str);
    sb_free(&sts);
    sb_free(&canon);
    free(kv);
    return rc;
}

/* ---- sending ---- */

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

/* Copies an Aliyun error code into out, keeping only characters such codes use. */
static void sanitize_code(const char *in, char *out, size_t outlen)
{
    size_t i = 0;
    for (; in[i] && i + 1 < outlen; i++) {
        unsigned char c = (unsigned char)in[i];
        out[i] = (is_unreserved(c) || c == ':') ? (char)c : '?';
    }
    out[i] = '\0';
}

/* SendSms request parameters; values are filled in per call in this order. */
static const char *const sendsms_keys[] = {
    "AccessKeyId",    "Action",          "Format",         "PhoneNumbers",     "RegionId",
    "SignName",       "SignatureMethod", "SignatureNonce", "SignatureVersion", "TemplateCode",
    "TemplateParam",  "Timestamp",       "Version",
};
#define SENDSMS_NPARAMS (sizeof sendsms_keys / sizeof sendsms_keys[0])

#define SETOPT(opt, val)                                               \
    do {                                                               \
        if (curl_easy_setopt(h, (opt), (val)) != CURLE_OK) {           \
            set_err(err, errlen, "aliyun: curl option %d failed", (int)(opt)); \
            goto out;                                                  \
        }                                                              \
    } while (0)

static sms_status aliyun_send(sms_sender *self, const char *phone, const char *code, const char *purpose,
                              char *err, size_t errlen)
{
    aliyun_sender *s = (aliyun_sender *)self;
    sms_status st = SMS_FAILED;
    json_t *tparam = NULL, *root = NULL;
    char *tparam_str = NULL, *sig = NULL, *canon = NULL;
    strbuf url = {0};
    CURL *h = NULL;
    resp_buf resp = {0};
    unsigned char nonce_raw[16];
    char nonce[2 * sizeof nonce_raw + 1];
    char ts[32];
    struct tm tm;
    time_t now;
    const char *values[SENDSMS_NPARAMS];
    CURLcode cc;
    long http_status = 0;
    json_t *jcode;
    const char *answer;
    char safe[80];

    (void)purpose; /* one template serves every purpose */
    clear_err(err, errlen);

    if (!s) {
        set_err(err, errlen, "aliyun: no sender");
        goto out;
    }
    if (!valid_phone(phone)) {
        set_err(err, errlen, "aliyun: invalid phone number");
        goto out;
    }
    if (!code || code[0] == '\0' || strlen(code) > ALIYUN_MAX_CODE) {
        set_err(err, errlen, "aliyun: invalid code");
        goto out;
    }

    if (RAND_bytes(nonce_raw, (int)sizeof nonce_raw) != 1) {
        set_err(err, errlen, "aliyun: random source failed");
        goto out;
    }
    for (size_t i = 0; i < sizeof nonce_raw; i++) {
        static const char hex[] = "0123456789abcdef";
        nonce[2 * i] = hex[nonce_raw[i] >> 4];
        nonce[2 * i + 1] = hex[nonce_raw[i] & 0x0F];
    }
    nonce[sizeof nonce - 1] = '\0';

    now = time(NULL);
    if (now == (time_t)-1 || !gmtime_r(&now, &tm) || strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        set_err(err, errlen, "aliyun: clock unavailable");
        goto out;
    }

    tparam = json_pack("{s:s}", "code", code); /* fails on non-UTF-8 input */
    if (!tparam) {
        set_err(err, errlen, "aliyun: invalid code");
        goto out;
    }
    tparam_str = json_dumps(tparam, JSON_COMPACT);
    if (!tparam_str) {
        set_err(err, errlen, "aliyun: out of memory");
        goto out;
    }

    {
        const char *const v[] = {
            s->access_key_id, "SendSms",   "JSON",  phone, "cn-hangzhou",
            s->sign_name,     "HMAC-SHA1", nonce,   "1.0", s->template_code,
            tparam_str,       ts,          "2017-05-25",
        };
        _Static_assert(sizeof v / sizeof v[0] == SENDSMS_NPARAMS, "SendSms keys/values mismatch");
        memcpy(values, v, sizeof values);
    }

    if (aliyun_sign("GET", sendsms_keys, values, SENDSMS_NPARAMS, s->access_key_secret, &sig, &canon) != 0) {
        set_err(err, errlen, "aliyun: signing failed");
        goto out;
    }

    sb_puts(&url, s->endpoint);
    sb_puts(&url, "?");
    sb_puts(&url, canon);
    sb_puts(&url, "&Signature=");
    sb_put_pct(&url, sig);
    if (url.failed) {
        set_err(err, errlen, "aliyun: out of memory");
        goto out;
    }

    h = curl_easy_init();
    if (!h) {
        set_err(err, errlen, "aliyun: curl init failed");
        goto out;
    }
    SETOPT(CURLOPT_URL, url.p);
    SETOPT(CURLOPT_HTTPGET, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0 */
    SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
#else
    SETOPT(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
    SETOPT(CURLOPT_NOSIGNAL, 1L);
    SETOPT(CURLOPT_TIMEOUT_MS, s->timeout_ms);
    SETOPT(CURLOPT_CONNECTTIMEOUT_MS, s->timeout_ms);
    SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
    SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
    SETOPT(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    SETOPT(CURLOPT_USERAGENT, "stvs-sms-aliyun/1");
    SETOPT(CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(CURLOPT_WRITEDATA, &resp);

    cc = curl_easy_perform(h);
    if (cc == CURLE_OPERATION_TIMEDOUT) {
        st = SMS_TIMEOUT;
        set_err(err, errlen, "aliyun: timeout");
        goto out;
    }
    if (cc != CURLE_OK) {
        /* curl_easy_strerror is generic text: no URL, so no phone or code. */
        set_err(err, errlen, "aliyun: %s", resp.too_big ? "response too large" : curl_easy_strerror(cc));
        goto out;
    }

    if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &http_status) != CURLE_OK) {
        set_err(err, errlen, "aliyun: no HTTP status");
        goto out;
    }

    /* Errors come back as JSON with a Code too (often with HTTP 4xx/5xx). */
    root = resp.p ? json_loadb(resp.p, resp.len, 0, NULL) : NULL;
    jcode = root ? json_object_get(root, "Code") : NULL;
    if (!json_is_string(jcode)) {
        set_err(err, errlen, "aliyun: unreadable answer (HTTP %ld)", http_status);
        goto out;
    }
    answer = json_string_value(jcode);
    if (strcmp(answer, "OK") == 0) {
        if (http_status == 200)
            st = SMS_OK;
        else
            set_err(err, errlen, "aliyun: HTTP %ld", http_status);
        goto out;
    }
    sanitize_code(answer, safe, sizeof safe);
    set_err(err, errlen, "aliyun: %s", safe);

out:
    json_decref(root);
    free(resp.p);
    if (h)
        curl_easy_cleanup(h);
    sb_free(&url);
    free(sig);
    free(canon);
    free(tparam_str);
    json_decref(tparam);
    return st;
}

#undef SETOPT

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

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

sms_sender *sms_aliyun_new(const aliyun_config *cfg, char *err, size_t errlen)
{
    aliyun_sender *s = NULL;

    clear_err(err, errlen);
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
        if (!required[i].value || required[i].value[0] == '\0') {
            set_err(err, errlen, "aliyun: missing %s", required[i].name);
            return NULL;
        }
        if (!field_ok(required[i].value)) {
            set_err(err, errlen, "aliyun: invalid %s", required[i].name);
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

    s = calloc(1, sizeof *s);
    if (!s)
        goto oom;
    s->base.send = aliyun_send;
    s->base.destroy = aliyun_destroy;
    s->timeout_ms = cfg->timeout_ms;
    if (!(s->access_key_id = dup_str(cfg->access_key_id)) ||
        !(s->access_key_secret = dup_str(cfg->access_key_secret)) ||
        !(s->sign_name = dup_str(cfg->sign_name)) ||
        !(s->template_code = dup_str(cfg->template_code)) ||
        !(s->endpoint = dup_str(endpoint)))
        goto oom;
    return &s->base;

oom:
    set_err(err, errlen, "aliyun: out of memory");
    if (s)
        aliyun_destroy(&s->base);
    return NULL;
}
