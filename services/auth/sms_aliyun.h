/* SMS sender backed by Aliyun Short Message Service (dysmsapi, SendSms,
 * API version 2017-05-25), RPC style, signature V1.0 (HMAC-SHA1).
 *
 * Signing rules: https://help.aliyun.com/document_detail/101343.htm
 * (Aliyun SMS "签名机制"; English: https://www.alibabacloud.com/help/en/sms/signature-method).
 *
 * The sender is immutable after creation; send() uses its own libcurl easy
 * handle per call, so one sender may be shared by any number of threads.
 * The process must call curl_global_init() once before the first send. */
#ifndef STVS_SMS_ALIYUN_H
#define STVS_SMS_ALIYUN_H
#include <stdbool.h>
#include <stddef.h>
#include "sms.h"

typedef struct {
    const char *access_key_id, *access_key_secret, *sign_name, *template_code, *endpoint;
    long timeout_ms;
} aliyun_config;

/* endpoint may be NULL or "" for the default https://dysmsapi.aliyuncs.com/.
 * It must be https://..., except plain http:// to 127.0.0.1, localhost or
 * [::1] (tests). timeout_ms must be > 0 and bounds the whole HTTP exchange.
 * The template must take one variable named "code" (TemplateParam is
 * {"code":"<code>"}). Returns NULL and writes err if a field is missing or
 * invalid; copies every string. */
sms_sender *sms_aliyun_new(const aliyun_config *cfg, char *err, size_t errlen);

/* Pure, testable: sorts the n (key, value) pairs by key (byte order), builds
 * the canonicalized query string (each key and value percent-encoded per
 * Aliyun: unreserved A-Z a-z 0-9 - _ . ~ kept, every other byte as %XY with
 * upper-case hex, so ' ' -> %20, '*' -> %2A, '~' kept), the string-to-sign
 * method + "&%2F&" + percentEncode(canonicalized), and the base64 HMAC-SHA1
 * of it with key access_key_secret + "&".
 * method is "GET" or "POST". Keys must be distinct, non-empty and not
 * "Signature"; values must be non-NULL (may be empty).
 * On success returns 0, *out_signature gets the malloc'd base64 signature
 * (not yet percent-encoded) and, if out_canonical_query is not NULL,
 * *out_canonical_query gets the malloc'd canonicalized query string; the
 * caller frees both. On failure returns -1 and sets both outputs to NULL. */
int aliyun_sign(const char *method, const char *const *keys, const char *const *values, size_t n,
                const char *access_key_secret, char **out_signature, char **out_canonical_query);

/* The query string to send: the canonicalized query, then
 * "&Signature=" and the percent-encoded signature. malloc'd; NULL when
 * aliyun_sign refuses or memory runs out. */
char *aliyun_signed_query(const char *method, const char *const *keys, const char *const *values, size_t n,
                          const char *access_key_secret);
/* A-Z a-z 0-9 - _ . ~: the bytes percent-encoding keeps as they are. */
bool aliyun_unreserved(unsigned char c);

#endif
