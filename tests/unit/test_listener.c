/* STVS_LISTEN: its forms, a socket path a live process holds, a stale one,
 * and the drain (what is queued is still accepted after the stop). */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "listener.h"

static void test_parse(void)
{
    static const struct {
        const char *name, *value;
        int rc;
        listen_kind kind;
        int family;
        const char *host_or_path;
        int port;
    } cases[] = {
        {"an absolute path is a unix socket", "/run/stvs/auth.sock", 0, LISTEN_UNIX, 0, "/run/stvs/auth.sock", 0},
        {"a path may hold a colon after its slash", "/tmp/a:b.sock", 0, LISTEN_UNIX, 0, "/tmp/a:b.sock", 0},
        {"a relative name without a colon is a unix socket", "auth.sock", 0, LISTEN_UNIX, 0, "auth.sock", 0},
        {"host:port binds that IPv4 address", "127.0.0.1:9001", 0, LISTEN_TCP, AF_INET, "127.0.0.1", 9001},
        {"0.0.0.0:port binds every interface, when said", "0.0.0.0:9001", 0, LISTEN_TCP, AF_INET, "0.0.0.0", 9001},
        {":port is loopback only", ":9001", 0, LISTEN_TCP, AF_INET, "127.0.0.1", 9001},
        {"[v6]:port binds that IPv6 address", "[::1]:9002", 0, LISTEN_TCP, AF_INET6, "::1", 9002},
        {"[::]:port binds every IPv6 interface", "[::]:65535", 0, LISTEN_TCP, AF_INET6, "::", 65535},
        {"port 0 is refused", "127.0.0.1:0", -1, 0, 0, NULL, 0},
        {"a port over 65535 is refused", "127.0.0.1:65536", -1, 0, 0, NULL, 0},
        {"a port with a sign is refused", "127.0.0.1:+80", -1, 0, 0, NULL, 0},
        {"a port that is not a number is refused", "127.0.0.1:http", -1, 0, 0, NULL, 0},
        {"no port is refused", "127.0.0.1:", -1, 0, 0, NULL, 0},
        {"a host name is refused (numeric addresses only)", "localhost:9001", -1, 0, 0, NULL, 0},
        {"a bare IPv6 address is refused (brackets)", "::1:9001", -1, 0, 0, NULL, 0},
        {"an unclosed bracket is refused", "[::1:9001", -1, 0, 0, NULL, 0},
        {"an IPv4 address in brackets is refused", "[127.0.0.1]:9001", -1, 0, 0, NULL, 0},
        {"an empty value is refused", "", -1, 0, 0, NULL, 0},
    };
    for (size_t i = 0; i < NELEM(cases); i++) {
        listen_spec s;
        char err[96] = "";
        int rc = listen_parse(cases[i].value, &s, err, sizeof err);
        bool ok = rc == cases[i].rc;
        if (ok && rc == 0) {
            ok = s.kind == cases[i].kind;
            if (s.kind == LISTEN_UNIX)
                ok = ok && !strcmp(s.path, cases[i].host_or_path);
            else
                ok = ok && s.family == cases[i].family && !strcmp(s.host, cases[i].host_or_path) &&
                     s.port == cases[i].port;
        }
        if (ok && rc != 0)
            ok = err[0] != '\0';
        CHECK(cases[i].name, ok);
    }
    listen_spec s;
    char err[96];
    char longpath[200];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[0] = '/';
    longpath[sizeof longpath - 1] = '\0';
    CHECK("a unix path too long for sun_path is refused", listen_parse(longpath, &s, err, sizeof err) == -1);
}

static int connect_to(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* A new folder (dir: a mkdtemp template) and the socket path in it. */
static bool socket_in_new_dir(char *dir, char *path, size_t size)
{
    if (!mkdtemp(dir)) {
        CHECK("mkdtemp", false);
        return false;
    }
    snprintf(path, size, "%s/svc.sock", dir);
    return true;
}

static void test_unix_socket(void)
{
    char dir[] = "/tmp/stvs-listener-XXXXXX", path[64];
    if (!socket_in_new_dir(dir, path, sizeof path))
        return;
    listener_t a, b, c;
    struct stat st;
    CHECK("a free path is taken", listener_open(&a, path) == 0);
    CHECK("the socket is 0660", stat(path, &st) == 0 && (st.st_mode & 0777) == 0660);
    CHECK("a second process on a live socket refuses to start", listener_open(&b, path) == -1);
    listener_close(&b);
    CHECK("the refused start left the first one's socket answering", stat(path, &st) == 0 && S_ISSOCK(st.st_mode));
    int c1 = connect_to(path), c2 = connect_to(path);
    CHECK("connections queue in the backlog", c1 >= 0 && c2 >= 0);
    listener_stop(&a);
    CHECK("a stop removes the path: new connects fail at once", stat(path, &st) != 0 && connect_to(path) == -1);
    /* queued: the refused start's probe, then c1 and c2 */
    int fds[4], n = 0;
    while (n < 4 && (fds[n] = listener_accept(&a)) >= 0)
        n++;
    CHECK("a stop still accepts what was queued, then reports the queue empty", n == 3);
    for (int i = 0; i < n; i++)
        close(fds[i]);
    close(c1), close(c2);
    listener_close(&a);

    /* a process that died: its socket file stays, nobody listens */
    int dead = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    bool made = dead >= 0 && bind(dead, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(dead, 1) == 0;
    close(dead);
    CHECK("a stale socket file is replaced", made && listener_open(&c, path) == 0 && connect_to(path) >= 0);
    listener_stop(&c);
    listener_close(&c);

    FILE *f = fopen(path, "w");
    if (f)
        fclose(f);
    CHECK("a file that is not a socket is never replaced", listener_open(&b, path) == -1 && stat(path, &st) == 0 &&
                                                              S_ISREG(st.st_mode));
    listener_close(&b);
    unlink(path);
    rmdir(dir);
}

static void test_tcp_loopback(void)
{
    listener_t l;
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    /* port 0 is refused by the parser; bind one the kernel picks, then reuse it */
    int probe = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in any = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (probe < 0 || bind(probe, (struct sockaddr *)&any, sizeof any) != 0 ||
        getsockname(probe, (struct sockaddr *)&sa, &len) != 0) {
        CHECK("probe port", false);
        return;
    }
    close(probe);
    char spec[32];
    snprintf(spec, sizeof spec, ":%d", ntohs(sa.sin_port));
    CHECK(":port listens", listener_open(&l, spec) == 0);
    len = sizeof sa;
    CHECK(":port is bound to 127.0.0.1, not every interface",
          getsockname(l.fd, (struct sockaddr *)&sa, &len) == 0 && sa.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    listener_stop(&l);
    CHECK("an empty queue after a stop ends the worker at once", listener_accept(&l) == -1);
    listener_close(&l);
}

/* Idle workers take turns on the socket (one polls, the others wait on the
 * lock): every connection is still accepted by exactly one of them, and a
 * stop ends all of them. */
#define TAKERS 16
typedef struct {
    listener_t *l;
    int accepted;
} taker;

static void *take_all(void *arg)
{
    taker *t = arg;
    int fd;
    while ((fd = listener_accept(t->l)) >= 0) {
        t->accepted++;
        close(fd);
    }
    return NULL;
}

static void test_workers_take_turns(void)
{
    char dir[] = "/tmp/stvs-listener-XXXXXX", path[64];
    if (!socket_in_new_dir(dir, path, sizeof path))
        return;
    listener_t l;
    CHECK("a socket for the takers", listener_open(&l, path) == 0);
    taker takers[TAKERS];
    pthread_t threads[TAKERS];
    for (int i = 0; i < TAKERS; i++) {
        takers[i] = (taker){.l = &l};
        pthread_create(&threads[i], NULL, take_all, &takers[i]);
    }
    int clients[40], connected = 0;
    for (int i = 0; i < 40; i++) {
        clients[i] = connect_to(path);
        connected += clients[i] >= 0;
        if (i % 10 == 9)
            usleep(20 * 1000); /* some arrive while the takers wait, some while they are queued */
    }
    usleep(100 * 1000);
    listener_stop(&l);
    int accepted = 0;
    for (int i = 0; i < TAKERS; i++) {
        pthread_join(threads[i], NULL); /* hangs here if a stop leaves a taker waiting */
        accepted += takers[i].accepted;
    }
    /* reached only if the stop ended every taker, the one polling and those waiting their turn */
    CHECK("16 idle workers accept each of 40 connections once, then a stop ends them all",
          connected == 40 && accepted == 40);
    for (int i = 0; i < 40; i++)
        if (clients[i] >= 0)
            close(clients[i]);
    listener_close(&l);
    rmdir(dir);
}

int main(void)
{
    test_parse();
    test_unix_socket();
    test_tcp_loopback();
    test_workers_take_turns();
    return CHECK_DONE();
}
