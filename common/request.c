#include "request.h"

#include <string.h>
#include <strings.h>

#include "body.h"
#include "log.h"
#include "scan.h"

static int hexdigit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

char *url_decode(arena_t *a, const char *s, size_t n, size_t *len)
{
    char *out = arena_alloc(a, n + 1);
    size_t o = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            out[o++] = ' ';
        } else if (s[i] == '%' && i + 2 < n && hexdigit(s[i + 1]) >= 0 && hexdigit(s[i + 2]) >= 0) {
            out[o++] = (char)(hexdigit(s[i + 1]) << 4 | hexdigit(s[i + 2]));
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    *len = o;
    return out;
}

/* A decoded name or value that a C string would cut (NUL) or that carries
 * any other control character. */
static bool query_text_bad(const char *s, size_t len) { return strlen(s) != len || has_control_chars(s, false); }

void request_query(req_t *r, const char *qs)
{
    int seen = 0;
    while (qs && *qs) {
        const char *amp = strchr(qs, '&');
        size_t len = amp ? (size_t)(amp - qs) : strlen(qs);
        const char *eq = memchr(qs, '=', len);
        if (len && ++seen <= MAX_QUERY_PARAMS) {
            size_t klen = eq ? (size_t)(eq - qs) : len, kdec = 0, vdec = 0;
            char *k = url_decode(&r->arena, qs, klen, &kdec);
            char *v = eq ? url_decode(&r->arena, eq + 1, len - klen - 1, &vdec) : arena_strndup(&r->arena, "", 0);
            if (k && v) {
                if (query_text_bad(k, kdec))
                    field_error(r, "query", "control_character", "a parameter name must not contain control characters");
                else if (query_text_bad(v, vdec))
                    field_error(r, k, "control_character", "must not contain control characters (%00 included)");
                else
                    r->query[r->nquery++] = (kv_t){k, v};
            }
        }
        qs = amp ? amp + 1 : NULL;
    }
    if (seen > MAX_QUERY_PARAMS)
        field_error(r, "query", "too_many",
                    arena_printf(&r->arena, "%d query parameters; at most %d are read", seen, MAX_QUERY_PARAMS));
}

bool request_is_json(const char *ct)
{
    if (!ct)
        return false;
    size_t n = strlen("application/json");
    if (strncasecmp(ct, "application/json", n))
        return false;
    const char *rest = ct + n;
    while (*rest == ' ')
        rest++;
    return *rest == '\0' || *rest == ';';
}

bool request_body_or_reply(req_t *r, const char *cl, size_t max, body_reader read, void *ctx)
{
    long long len;
    if (!cl || !*cl)
        return true;
    if (!scan_count(cl, &len)) {
        reply_error(r, ERR_INVALID_JSON, "bad Content-Length");
        return false;
    }
    if ((unsigned long long)len > max) {
        reply_error(r, ERR_PAYLOAD_TOO_LARGE, arena_printf(&r->arena, "the body is over %zu MiB", max >> 20));
        return false;
    }
    if (len == 0)
        return true;
    char *buf = arena_alloc(&r->arena, (size_t)len + 1);
    if (!buf) {
        reply_error(r, ERR_INTERNAL, NULL);
        return false;
    }
    if (read(ctx, buf, (int)len) != len) {
        reply_error(r, ERR_INVALID_JSON, "the body ended early");
        return false;
    }
    r->body = buf;
    r->body_len = (size_t)len;
    return true;
}

bool request_bearer_or_reply(req_t *r, const jwt_keys *keys, time_t now)
{
    const char *h = r->authorization;
    if (!h || strncasecmp(h, "Bearer ", 7) || !h[7]) {
        reply_error(r, ERR_UNAUTHORIZED, "a bearer access token is required");
        return false;
    }
    token_claims c;
    token_result res = jwt_verify_access(keys, h + 7, now, &c);
    if (res != TOKEN_OK) {
        log_msg("info", r->request_id, "token refused: %s", token_result_str(res));
        reply_error(r, ERR_UNAUTHORIZED, "the access token is invalid or expired");
        return false;
    }
    r->user_id = c.user_id;
    r->session_id = arena_strndup(&r->arena, c.session_id, strlen(c.session_id));
    return true;
}
