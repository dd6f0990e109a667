#define _GNU_SOURCE /* accept4, pipe2 */
#include "listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"

/* A sign-up rush queues more connections than there are threads: past the
 * backlog nginx's connect() fails (EAGAIN) and the client gets a 502 (bench:
 * 762 of 20,000 rush sign-ups with 128, bench/ANALYSIS.md). The kernel caps it
 * at net.core.somaxconn (4096 by default since Linux 5.4). */
#define BACKLOG 1024

static int fail(char *err, size_t n, const char *why)
{
    snprintf(err, n, "%s", why);
    return -1;
}

static bool parse_port(const char *s, int *port)
{
    long v = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > 65535)
            return false;
        v = v * 10 + (*s - '0');
    }
    if (v < 1 || v > 65535)
        return false;
    *port = (int)v;
    return true;
}

int listen_parse(const char *value, listen_spec *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *colon = value ? strrchr(value, ':') : NULL;
    if (!value || !*value)
        return fail(err, errlen, "empty");
    if (value[0] == '/' || !colon) {
        if (strlen(value) >= sizeof out->path)
            return fail(err, errlen, "a unix socket path must be under 108 bytes");
        out->kind = LISTEN_UNIX;
        snprintf(out->path, sizeof out->path, "%s", value);
        return 0;
    }
    out->kind = LISTEN_TCP;
    if (!parse_port(colon + 1, &out->port))
        return fail(err, errlen, "the port must be a number from 1 to 65535");
    size_t hlen = (size_t)(colon - value);
    const char *host = value;
    if (hlen == 0) { /* ":port": loopback, never every interface by accident */
        out->family = AF_INET;
        snprintf(out->host, sizeof out->host, "127.0.0.1");
        return 0;
    }
    if (host[0] == '[') {
        if (hlen < 3 || host[hlen - 1] != ']')
            return fail(err, errlen, "an IPv6 address goes in brackets: [::1]:port");
        host++, hlen -= 2;
        out->family = AF_INET6;
    } else {
        out->family = AF_INET;
    }
    if (hlen >= sizeof out->host)
        return fail(err, errlen, "the address is too long");
    memcpy(out->host, host, hlen);
    out->host[hlen] = '\0';
    unsigned char buf[sizeof(struct in6_addr)];
    if (inet_pton(out->family, out->host, buf) != 1)
        return fail(err, errlen, out->family == AF_INET6 ? "not a numeric IPv6 address"
                                                         : "not a numeric IPv4 address (IPv6 goes in brackets)");
    return 0;
}

/* Whether a process accepts connections on the unix socket at path: a
 * non-blocking connect succeeds (or finds its backlog full) only then. */
static bool unix_socket_live(const struct sockaddr_un *sa)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    int rc = connect(fd, (const struct sockaddr *)sa, sizeof *sa);
    bool live = rc == 0 || errno == EAGAIN || errno == EINPROGRESS;
    close(fd);
    return live;
}

static int open_unix(listener_t *l)
{
    const char *path = l->spec.path;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct stat st;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            log_error("STVS_LISTEN=%s exists and is not a socket: refusing to replace it", path);
            return -1;
        }
        if (unix_socket_live(&sa)) {
            log_error("STVS_LISTEN=%s: another process is listening on this socket; refusing to start", path);
            return -1;
        }
        unlink(path); /* stale: left by a process that died */
    }
    l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (l->fd < 0 || bind(l->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        /* EADDRINUSE: another process bound it since the check */
        log_error("cannot bind STVS_LISTEN=%s: %s", path, strerror(errno));
        return -1;
    }
    /* nginx's workers reach the socket through the group, not the world */
    if (chmod(path, 0660) != 0 || lstat(path, &st) != 0) {
        log_error("cannot chmod STVS_LISTEN=%s: %s", path, strerror(errno));
        unlink(path);
        return -1;
    }
    l->dev = st.st_dev;
    l->ino = st.st_ino;
    return 0;
}

static int open_tcp(listener_t *l)
{
    const listen_spec *s = &l->spec;
    struct sockaddr_storage ss = {0};
    socklen_t len;
    int one = 1;
    if (s->family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)s->port);
        inet_pton(AF_INET6, s->host, &a->sin6_addr);
        len = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)s->port);
        inet_pton(AF_INET, s->host, &a->sin_addr);
        len = sizeof *a;
    }
    l->fd = socket(s->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (l->fd < 0 || setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        (s->family == AF_INET6 && setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) ||
        bind(l->fd, (struct sockaddr *)&ss, len) != 0) {
        log_error("cannot bind STVS_LISTEN (%s port %d): %s", s->host, s->port, strerror(errno));
        return -1;
    }
    return 0;
}

int listener_open(listener_t *l, const char *value)
{
    char err[96];
    memset(l, 0, sizeof *l);
    l->fd = l->wake[0] = l->wake[1] = -1;
    atomic_init(&l->draining, false);
    if (pthread_mutex_init(&l->accept_lock, NULL) != 0) {
        log_error("cannot make the listener's lock");
        return -1;
    }
    l->accept_lock_made = true;
    if (listen_parse(value, &l->spec, err, sizeof err)) {
        log_error("configuration: STVS_LISTEN=%s: %s", value ? value : "", err);
        return -1;
    }
    if (pipe2(l->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        log_error("pipe: %s", strerror(errno));
        return -1;
    }
    if ((l->spec.kind == LISTEN_UNIX ? open_unix(l) : open_tcp(l)) != 0)
        return -1;
    if (listen(l->fd, BACKLOG) != 0) {
        log_error("cannot listen on STVS_LISTEN=%s: %s", value, strerror(errno));
        return -1;
    }
    return 0;
}

static int accept_next(listener_t *l)
{
    for (;;) {
        /* the listener is non-blocking (the drain must see an empty queue);
         * the accepted connection is blocking, as libfcgi expects */
        int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0) {
            int one = 1;
            if (l->spec.kind == LISTEN_TCP) /* answers go out whole: no Nagle delay */
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            metrics_connection_accepted();
            return fd;
        }
        if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
            continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            log_error("accept: %s; trying again in 100 ms", strerror(errno));
            nanosleep(&(struct timespec){0, 100 * 1000000L}, NULL);
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            log_error("accept: %s", strerror(errno));
            return -1;
        }
        if (atomic_load(&l->draining))
            return -1; /* the backlog is empty */
        struct pollfd p[2] = {{.fd = l->fd, .events = POLLIN}, {.fd = l->wake[0], .events = POLLIN}};
        if (poll(p, 2, -1) < 0 && errno != EINTR) {
            log_error("poll: %s", strerror(errno));
            return -1;
        }
    }
}

int listener_accept(listener_t *l)
{
    pthread_mutex_lock(&l->accept_lock);
    int fd = accept_next(l);
    pthread_mutex_unlock(&l->accept_lock);
    return fd;
}

/* A stop must not wait for nginx's idle timeout on the connections it keeps,
 * nor close one under a request nginx is sending: nginx does not replay a
 * POST it has sent (upstream-policy.conf), and a worker cannot know whether
 * nginx has just taken the connection from its cache. So the worker asks
 * nginx to close it: an empty FCGI_STDERR record of request 1. nginx closes
 * a cached connection on any byte from the upstream (its keepalive close
 * handler); one it has just taken for a request reads the record as the
 * start of the answer and ignores it (an empty stderr record is valid before
 * the headers), and the worker answers that request before asking again. */
static const unsigned char let_go[8] = {1 /* version */, 7 /* FCGI_STDERR */, 0, 1 /* request 1 */, 0, 0, 0, 0};

/* How long a stop waits for the peer to close a kept connection it was asked
 * for: nginx does at once; another client that ignores the record gets a
 * shutdown instead (it has sent nothing on the connection meanwhile). */
#define LET_GO_MS 5000

void listener_wait_kept(listener_t *l, int fd)
{
    bool asked = false;
    for (;;) {
        if (!asked && atomic_load(&l->draining)) {
            /* EPIPE: nginx has closed it already, which the poll below sees */
            if (send(fd, let_go, sizeof let_go, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno != EPIPE &&
                errno != ECONNRESET)
                log_error("cannot ask nginx to close a kept connection: %s", strerror(errno));
            asked = true;
        }
        /* the wake pipe only until asked: it stays readable once the drain began */
        struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = l->wake[0], .events = POLLIN}};
        int n = poll(p, asked ? 1 : 2, asked ? LET_GO_MS : -1);
        if (n < 0 && errno != EINTR) {
            log_error("poll: %s", strerror(errno));
            return; /* libfcgi's read finds out what is wrong */
        }
        if (n > 0 && p[0].revents)
            return;
        if (n == 0) { /* asked, and nothing came back: libfcgi's read sees the end */
            log_error("a kept connection was not let go within %d ms of the stop: closing it", LET_GO_MS);
            if (shutdown(fd, SHUT_RDWR) != 0)
                log_error("shutdown: %s", strerror(errno));
            return;
        }
    }
}

void listener_stop(listener_t *l)
{
    struct stat st;
    /* The path goes first, and only if it is still ours (a new process may
     * have replaced it already): new connects fail, queued ones stay. */
    if (l->spec.kind == LISTEN_UNIX && lstat(l->spec.path, &st) == 0 && st.st_dev == l->dev && st.st_ino == l->ino)
        unlink(l->spec.path);
    /* a connect that found the path just before it went is queued within
     * microseconds: let it land before the drain looks for an empty queue */
    nanosleep(&(struct timespec){0, 50 * 1000000L}, NULL);
    atomic_store(&l->draining, true);
    if (write(l->wake[1], "x", 1) != 1) /* never read: it wakes every poll() from now on */
        log_error("cannot wake the workers: %s", strerror(errno));
}

void listener_close(listener_t *l)
{
    if (l->fd >= 0)
        close(l->fd);
    for (int i = 0; i < 2; i++)
        if (l->wake[i] >= 0)
            close(l->wake[i]);
    l->fd = l->wake[0] = l->wake[1] = -1;
    if (l->accept_lock_made)
        pthread_mutex_destroy(&l->accept_lock);
    l->accept_lock_made = false;
}
