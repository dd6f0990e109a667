#include "json_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void json_out_init(json_out *o) { memset(o, 0, sizeof *o); }

void json_out_free(json_out *o)
{
    free(o->buf);
    json_out_init(o);
}

const char *json_out_text(const json_out *o, size_t *len)
{
    if (o->failed || o->depth != 0 || !o->buf)
        return NULL;
    *len = o->len;
    return o->buf;
}

json_t *json_out_tree(json_out *o)
{
    size_t len;
    const char *text = json_out_text(o, &len);
    json_t *tree = text ? json_loadb(text, len, 0, NULL) : NULL;
    json_out_free(o);
    return tree;
}

static bool reserve(json_out *o, size_t more)
{
    if (o->failed)
        return false;
    if (o->len + more + 1 <= o->cap)
        return true;
    size_t cap = o->cap ? o->cap : 1024;
    while (cap < o->len + more + 1)
        cap *= 2;
    char *buf = realloc(o->buf, cap);
    if (!buf) {
        o->failed = true;
        return false;
    }
    o->buf = buf;
    o->cap = cap;
    return true;
}

static void put(json_out *o, const char *s, size_t n)
{
    if (!reserve(o, n))
        return;
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

/* Before a value: the comma that separates it from the one before, unless
 * it is a member's value (its key wrote the comma). */
static void value_begin(json_out *o)
{
    if (o->after_key) {
        o->after_key = false;
        return;
    }
    if (o->depth > 0) {
        if (o->has_member[o->depth - 1])
            put(o, ",", 1);
        o->has_member[o->depth - 1] = true;
    }
}

void jo_open(json_out *o, char bracket)
{
    value_begin(o);
    if (o->depth == JSON_OUT_DEPTH) {
        o->failed = true;
        return;
    }
    put(o, &bracket, 1);
    o->has_member[o->depth++] = false;
}

void jo_close(json_out *o, char bracket)
{
    if (o->depth == 0) {
        o->failed = true;
        return;
    }
    o->depth--;
    put(o, &bracket, 1);
}

/* The length of s up to the first character JSON escapes (the quote, the
 * backslash, a control character): all of it for most strings. */
static size_t plain_prefix(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p >= 0x20 && *p != '"' && *p != '\\')
        p++;
    return (size_t)(p - (const unsigned char *)s);
}

/* A string's characters as jansson escapes them: the quote, the backslash
 * and the control characters; UTF-8 as it is. A string with none of them
 * (titles, names, codes: nearly all) is copied in one piece, quotes and
 * the suffix (a key's colon) with it. */
static void escaped(json_out *o, const char *s, const char *suffix, size_t suffix_len)
{
    size_t plain = plain_prefix(s);
    if (!s[plain]) {
        if (!reserve(o, plain + 2 + suffix_len))
            return;
        char *at = o->buf + o->len;
        *at++ = '"';
        memcpy(at, s, plain);
        at += plain;
        *at++ = '"';
        memcpy(at, suffix, suffix_len);
        o->len += plain + 2 + suffix_len;
        o->buf[o->len] = '\0';
        return;
    }
    put(o, "\"", 1);
    const char *run = s;
    for (const char *p = s + plain; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(o, run, (size_t)(p - run));
        run = p + 1;
        char seq[8];
        switch (c) {
        case '"': put(o, "\\\"", 2); break;
        case '\\': put(o, "\\\\", 2); break;
        case '\b': put(o, "\\b", 2); break;
        case '\f': put(o, "\\f", 2); break;
        case '\n': put(o, "\\n", 2); break;
        case '\r': put(o, "\\r", 2); break;
        case '\t': put(o, "\\t", 2); break;
        default:
            snprintf(seq, sizeof seq, "\\u%04X", c);
            put(o, seq, 6);
        }
    }
    put(o, run, strlen(run));
    put(o, "\"", 1);
    put(o, suffix, suffix_len);
}

void jo_key(json_out *o, const char *key)
{
    value_begin(o);
    escaped(o, key, ":", 1);
    o->after_key = true;
}

void jo_string(json_out *o, const char *s)
{
    if (!s) {
        jo_null(o);
        return;
    }
    value_begin(o);
    escaped(o, s, "", 0);
}

/* Digits by hand: snprintf's format parsing was most of a number's cost. */
void jo_int(json_out *o, long long v)
{
    char n[24];
    size_t k = sizeof n;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do
        n[--k] = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        n[--k] = '-';
    value_begin(o);
    put(o, n + k, sizeof n - k);
}

void jo_bool(json_out *o, bool v)
{
    value_begin(o);
    put(o, v ? "true" : "false", v ? 4 : 5);
}

void jo_null(json_out *o)
{
    value_begin(o);
    put(o, "null", 4);
}

/* A decimal PostgreSQL printed, as "%.15g" prints its double, without the
 * printf and strtod: an optional '-', digits, an optional point and digits,
 * at most 15 significant ones (a double keeps them exactly) and a magnitude
 * "%.15g" writes without an exponent (1e-4 <= |v| < 1e15). Leading zeros and
 * the fraction's trailing ones go, as in %g. False for anything else. */
static bool plain_decimal(const char *s, char *out, size_t outlen, size_t *len)
{
    size_t k = 0;
    if (*s == '-')
        out[k++] = *s++;
    const char *digits = s;
    while (*s == '0')
        s++;
    const char *int_part = s;
    while (*s >= '0' && *s <= '9')
        s++;
    size_t ni = (size_t)(s - int_part), nf = 0;
    if (s == digits)
        return false; /* no digit before the point */
    const char *frac = s;
    if (*s == '.') {
        frac = ++s;
        while (*s >= '0' && *s <= '9')
            s++;
        nf = (size_t)(s - frac);
    }
    if (*s)
        return false; /* an exponent, or not a number */
    while (nf && frac[nf - 1] == '0')
        nf--;
    size_t zeros = 0; /* after the point, before the first significant digit */
    if (!ni)
        while (zeros < nf && frac[zeros] == '0')
            zeros++;
    if (ni > 15 || (ni ? ni + nf : nf - zeros) > 15 || (!ni && zeros < nf && zeros > 3) ||
        k + ni + nf + 4 > outlen)
        return false;
    if (ni) {
        memcpy(out + k, int_part, ni);
        k += ni;
    } else {
        out[k++] = '0';
    }
    out[k++] = '.';
    if (nf) {
        memcpy(out + k, frac, nf);
        k += nf;
    } else {
        out[k++] = '0';
    }
    *len = k;
    return true;
}

/* jansson's real: "%.15g", a ".0" when that reads as an integer, the
 * exponent without '+' or leading zeros. */
void jo_real_text(json_out *o, const char *decimal)
{
    char n[40], out[40];
    size_t k = 0;
    if (decimal && plain_decimal(decimal, out, sizeof out, &k)) {
        value_begin(o);
        put(o, out, k);
        return;
    }
    snprintf(n, sizeof n, "%.15g", decimal ? strtod(decimal, NULL) : 0.0);
    const char *e = strchr(n, 'e');
    if (!e) {
        k = (size_t)snprintf(out, sizeof out, "%s%s", n, strchr(n, '.') ? "" : ".0");
    } else {
        memcpy(out, n, (size_t)(e - n + 1));
        k = (size_t)(e - n + 1);
        const char *p = e + 1;
        if (*p == '+')
            p++;
        else if (*p == '-')
            out[k++] = *p++;
        while (*p == '0' && p[1])
            p++;
        while (*p && k < sizeof out - 1)
            out[k++] = *p++;
        out[k] = '\0';
    }
    value_begin(o);
    put(o, out, k);
}

void jo_raw(json_out *o, const char *json, const char *fallback)
{
    value_begin(o);
    const char *text = json ? json : fallback;
    put(o, text, strlen(text));
}
