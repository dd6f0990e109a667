/* The bench drivers' HTTP/1.1 client (login_pair.c, rush.c): one keep-alive
 * connection to 127.0.0.1:port from a chosen source address, blocking, with
 * 10 s socket timeouts; a request answers the status and the body. Header
 * only: each driver is one C file built on its own. */
#ifndef STVS_BENCH_HTTPC_H
#define STVS_BENCH_HTTPC_H
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
    int fd, port;
    struct sockaddr_in src;
    char buf[65536];
    size_t len; /* bytes in buf not consumed yet */
} conn_t;

static inline int conn_open(conn_t *c)
{
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->port)};
    inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
    c->len = 0;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    struct timeval tv = {.tv_sec = 10};
    int one = 1;
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (bind(c->fd, (struct sockaddr *)&c->src, sizeof c->src) || connect(c->fd, (struct sockaddr *)&dst, sizeof dst)) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

static inline void conn_close(conn_t *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->len = 0;
}

static inline int fill(conn_t *c)
{
    if (c->len >= sizeof c->buf - 1)
        return -1;
    ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len, 0);
    if (n <= 0)
        return -1;
    c->len += (size_t)n;
    c->buf[c->len] = '\0';
    return 0;
}

/* One request on the kept connection (opened when needed): method, path
 * under /api/v1, extra header lines (each ending in CRLF, or ""), a JSON body
 * (NULL: none). Returns the HTTP status and copies the body (NUL-terminated,
 * cut to bodycap); -1 on a transport error (the connection is then closed). */
static inline int http_request(conn_t *c, const char *method, const char *path, const char *headers,
                               const char *json, char *body, size_t bodycap)
{
    char req[4096];
    int n = json ? snprintf(req, sizeof req,
                            "%s /api/v1%s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sContent-Type: application/json\r\n"
                            "Content-Length: %zu\r\n\r\n%s",
                            method, path, headers, strlen(json), json)
                 : snprintf(req, sizeof req, "%s /api/v1%s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sContent-Length: 0\r\n\r\n",
                            method, path, headers);
    if (n <= 0 || (size_t)n >= sizeof req)
        return -1;
    if (c->fd < 0 && conn_open(c))
        return -1;
    if (send(c->fd, req, (size_t)n, MSG_NOSIGNAL) != n)
        goto fail;
    char *eoh;
    while (!(c->buf[c->len] = '\0', eoh = strstr(c->buf, "\r\n\r\n")))
        if (fill(c))
            goto fail;
    int status = 0;
    if (sscanf(c->buf, "HTTP/1.%*d %d", &status) != 1)
        goto fail;
    size_t hlen = (size_t)(eoh + 4 - c->buf), clen = 0;
    bool chunked = false, close_after = false;
    for (char *h = strstr(c->buf, "\r\n") + 2; h < eoh; h = strstr(h, "\r\n") + 2) {
        if (!strncasecmp(h, "Content-Length:", 15))
            clen = strtoul(h + 15, NULL, 10);
        else if (!strncasecmp(h, "Transfer-Encoding:", 18) && strstr(h, "chunked") && strstr(h, "chunked") < strstr(h, "\r\n"))
            chunked = true;
        else if (!strncasecmp(h, "Connection:", 11) && strcasestr(h, "close") && strcasestr(h, "close") < strstr(h, "\r\n"))
            close_after = true;
    }
    size_t out = 0;
    if (!chunked) {
        while (c->len < hlen + clen)
            if (fill(c))
                goto fail;
        out = clen < bodycap - 1 ? clen : bodycap - 1;
        memcpy(body, c->buf + hlen, out);
        memmove(c->buf, c->buf + hlen + clen, c->len - hlen - clen);
        c->len -= hlen + clen;
    } else { /* nginx does not chunk these answers, but be correct */
        memmove(c->buf, c->buf + hlen, c->len - hlen);
        c->len -= hlen;
        for (;;) {
            char *crlf;
            while (c->buf[c->len] = '\0', !(crlf = strstr(c->buf, "\r\n")))
                if (fill(c))
                    goto fail;
            size_t sz = strtoul(c->buf, NULL, 16), at = (size_t)(crlf + 2 - c->buf);
            while (c->len < at + sz + 2)
                if (fill(c))
                    goto fail;
            size_t take = sz < bodycap - 1 - out ? sz : bodycap - 1 - out;
            memcpy(body + out, c->buf + at, take);
            out += take;
            memmove(c->buf, c->buf + at + sz + 2, c->len - at - sz - 2);
            c->len -= at + sz + 2;
            if (sz == 0)
                break;
        }
    }
    body[out] = '\0';
    if (close_after)
        conn_close(c);
    return status;
fail:
    conn_close(c);
    return -1;
}

#endif
