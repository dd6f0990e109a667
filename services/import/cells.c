#include "cells.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decodes one UTF-8 character; returns its length (1 on a bad byte). */
static int utf8_next(const unsigned char *s, unsigned *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xE0) == 0xC0 && (s[1] & 0xC0) == 0x80) {
        *cp = (unsigned)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
        return 2;
    }
    if ((s[0] & 0xF0) == 0xE0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
        *cp = (unsigned)(s[0] & 0x0F) << 12 | (unsigned)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
        return 3;
    }
    if ((s[0] & 0xF8) == 0xF0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 && (s[3] & 0xC0) == 0x80) {
        *cp = (unsigned)(s[0] & 0x07) << 18 | (unsigned)(s[1] & 0x3F) << 12 | (unsigned)(s[2] & 0x3F) << 6 |
              (s[3] & 0x3F);
        return 4;
    }
    *cp = 0xFFFD;
    return 1;
}

static bool is_blank_cp(unsigned cp)
{
    return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0x3000 || cp == 0xA0 ||
           (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || cp == 0xFEFF;
}

void cell_normalize(const char *in, char *out, size_t outlen)
{
    size_t o = 0;
    if (!outlen)
        return;
    for (const unsigned char *p = (const unsigned char *)in; *p;) {
        unsigned cp;
        int len = utf8_next(p, &cp);
        const unsigned char *src = p;
        p += len;
        if (is_blank_cp(cp) || cp == '"' || cp == '\'' || cp == 0x201C || cp == 0x201D || cp == 0x2018 ||
            cp == 0x2019 || cp == 0x300C || cp == 0x300D)
            continue;
        char one[4];
        int n;
        if (cp >= 0xFF01 && cp <= 0xFF5E) { /* full-width ASCII */
            one[0] = (char)(cp - 0xFEE0);
            n = 1;
        } else {
            memcpy(one, src, (size_t)len);
            n = len;
        }
        if (n == 1 && one[0] >= 'A' && one[0] <= 'Z')
            one[0] = (char)(one[0] - 'A' + 'a');
        if (o + (size_t)n >= outlen)
            break;
        memcpy(out + o, one, (size_t)n);
        o += (size_t)n;
    }
    out[o] = '\0';
    char *opt;
    while ((opt = strstr(out, "(选填)")))
        memmove(opt, opt + strlen("(选填)"), strlen(opt + strlen("(选填)")) + 1);
}

void cell_trim(const char *in, char *out, size_t outlen)
{
    const unsigned char *s = (const unsigned char *)in, *start = NULL, *end = s;
    for (const unsigned char *p = s; *p;) {
        unsigned cp;
        int len = utf8_next(p, &cp);
        if (!is_blank_cp(cp)) {
            if (!start)
                start = p;
            end = p + len;
        }
        p += len;
    }
    size_t n = start ? (size_t)(end - start) : 0;
    if (n >= outlen)
        n = outlen ? outlen - 1 : 0;
    if (outlen) {
        if (n)
            memcpy(out, start, n);
        out[n] = '\0';
    }
}

const char *cell_code(const code_table *t, const char *cell)
{
    char want[256], label[256];
    cell_normalize(cell, want, sizeof want);
    if (!*want)
        return NULL;
    for (size_t i = 0; i < t->n; i++) {
        cell_normalize(t->entries[i].label, label, sizeof label);
        if (!strcmp(want, label) || !strcmp(want, t->entries[i].code))
            return t->entries[i].code;
    }
    return NULL;
}

const char *cell_allowed(const code_table *t, char *out, size_t outlen)
{
    size_t o = (size_t)snprintf(out, outlen, "可选：");
    for (size_t i = 0; i < t->n && o < outlen; i++)
        o += (size_t)snprintf(out + o, outlen - o, "%s%s", i ? "、" : "", t->entries[i].label);
    return out;
}

/* Box characters of the template's lists: □ ☐ empty; ☑ ☒ ✓ ✔ √ ■ ▣ chosen. */
static int box_kind(unsigned cp)
{
    if (cp == 0x25A1 || cp == 0x2610)
        return 1;
    if (cp == 0x2611 || cp == 0x2612 || cp == 0x2713 || cp == 0x2714 || cp == 0x221A || cp == 0x25A0 ||
        cp == 0x25A3)
        return 2;
    return 0;
}

static int add_item(const code_table *t, const char *item, bool *chosen, char *bad, size_t badlen)
{
    char trimmed[256];
    cell_trim(item, trimmed, sizeof trimmed);
    if (!*trimmed)
        return 0;
    const char *code = cell_code(t, trimmed);
    if (!code) {
        snprintf(bad, badlen, "%s", trimmed);
        return -1;
    }
    for (size_t i = 0; i < t->n; i++)
        if (t->entries[i].code == code)
            chosen[i] = true;
    return 0;
}

int cell_multi(const code_table *t, const char *cell, const char **codes, int max, char *bad, size_t badlen)
{
    bool chosen[64] = {false}, boxed = false;
    char item[512];
    size_t il = 0;
    int mark = 0; /* boxed: the kind of the box before the current item */
    if (t->n > 64)
        return -1;
    for (const unsigned char *p = (const unsigned char *)cell; *p;) {
        unsigned cp;
        utf8_next(p, &cp);
        if (box_kind(cp))
            boxed = true;
        p += utf8_next(p, &cp);
    }
    for (const unsigned char *p = (const unsigned char *)cell;; ) {
        unsigned cp = 0;
        int len = *p ? utf8_next(p, &cp) : 0;
        bool sep = !*p || (boxed ? box_kind(cp) != 0
                                 : (cp == 0x3001 || cp == 0xFF0C || cp == ',' || cp == ';' || cp == 0xFF1B ||
                                    cp == '/' || cp == 0xFF0F || cp == '\n' || cp == '\r'));
        if (sep) {
            item[il] = '\0';
            if (!boxed || mark == 2) {
                /* a label broken over lines in a box list (青少年\n科技教育) is one item */
                char joined[512];
                cell_normalize(item, joined, sizeof joined);
                if (add_item(t, boxed ? joined : item, chosen, bad, badlen))
                    return -1;
            } else if (mark == 1) {
                char joined[512];
                cell_normalize(item, joined, sizeof joined);
                if (*joined && !cell_code(t, joined)) {
                    snprintf(bad, badlen, "%s", joined);
                    return -1;
                }
            }
            il = 0;
            if (!*p)
                break;
            mark = box_kind(cp);
        } else if (il + (size_t)len < sizeof item) {
            memcpy(item + il, p, (size_t)len);
            il += (size_t)len;
        }
        p += len;
    }
    int n = 0;
    for (size_t i = 0; i < t->n && n < max; i++)
        if (chosen[i])
            codes[n++] = t->entries[i].code;
    return n;
}

/* ---------------------------------------------------------------- dates */

/* Days since 1970-01-01 → civil date (Howard Hinnant's algorithm). */
static ymd civil_from_days(long z)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = yoe + era * 400;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1;
    long m = mp < 10 ? mp + 3 : mp - 9;
    return (ymd){(int)(y + (m <= 2)), (int)m, (int)d};
}

static bool read_int(const char **s, int maxdigits, int *out)
{
    int v = 0, n = 0;
    while (**s >= '0' && **s <= '9' && n < maxdigits) {
        v = v * 10 + (**s - '0');
        (*s)++;
        n++;
    }
    *out = v;
    return n > 0 && !(**s >= '0' && **s <= '9');
}

bool cell_date(const char *cell, bool numeric, bool date1904, ymd *out)
{
    char t[64];
    cell_trim(cell, t, sizeof t);
    if (numeric) {
        char *end;
        double v = strtod(t, &end);
        if (end == t || *end || !isfinite(v) || v < 1 || v > 2958465)
            return false;
        long days = (long)floor(v);
        /* 1900 system: serial 1 is 1900-01-01 and 60 the 29 February 1900
         * that never was (Lotus 1-2-3's bug, kept by Excel). */
        long epoch; /* days since 1970-01-01 of serial 0 */
        if (date1904)
            epoch = -24107; /* 1904-01-01 */
        else if (days < 60)
            epoch = -25568; /* 1899-12-31 */
        else if (days == 60)
            return false;
        else
            epoch = -25569; /* 1899-12-30 */
        *out = civil_from_days(epoch + days);
        return true;
    }
    const char *s = t;
    int y, m, d;
    if (!read_int(&s, 4, &y) || y < 1900)
        return false;
    bool chinese = !strncmp(s, "年", 3);
    char sep = *s;
    if (chinese)
        s += 3;
    else if (sep == '/' || sep == '-' || sep == '.')
        s++;
    else
        return false;
    if (!read_int(&s, 2, &m))
        return false;
    if (chinese ? strncmp(s, "月", 3) : *s != sep)
        return false;
    s += chinese ? 3 : 1;
    if (!read_int(&s, 2, &d))
        return false;
    if (chinese && !strncmp(s, "日", 3))
        s += 3;
    if (*s || !ymd_is_real(y, m, d))
        return false;
    *out = (ymd){y, m, d};
    return true;
}

bool cell_phone(const char *cell, bool numeric, char out[12])
{
    char t[64];
    cell_trim(cell, t, sizeof t);
    if (numeric && (strchr(t, 'E') || strchr(t, 'e') || strchr(t, '.'))) {
        char *end;
        double v = strtod(t, &end);
        if (end == t || *end || v < 1e10 || v >= 1e11 || v != floor(v))
            return false;
        snprintf(t, sizeof t, "%.0f", v);
    }
    const char *msg;
    if (check_phone(t, &msg))
        return false;
    memcpy(out, t, 12);
    return true;
}

/* ---------------------------------------------------------------- regions */

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

bool region_name_matches(const char *name, const char *input)
{
    static const char *const suffixes[] = {"省", "市", "县", "区", "盟", "旗", "地区", "特别行政区"};
    size_t n = strlen(input);
    if (!n)
        return false;
    if (!strcmp(name, input))
        return true;
    if (strncmp(name, input, n))
        return false;
    const char *rest = name + n;
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++)
        if (!strcmp(rest, suffixes[i]))
            return true;
    /* 新疆维吾尔自治区, 延边朝鲜族自治州, 长白朝鲜族自治县 */
    return strlen(rest) <= 24 && (ends_with(rest, "自治区") || ends_with(rest, "自治州") || ends_with(rest, "自治县") ||
                                  ends_with(rest, "自治旗"));
}

/* The one child of parent at level matching name; -1 none, -2 several. */
static int find_child(const region_tab *t, const char *parent, char level, const char *input)
{
    int found = -1;
    for (int i = 0; i < t->n; i++) {
        const region_row *r = &t->rows[i];
        if (r->level != level || (parent ? strcmp(r->parent, parent) : r->parent[0] != '\0'))
            continue;
        char nm[128];
        cell_normalize(r->name, nm, sizeof nm);
        if (!region_name_matches(nm, input))
            continue;
        if (!strcmp(nm, input))
            return i; /* an exact name wins over a suffix match */
        found = found == -1 ? i : -2;
    }
    return found;
}

static int only_child(const region_tab *t, const char *parent, char level)
{
    int found = -1;
    for (int i = 0; i < t->n; i++)
        if (t->rows[i].level == level && !strcmp(t->rows[i].parent, parent))
            found = found == -1 ? i : -2;
    return found;
}

region_result region_by_names(const region_tab *t, const char *province, const char *city, const char *county,
                              bool any_level, char code[7], int *which)
{
    char p[128], c[128], k[128];
    cell_normalize(province, p, sizeof p);
    cell_normalize(city, c, sizeof c);
    cell_normalize(county, k, sizeof k);
    *which = 0;
    if (!*p)
        return REGION_REQUIRED;
    int pi = find_child(t, NULL, 'p', p);
    if (pi < 0)
        return pi == -2 ? REGION_AMBIGUOUS : REGION_NOT_FOUND;
    if (any_level && !*c && !*k) {
        memcpy(code, t->rows[pi].code, 7);
        return REGION_OK;
    }
    *which = 1;
    int ci = *c ? find_child(t, t->rows[pi].code, 'c', c) : -1;
    /* 直辖市: 北京市 / 北京市 (or blank, or 市辖区) / 东城区 */
    if (ci == -1 && (!*c || region_name_matches(p, c) || !strcmp(c, p)))
        ci = only_child(t, t->rows[pi].code, 'c');
    if (ci < 0)
        return !*c ? REGION_REQUIRED : ci == -2 ? REGION_AMBIGUOUS : REGION_NOT_FOUND;
    *which = 2;
    if (!*k) {
        if (!t->rows[ci].also_county && !any_level)
            return REGION_REQUIRED;
        memcpy(code, t->rows[ci].code, 7);
        return REGION_OK;
    }
    int ki = find_child(t, t->rows[ci].code, 'k', k);
    if (ki < 0)
        return ki == -2 ? REGION_AMBIGUOUS : REGION_NOT_FOUND;
    memcpy(code, t->rows[ki].code, 7);
    return REGION_OK;
}
