#include "route.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "scan.h"

/* Matches path against pattern segment by segment, capturing {id}s. */
static bool match(const char *pattern, const char *path, long long *ids, int *nids)
{
    const char *p = pattern, *s = path;
    *nids = 0;
    while (*p && *s) {
        if (*p != '/' || *s != '/')
            return false;
        p++, s++;
        const char *pend = strchr(p, '/'), *send = strchr(s, '/');
        size_t plen = pend ? (size_t)(pend - p) : strlen(p);
        size_t slen = send ? (size_t)(send - s) : strlen(s);
        if (plen == 4 && !memcmp(p, "{id}", 4)) {
            long long v;
            if (*nids == MAX_PATH_PARAMS || !scan_id(s, slen, &v))
                return false; /* an id that is not scan_id()'s matches no route: 404 */
            ids[(*nids)++] = v;
        } else if (plen != slen || memcmp(p, s, plen)) {
            return false;
        }
        p += plen, s += slen;
    }
    return *p == '\0' && *s == '\0';
}

route_result route_match(const route_t *routes, size_t n, req_t *r, const route_t **found, char *allow,
                         size_t allowlen)
{
    long long ids[MAX_PATH_PARAMS];
    int nids;
    size_t used = 0;
    bool path_known = false;
    allow[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (!match(routes[i].pattern, r->path, ids, &nids))
            continue;
        if (!strcmp(routes[i].method, r->method)) {
            memcpy(r->path_ids, ids, sizeof ids);
            r->npath_ids = nids;
            *found = &routes[i];
            return ROUTE_FOUND;
        }
        if (!strstr(allow, routes[i].method)) {
            int w = snprintf(allow + used, allowlen - used, "%s%s", used ? ", " : "", routes[i].method);
            if (w > 0 && (size_t)w < allowlen - used)
                used += (size_t)w;
        }
        path_known = true;
    }
    return path_known ? ROUTE_BAD_METHOD : ROUTE_NOT_FOUND;
}
