/* Unit tests for services/auth/sms_aliyun.c.
 *
 * Signing test vector: Aliyun SMS "签名机制" (request signature) documentation,
 *   https://help.aliyun.com/document_detail/101343.htm
 *   (earlier location of the same page: https://help.aliyun.com/document_detail/56189.html)
 * AccessKeyId testId, AccessKeySecret testSecret, SendSms parameters below,
 * documented Signature zJDF+Lrzhj/ThnlvIToysFRq6t4= (URL-encoded in the
 * documented request as zJDF%2BLrzhj%2FThnlvIToysFRq6t4%3D).
 *
 * No test talks to anything but 127.0.0.1: the sender is pointed at small
 * HTTP servers run by this program in threads, and proxies are disabled. */
#include "check.h"
#include "sms_aliyun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>



static bool streq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

/* ------------------------------------------------------------------ */
/* The documented example (parameters in the order the doc's Java code puts them). */

/* "阿里云短信测试专用" in UTF-8 */
#define DOC_SIGN_NAME "\xE9\x98\xBF\xE9\x87\x8C\xE4\xBA\x91\xE7\x9F\xAD\xE4\xBF\xA1\xE6\xB5\x8B\xE8\xAF\x95\xE4\xB8\x93\xE7\x94\xA8"

static const char *const doc_keys[] = {
    "SignatureMethod", "SignatureNonce", "AccessKeyId", "SignatureVersion", "Timestamp",
    "Format",          "Action",         "Version",     "RegionId",         "PhoneNumbers",
    "SignName",        "TemplateParam",  "TemplateCode", "OutId",
};
static const char *const doc_values[] = {
    "HMAC-SHA1",    "45e25e9b-0a6f-4070-8c85-2956eda1b466", "testId",      "1.0", "2017-07-12T02:42:19Z",
    "XML",          "SendSms",                              "2017-05-25",  "cn-hangzhou", "15300000001",
    DOC_SIGN_NAME,  "{\"customer\":\"test\"}",              "SMS_71390007", "123",
};
static const char doc_secret[] = "testSecret";
static const char doc_signature[] = "zJDF+Lrzhj/ThnlvIToysFRq6t4=";
static const char doc_canonical[] =
    "AccessKeyId=testId&Action=SendSms&Format=XML&OutId=123&PhoneNumbers=15300000001"
    "&RegionId=cn-hangzhou&SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B%E8%AF%95%E4%B8%93%E7%94%A8"
    "&SignatureMethod=HMAC-SHA1&SignatureNonce=45e25e9b-0a6f-4070-8c85-2956eda1b466&SignatureVersion=1.0"
    "&TemplateCode=SMS_71390007&TemplateParam=%7B%22customer%22%3A%22test%22%7D"
    "&Timestamp=2017-07-12T02%3A42%3A19Z&Version=2017-05-25";

static void test_documented_example(void)
{
    char *sig = NULL, *canon = NULL;
    int rc = aliyun_sign("GET", doc_keys, doc_values, NELEM(doc_keys), doc_secret, &sig, &canon);
    CHECK("aliyun_sign accepts the documented example", rc == 0);
    CHECK("aliyun_sign matches documented example signature", streq(sig, doc_signature));
    CHECK("aliyun_sign canonical query matches documented sorted, encoded query", streq(canon, doc_canonical));
    free(sig);
    free(canon);

    /* Canonical query output is optional. */
    sig = NULL;
    rc = aliyun_sign("GET", doc_keys, doc_values, NELEM(doc_keys), doc_secret, &sig, NULL);
    CHECK("aliyun_sign works without canonical output", rc == 0 && streq(sig, doc_signature));
    free(sig);

    /* A wrong secret must not give the documented signature. */
    sig = NULL;
    rc = aliyun_sign("GET", doc_keys, doc_values, NELEM(doc_keys), "testsecret", &sig, NULL);
    CHECK("aliyun_sign signature depends on the secret", rc == 0 && sig && !streq(sig, doc_signature));
    free(sig);
}

/* POST differs from GET only in the method word of the string-to-sign;
 * check against an HMAC computed here directly from that string. */
static void test_post_method(void)
{
    static const char post_sts[] =
        "POST&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123%26PhoneNumbers%3D15300000001"
        "%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF%25A1"
        "%25E6%25B5%258B%25E8%25AF%2595%25E4%25B8%2593%25E7%2594%25A8%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D"
        "45e25e9b-0a6f-4070-8c85-2956eda1b466%26SignatureVersion%3D1.0%26TemplateCode%3DSMS_71390007%26TemplateParam%3D"
        "%257B%2522customer%2522%253A%2522test%2522%257D%26Timestamp%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char expect[64] = {0};
    bool ok = HMAC(EVP_sha1(), "testSecret&", 11, (const unsigned char *)post_sts, sizeof post_sts - 1, md, &mdlen) != NULL;
    ok = ok && EVP_EncodeBlock((unsigned char *)expect, md, (int)mdlen) > 0;

    char *sig = NULL;
    int rc = aliyun_sign("POST", doc_keys, doc_values, NELEM(doc_keys), doc_secret, &sig, NULL);
    CHECK("aliyun_sign POST signs \"POST&%2F&\" + encoded canonical query", ok && rc == 0 && streq(sig, expect));
    CHECK("aliyun_sign POST signature differs from GET", rc == 0 && !streq(sig, doc_signature));
    free(sig);
}

static void expect_canonical(const char *name, const char *const *keys, const char *const *values, size_t n,
                             const char *want)
{
    char *sig = NULL, *canon = NULL;
    int rc = aliyun_sign("GET", keys, values, n, "k", &sig, &canon);
    CHECK(name, rc == 0 && streq(canon, want) && sig && strlen(sig) == 28);
    if (rc != 0 || !streq(canon, want))
        fprintf(stderr, "  got  %s\n  want %s\n", canon ? canon : "(null)", want);
    free(sig);
    free(canon);
}

static void test_percent_encoding(void)
{
    {
        const char *k[] = {"k"}, *v[] = {"a b*c~d"};
        expect_canonical("percent-encoding maps space to %20, * to %2A, ~ unescaped", k, v, 1, "k=a%20b%2Ac~d");
    }
    {
        const char *k[] = {"k"}, *v[] = {"+/=&%:\"{},"};
        expect_canonical("percent-encoding escapes + / = & % : \" { } , with upper-case hex", k, v, 1,
                         "k=%2B%2F%3D%26%25%3A%22%7B%7D%2C");
    }
    {
        const char *k[] = {"k"}, *v[] = {"AZaz09-_.~"};
        expect_canonical("percent-encoding keeps unreserved A-Z a-z 0-9 - _ . ~", k, v, 1, "k=AZaz09-_.~");
    }
    {
        const char *k[] = {"k"}, *v[] = {"\xE6\xB4\xBE\x7F\x01"};
        expect_canonical("percent-encoding encodes each UTF-8 and control byte", k, v, 1, "k=%E6%B4%BE%7F%01");
    }
    {
        const char *k[] = {"a b"}, *v[] = {""};
        expect_canonical("percent-encoding applies to keys; empty value kept as key=", k, v, 1, "a%20b=");
    }
    {
        const char *k[] = {"b", "a", "B", "A", "a_", "a-"};
        const char *v[] = {"1", "2", "3", "4", "5", "6"};
        expect_canonical("canonical query sorts keys in byte order", k, v, NELEM(k), "A=4&B=3&a=2&a-=6&a_=5&b=1");
    }
    expect_canonical("no parameters give an empty canonical query", NULL, NULL, 0, "");
}

static void expect_sign_refused(const char *name, const char *method, const char *const *keys,
                                const char *const *values, size_t n, const char *secret)
{
    char *sig = (char *)"unchanged", *canon = (char *)"unchanged";
    int rc = aliyun_sign(method, keys, values, n, secret, &sig, &canon);
    CHECK(name, rc == -1 && sig == NULL && canon == NULL);
}

static void test_sign_refusals(void)
{
    const char *k2[] = {"A", "A"}, *v2[] = {"1", "2"};
    expect_sign_refused("aliyun_sign refuses duplicate keys", "GET", k2, v2, 2, "s");
    const char *ks[] = {"A", "Signature"}, *vs[] = {"1", "x"};
    expect_sign_refused("aliyun_sign refuses a Signature parameter", "GET", ks, vs, 2, "s");
    const char *kn[] = {"A"}, *vn[] = {NULL};
    expect_sign_refused("aliyun_sign refuses a NULL value", "GET", kn, vn, 1, "s");
    const char *kk[] = {NULL}, *vk[] = {"1"};
    expect_sign_refused("aliyun_sign refuses a NULL key", "GET", kk, vk, 1, "s");
    const char *ke[] = {""}, *ve[] = {"1"};
    expect_sign_refused("aliyun_sign refuses an empty key", "GET", ke, ve, 1, "s");
    const char *k1[] = {"A"}, *v1[] = {"1"};
    expect_sign_refused("aliyun_sign refuses methods other than GET/POST", "PUT", k1, v1, 1, "s");
    expect_sign_refused("aliyun_sign refuses lower-case method", "get", k1, v1, 1, "s");
    expect_sign_refused("aliyun_sign refuses NULL method", NULL, k1, v1, 1, "s");
    expect_sign_refused("aliyun_sign refuses NULL secret", "GET", k1, v1, 1, NULL);
    expect_sign_refused("aliyun_sign refuses NULL arrays with n > 0", "GET", NULL, NULL, 1, "s");
    CHECK("aliyun_sign refuses NULL out_signature", aliyun_sign("GET", k1, v1, 1, "s", NULL, NULL) == -1);
}

/* ------------------------------------------------------------------ */
/* sms_aliyun_new validation */

static aliyun_config good_config(const char *endpoint, long timeout_ms)
{
    aliyun_config c = {
        .access_key_id = "LTAI-test-id",
        .access_key_secret = "test-secret",
        .sign_name = DOC_SIGN_NAME,
        .template_code = "SMS_000001",
        .endpoint = endpoint,
        .timeout_ms = timeout_ms,
    };
    return c;
}

static void expect_new_refused(const char *name, const aliyun_config *c, const char *err_part)
{
    char err[128] = "unchanged";
    sms_sender *s = sms_aliyun_new(c, err, sizeof err);
    CHECK(name, s == NULL && strstr(err, err_part) != NULL);
    if (s)
        s->destroy(s);
}

static void test_new_validation(void)
{
    aliyun_config c;

    expect_new_refused("sms_aliyun_new refuses NULL config", NULL, "config");

    c = good_config(NULL, 1000);
    c.access_key_id = NULL;
    expect_new_refused("sms_aliyun_new refuses missing access_key_id", &c, "missing access_key_id");
    c = good_config(NULL, 1000);
    c.access_key_secret = "";
    expect_new_refused("sms_aliyun_new refuses empty access_key_secret", &c, "missing access_key_secret");
    c = good_config(NULL, 1000);
    c.sign_name = NULL;
    expect_new_refused("sms_aliyun_new refuses missing sign_name", &c, "missing sign_name");
    c = good_config(NULL, 1000);
    c.template_code = "";
    expect_new_refused("sms_aliyun_new refuses missing template_code", &c, "missing template_code");
    c = good_config(NULL, 1000);
    c.template_code = "SMS\n1";
    expect_new_refused("sms_aliyun_new refuses control characters in a field", &c, "invalid template_code");
    c = good_config(NULL, 0);
    expect_new_refused("sms_aliyun_new refuses missing timeout_ms", &c, "timeout_ms");
    c = good_config(NULL, -5);
    expect_new_refused("sms_aliyun_new refuses negative timeout_ms", &c, "timeout_ms");

    static const char *const bad_endpoints[] = {
        "http://dysmsapi.aliyuncs.com/",   /* clear text to a remote host */
        "http://127.0.0.1.example.com/",   /* looks like loopback, is not */
        "http://localhost:80@example.com/", /* user info trick */
        "ftp://127.0.0.1/",
        "https://",
        "https://dysmsapi.aliyuncs.com/?x=1",
        "dysmsapi.aliyuncs.com",
    };
    for (size_t i = 0; i < NELEM(bad_endpoints); i++) {
        c = good_config(bad_endpoints[i], 1000);
        expect_new_refused("sms_aliyun_new refuses plain-http-to-remote and malformed endpoints", &c, "endpoint");
    }

    static const char *const good_endpoints[] = {
        NULL, "", "https://dysmsapi.aliyuncs.com/", "https://dysmsapi.aliyuncs.com",
        "http://127.0.0.1:8080/", "http://localhost/", "http://[::1]:9/",
    };
    for (size_t i = 0; i < NELEM(good_endpoints); i++) {
        c = good_config(good_endpoints[i], 1000);
        char err[128] = "unchanged";
        sms_sender *s = sms_aliyun_new(&c, err, sizeof err);
        CHECK("sms_aliyun_new accepts default, https and loopback-http endpoints",
              s != NULL && s->send && s->destroy && err[0] == '\0');
        if (s)
            s->destroy(s);
    }

    c = good_config(NULL, 1000);
    sms_sender *s = sms_aliyun_new(&c, NULL, 0);
    CHECK("sms_aliyun_new tolerates a NULL err buffer", s != NULL);
    if (s)
        s->destroy(s);
}

/* ------------------------------------------------------------------ */
/* A tiny HTTP server on 127.0.0.1, one thread, serving nconn connections. */

typedef enum {
    SRV_OK,        /* 200 {"Code":"OK",...} */
    SRV_LIMIT,     /* 200 {"Code":"isv.BUSINESS_LIMIT_CONTROL",...} */
    SRV_HTTP400,   /* 400 {"Code":"SignatureDoesNotMatch",...} */
    SRV_GARBAGE,   /* 200 with a body that is not JSON, echoing nothing */
    SRV_HUGE,      /* 200 with a 200 KiB body */
    SRV_SILENT,    /* accepts, reads, never answers */
} srv_mode;

typedef struct {
    int lfd, port, nconn, served;
    int stop[2]; /* write end closed by the test to release SRV_SILENT */
    srv_mode mode;
    pthread_t th;
    char req[2][16384]; /* heads of the first two requests; read after server_stop */
} server;

static bool send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static void read_head(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    while (len + 1 < cap && !strstr(buf, "\r\n\r\n")) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 5000) <= 0)
            break;
        ssize_t r = recv(fd, buf + len, cap - 1 - len, 0);
        if (r <= 0)
            break;
        len += (size_t)r;
        buf[len] = '\0';
    }
}

static void respond(int fd, int status, const char *body, size_t body_len)
{
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json;charset=utf-8\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     status, status == 200 ? "OK" : "Bad Request", body_len);
    if (n > 0 && (size_t)n < sizeof head && send_all(fd, head, (size_t)n))
        send_all(fd, body, body_len);
}

static void *server_main(void *arg)
{
    server *sv = arg;
    for (int i = 0; i < sv->nconn; i++) {
        struct pollfd p = {.fd = sv->lfd, .events = POLLIN};
        if (poll(&p, 1, 10000) <= 0)
            break;
        int fd = accept(sv->lfd, NULL, NULL);
        if (fd < 0)
            break;
        char scratch[16384];
        char *head = i < (int)NELEM(sv->req) ? sv->req[i] : scratch;
        read_head(fd, head, sizeof scratch);
        sv->served++;
        const char *body = NULL;
        switch (sv->mode) {
        case SRV_OK:
            body = "{\"Message\":\"OK\",\"RequestId\":\"F655A8D5-B967-440B-8683-DAD6FF8DE990\","
                   "\"Code\":\"OK\",\"BizId\":\"900619746936498440^0\"}";
            respond(fd, 200, body, strlen(body));
            break;
        case SRV_LIMIT:
            body = "{\"Message\":\"触发分钟级流控Permits:1\",\"RequestId\":\"x\",\"Code\":\"isv.BUSINESS_LIMIT_CONTROL\"}";
            respond(fd, 200, body, strlen(body));
            break;
        case SRV_HTTP400:
            body = "{\"Message\":\"Specified signature is not matched with our calculation.\",\"RequestId\":\"x\","
                   "\"Code\":\"SignatureDoesNotMatch\"}";
            respond(fd, 400, body, strlen(body));
            break;
        case SRV_GARBAGE:
            body = "<html>gateway error</html>";
            respond(fd, 200, body, strlen(body));
            break;
        case SRV_HUGE: {
            size_t n = 200 * 1024;
            char *big = malloc(n);
            if (big) {
                memset(big, ' ', n);
                big[0] = '{';
                respond(fd, 200, big, n);
                free(big);
            }
            break;
        }
        case SRV_SILENT: {
            struct pollfd q = {.fd = sv->stop[0], .events = POLLIN};
            poll(&q, 1, 10000); /* until the test says stop (or 10 s) */
            break;
        }
        }
        close(fd);
    }
    return NULL;
}

static bool server_start(server *sv, srv_mode mode, int nconn)
{
    memset(sv, 0, sizeof *sv);
    sv->mode = mode;
    sv->nconn = nconn;
    sv->stop[0] = sv->stop[1] = -1;
    sv->lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (sv->lfd < 0)
        return false;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    if (bind(sv->lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(sv->lfd, 16) != 0 ||
        getsockname(sv->lfd, (struct sockaddr *)&a, &alen) != 0 || pipe(sv->stop) != 0) {
        close(sv->lfd);
        return false;
    }
    sv->port = ntohs(a.sin_port);
    if (pthread_create(&sv->th, NULL, server_main, sv) != 0) {
        close(sv->lfd);
        close(sv->stop[0]);
        close(sv->stop[1]);
        return false;
    }
    return true;
}

static void server_stop(server *sv)
{
    close(sv->stop[1]); /* releases SRV_SILENT */
    pthread_join(sv->th, NULL);
    close(sv->stop[0]);
    close(sv->lfd);
}

static sms_sender *sender_for(int port, long timeout_ms)
{
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d/", port);
    aliyun_config c = good_config(endpoint, timeout_ms);
    char err[128];
    sms_sender *s = sms_aliyun_new(&c, err, sizeof err);
    if (!s)
        fprintf(stderr, "sms_aliyun_new: %s\n", err);
    return s;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* ---- query parsing for checking what the server received ---- */

typedef struct {
    char *k[32], *v[32];
    size_t n;
    char *raw_query; /* as received, without the leading '?' */
} query;

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static char *pct_decode(const char *s, size_t n)
{
    char *out = malloc(n + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            *o++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

static void query_free(query *q)
{
    for (size_t i = 0; i < q->n; i++) {
        free(q->k[i]);
        free(q->v[i]);
    }
    free(q->raw_query);
    memset(q, 0, sizeof *q);
}

/* Parses "GET /?a=b&c=d HTTP/1.1" from a request head. */
static bool parse_request(const char *req, query *q)
{
    memset(q, 0, sizeof *q);
    if (strncmp(req, "GET /?", 6) != 0)
        return false;
    const char *start = req + 6, *end = strstr(start, " HTTP/1.1\r\n");
    if (!end)
        return false;
    size_t len = (size_t)(end - start);
    q->raw_query = malloc(len + 1);
    if (!q->raw_query)
        return false;
    memcpy(q->raw_query, start, len);
    q->raw_query[len] = '\0';
    const char *p = start;
    while (p < end && q->n < NELEM(q->k)) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        if (!eq)
            return false;
        q->k[q->n] = pct_decode(p, (size_t)(eq - p));
        q->v[q->n] = pct_decode(eq + 1, (size_t)(stop - eq - 1));
        if (!q->k[q->n] || !q->v[q->n])
            return false;
        q->n++;
        p = amp ? amp + 1 : end;
    }
    return p == end;
}

static const char *qget(const query *q, const char *k)
{
    for (size_t i = 0; i < q->n; i++)
        if (strcmp(q->k[i], k) == 0)
            return q->v[i];
    return NULL;
}

static bool is_lower_hex(const char *s, size_t want_len)
{
    if (!s || strlen(s) != want_len)
        return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

static void utc_stamp(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Re-signs what the server received (minus Signature) and compares. */
static bool request_signature_verifies(const query *q, const char *secret)
{
    const char *keys[32], *vals[32], *got = NULL;
    size_t n = 0;
    for (size_t i = 0; i < q->n; i++) {
        if (strcmp(q->k[i], "Signature") == 0) {
            got = q->v[i];
        } else {
            keys[n] = q->k[i];
            vals[n] = q->v[i];
            n++;
        }
    }
    char *sig = NULL, *canon = NULL;
    bool ok = got && aliyun_sign("GET", keys, vals, n, secret, &sig, &canon) == 0 && strcmp(sig, got) == 0;
    /* The query on the wire is exactly the canonical query plus the Signature. */
    if (ok) {
        size_t cl = strlen(canon);
        ok = strncmp(q->raw_query, canon, cl) == 0 && strncmp(q->raw_query + cl, "&Signature=", 11) == 0;
    }
    free(sig);
    free(canon);
    return ok;
}

static const char test_phone[] = "13800138000";
static const char test_code[] = "123456";

static bool err_is_clean(const char *err)
{
    return strstr(err, test_phone) == NULL && strstr(err, test_code) == NULL;
}

static void test_send_ok(void)
{
    server sv;
    if (!server_start(&sv, SRV_OK, 2)) {
        CHECK("local server starts", false);
        return;
    }
    sms_sender *s = sender_for(sv.port, 3000);
    CHECK("sender for local endpoint is created", s != NULL);
    if (!s) {
        server_stop(&sv);
        return;
    }

    char before[32], after[32], err[128] = "unchanged";
    utc_stamp(time(NULL), before);
    sms_status st = s->send(s, test_phone, test_code, "login", err, sizeof err);
    utc_stamp(time(NULL), after);
    CHECK("send returns SMS_OK when Aliyun answers Code OK", st == SMS_OK);
    CHECK("send clears err on success", err[0] == '\0');

    st = s->send(s, "+8613800138000", test_code, "login", err, sizeof err);
    CHECK("send accepts a +86 phone number", st == SMS_OK);
    s->destroy(s);
    server_stop(&sv);

    query q;
    bool parsed = parse_request(sv.req[0], &q);
    CHECK("request is a GET to / with a query string", parsed);
    if (!parsed) {
        fprintf(stderr, "  request head: %.200s\n", sv.req[0]);
        query_free(&q);
        return;
    }
    CHECK("request carries AccessKeyId", streq(qget(&q, "AccessKeyId"), "LTAI-test-id"));
    CHECK("request carries Action=SendSms", streq(qget(&q, "Action"), "SendSms"));
    CHECK("request carries Format=JSON", streq(qget(&q, "Format"), "JSON"));
    CHECK("request carries the phone in PhoneNumbers", streq(qget(&q, "PhoneNumbers"), test_phone));
    CHECK("request carries RegionId=cn-hangzhou", streq(qget(&q, "RegionId"), "cn-hangzhou"));
    CHECK("request carries SignName (UTF-8 round-trips)", streq(qget(&q, "SignName"), DOC_SIGN_NAME));
    CHECK("request carries SignatureMethod=HMAC-SHA1", streq(qget(&q, "SignatureMethod"), "HMAC-SHA1"));
    CHECK("request carries SignatureVersion=1.0", streq(qget(&q, "SignatureVersion"), "1.0"));
    CHECK("request carries TemplateCode", streq(qget(&q, "TemplateCode"), "SMS_000001"));
    CHECK("request carries TemplateParam {\"code\":\"123456\"}", streq(qget(&q, "TemplateParam"), "{\"code\":\"123456\"}"));
    CHECK("request carries Version=2017-05-25", streq(qget(&q, "Version"), "2017-05-25"));
    CHECK("SignatureNonce is 16 random bytes as 32 hex digits", is_lower_hex(qget(&q, "SignatureNonce"), 32));
    const char *ts = qget(&q, "Timestamp");
    CHECK("Timestamp is current UTC as YYYY-MM-DDThh:mm:ssZ",
          ts && strlen(ts) == 20 && ts[10] == 'T' && ts[19] == 'Z' && strcmp(before, ts) <= 0 && strcmp(ts, after) <= 0);
    CHECK("request has exactly the 13 parameters plus Signature", q.n == 14);
    CHECK("request Signature verifies against the canonical query and secret",
          request_signature_verifies(&q, "test-secret"));

    query q2;
    if (parse_request(sv.req[1], &q2)) {
        CHECK("each send uses a fresh SignatureNonce",
              qget(&q2, "SignatureNonce") && !streq(qget(&q, "SignatureNonce"), qget(&q2, "SignatureNonce")));
        CHECK("+86 phone is sent unchanged (+ encoded as %2B)",
              streq(qget(&q2, "PhoneNumbers"), "+8613800138000") && strstr(q2.raw_query, "PhoneNumbers=%2B86") != NULL);
    } else {
        CHECK("second request parses", false);
    }
    query_free(&q2);
    query_free(&q);
}

static void expect_failure_answer(const char *name, srv_mode mode, const char *want_err)
{
    server sv;
    if (!server_start(&sv, mode, 1)) {
        CHECK("local server starts", false);
        return;
    }
    sms_sender *s = sender_for(sv.port, 3000);
    char err[128] = "unchanged";
    sms_status st = s ? s->send(s, test_phone, test_code, "login", err, sizeof err) : SMS_OK;
    if (s)
        s->destroy(s);
    server_stop(&sv);
    bool err_ok = want_err ? streq(err, want_err) : (strncmp(err, "aliyun: ", 8) == 0 && err[8] != '\0');
    CHECK(name, st == SMS_FAILED && err_ok && err_is_clean(err));
    if (!(st == SMS_FAILED && err_ok))
        fprintf(stderr, "  status %d err \"%s\"\n", (int)st, err);
}

static void test_send_failures(void)
{
    expect_failure_answer("Code isv.BUSINESS_LIMIT_CONTROL gives SMS_FAILED with err \"aliyun: <Code>\" (no phone/code)",
                          SRV_LIMIT, "aliyun: isv.BUSINESS_LIMIT_CONTROL");
    expect_failure_answer("HTTP 400 with a JSON Code gives SMS_FAILED with that Code", SRV_HTTP400,
                          "aliyun: SignatureDoesNotMatch");
    expect_failure_answer("non-JSON answer gives SMS_FAILED", SRV_GARBAGE, NULL);
    expect_failure_answer("oversized answer is cut off and gives SMS_FAILED", SRV_HUGE, "aliyun: response too large");
}

static void test_send_timeout(void)
{
    server sv;
    if (!server_start(&sv, SRV_SILENT, 1)) {
        CHECK("local server starts", false);
        return;
    }
    const long timeout_ms = 300;
    sms_sender *s = sender_for(sv.port, timeout_ms);
    char err[128] = "unchanged";
    double t0 = now_ms();
    sms_status st = s ? s->send(s, test_phone, test_code, "login", err, sizeof err) : SMS_OK;
    double took = now_ms() - t0;
    if (s)
        s->destroy(s);
    server_stop(&sv);
    CHECK("server that never answers gives SMS_TIMEOUT", st == SMS_TIMEOUT);
    CHECK("SMS_TIMEOUT comes within the configured timeout (+ slack)", took >= timeout_ms - 50 && took < timeout_ms + 1500);
    CHECK("timeout err names the reason without phone/code", streq(err, "aliyun: timeout") && err_is_clean(err));
    if (st != SMS_TIMEOUT)
        fprintf(stderr, "  status %d err \"%s\" took %.0f ms\n", (int)st, err, took);
}

static void test_send_refused_connection(void)
{
    /* Bind a port, then close it: nothing listens there any more. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    int port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &alen) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    if (port == 0) {
        CHECK("can pick an unused local port", false);
        return;
    }
    sms_sender *s = sender_for(port, 2000);
    char err[128] = "unchanged";
    double t0 = now_ms();
    sms_status st = s ? s->send(s, test_phone, test_code, "login", err, sizeof err) : SMS_OK;
    double took = now_ms() - t0;
    CHECK("refused connection gives SMS_FAILED, not SMS_TIMEOUT, promptly",
          st == SMS_FAILED && took < 1500 && strncmp(err, "aliyun: ", 8) == 0 && err_is_clean(err));

    /* Bad input is refused before any network traffic (the port is closed,
     * so reaching the network would give a connection error instead). */
    static const char *const bad_phones[] = {"", "12ab5678901", "13800138000,13900139000", "+", "1234", "++8613800138000"};
    for (size_t i = 0; i < NELEM(bad_phones); i++) {
        st = s ? s->send(s, bad_phones[i], test_code, "login", err, sizeof err) : SMS_OK;
        CHECK("send refuses malformed or multiple phone numbers", st == SMS_FAILED && streq(err, "aliyun: invalid phone number"));
    }
    st = s ? s->send(s, NULL, test_code, "login", err, sizeof err) : SMS_OK;
    CHECK("send refuses NULL phone", st == SMS_FAILED && streq(err, "aliyun: invalid phone number"));
    st = s ? s->send(s, test_phone, "", "login", err, sizeof err) : SMS_OK;
    CHECK("send refuses empty code", st == SMS_FAILED && streq(err, "aliyun: invalid code"));
    st = s ? s->send(s, test_phone, NULL, "login", err, sizeof err) : SMS_OK;
    CHECK("send refuses NULL code", st == SMS_FAILED && streq(err, "aliyun: invalid code"));
    st = s ? s->send(s, test_phone, "\xFF\xFE", "login", err, sizeof err) : SMS_OK;
    CHECK("send refuses a code that is not UTF-8", st == SMS_FAILED && streq(err, "aliyun: invalid code"));
    st = s ? s->send(s, test_phone, test_code, "login", NULL, 0) : SMS_OK;
    CHECK("send tolerates a NULL err buffer", st == SMS_FAILED);
    char tiny[4];
    st = s ? s->send(s, test_phone, NULL, "login", tiny, sizeof tiny) : SMS_OK;
    CHECK("send truncates err to errlen", st == SMS_FAILED && strlen(tiny) == 3);
    if (s)
        s->destroy(s);
}

/* The config strings are copied: changing the caller's buffers after
 * sms_aliyun_new must not change what is sent. */
static void test_config_is_copied(void)
{
    server sv;
    if (!server_start(&sv, SRV_OK, 1)) {
        CHECK("local server starts", false);
        return;
    }
    char endpoint[64], id[] = "LTAI-copy", secret[] = "copy-secret", sign[] = "Sign", tmpl[] = "SMS_42";
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d/", sv.port);
    aliyun_config c = {id, secret, sign, tmpl, endpoint, 3000};
    char err[128];
    sms_sender *s = sms_aliyun_new(&c, err, sizeof err);
    memset(id, 'x', sizeof id - 1);
    memset(secret, 'x', sizeof secret - 1);
    memset(sign, 'x', sizeof sign - 1);
    memset(tmpl, 'x', sizeof tmpl - 1);
    memset(endpoint, 'x', sizeof endpoint - 1);
    sms_status st = s ? s->send(s, test_phone, test_code, "login", err, sizeof err) : SMS_FAILED;
    if (s)
        s->destroy(s);
    server_stop(&sv);
    query q;
    bool ok = st == SMS_OK && parse_request(sv.req[0], &q) && streq(qget(&q, "AccessKeyId"), "LTAI-copy") &&
              streq(qget(&q, "SignName"), "Sign") && streq(qget(&q, "TemplateCode"), "SMS_42") &&
              request_signature_verifies(&q, "copy-secret");
    CHECK("sms_aliyun_new copies every config string", ok);
    query_free(&q);
}

typedef struct {
    sms_sender *s;
    int ok;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *w = p;
    for (int i = 0; i < 3; i++) {
        char err[128];
        if (w->s->send(w->s, test_phone, test_code, "login", err, sizeof err) == SMS_OK)
            w->ok++;
    }
    return NULL;
}

static void test_concurrent_sends(void)
{
    enum { THREADS = 4, PER_THREAD = 3 };
    server sv;
    if (!server_start(&sv, SRV_OK, THREADS * PER_THREAD)) {
        CHECK("local server starts", false);
        return;
    }
    sms_sender *s = sender_for(sv.port, 5000);
    worker_arg args[THREADS];
    pthread_t th[THREADS];
    int started = 0, ok = 0;
    for (int i = 0; s && i < THREADS; i++) {
        args[i] = (worker_arg){s, 0};
        if (pthread_create(&th[i], NULL, worker, &args[i]) == 0)
            started++;
    }
    for (int i = 0; i < started; i++) {
        pthread_join(th[i], NULL);
        ok += args[i].ok;
    }
    if (s)
        s->destroy(s);
    server_stop(&sv);
    CHECK("one sender serves concurrent sends from several threads", started == THREADS && ok == THREADS * PER_THREAD);
}

int main(void)
{
    /* Never let curl route the local test traffic through a proxy. */
    static const char *const proxy_vars[] = {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"};
    for (size_t i = 0; i < NELEM(proxy_vars); i++)
        unsetenv(proxy_vars[i]);
    setenv("no_proxy", "*", 1);
    setenv("NO_PROXY", "*", 1);
    signal(SIGPIPE, SIG_IGN); /* CURLOPT_NOSIGNAL leaves SIGPIPE to the application */

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "curl_global_init failed\n");
        return 1;
    }

    test_documented_example();
    test_post_method();
    test_percent_encoding();
    test_sign_refusals();
    test_new_validation();
    test_send_ok();
    test_send_failures();
    test_send_timeout();
    test_send_refused_connection();
    test_config_is_copied();
    test_concurrent_sends();

    curl_global_cleanup();
    return CHECK_DONE();
}
