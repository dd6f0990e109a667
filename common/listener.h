/* The service's listening socket (STVS_LISTEN), accepted by the worker
 * threads themselves so that a stop can drain it:
 *  - "/path/x.sock" (or any value without a colon): a unix socket, 0660.
 *    A live process already answering on the path makes the start fail;
 *    a stale socket file (nobody listening) is replaced.
 *  - "host:port", "[v6addr]:port": TCP on that numeric address;
 *    ":port" is loopback only (127.0.0.1); bind every interface only by
 *    saying so: "0.0.0.0:port" or "[::]:port".
 * Stopping (listener_stop) first removes the unix socket's path, so a
 * connect() from nginx fails at once (ENOENT) and nginx tries its next
 * upstream, POSTs included since nothing was sent; the connections already
 * queued in the backlog are still accepted until accept() would block, and
 * the FastCGI connections nginx keeps are let go (listener_wait_kept). */
#ifndef STVS_LISTENER_H
#define STVS_LISTENER_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef enum { LISTEN_UNIX, LISTEN_TCP } listen_kind;

typedef struct {
    listen_kind kind;
    char path[108];  /* LISTEN_UNIX: sun_path's size */
    int family;      /* LISTEN_TCP: AF_INET or AF_INET6 */
    char host[46];   /* LISTEN_TCP: the numeric address (INET6_ADDRSTRLEN) */
    int port;
} listen_spec;

typedef struct {
    listen_spec spec;
    int fd;          /* non-blocking; one worker at a time waits in poll() on it */
    pthread_mutex_t accept_lock; /* held by the worker waiting for the next connection */
    bool accept_lock_made;
    int wake[2];     /* a pipe made readable once, to wake every waiting worker for the drain */
    dev_t dev;       /* the socket file this process made: removed only if still ours */
    ino_t ino;
    atomic_bool draining;
} listener_t;

/* Parses STVS_LISTEN. 0, or -1 with a reason in err. Pure: unit-tested. */
int listen_parse(const char *value, listen_spec *out, char *err, size_t errlen);
/* 0, or -1 after logging why (in use by a live process, cannot bind...). */
int listener_open(listener_t *l, const char *value);
/* A connected, blocking socket; -1 once draining and nothing is queued
 * (the worker then ends). The idle workers take turns: one waits on the
 * socket, the others on a lock, so a new connection wakes one thread, not
 * all of them (256 threads polling the socket cost the detail a fifth of its
 * throughput: bench/ANALYSIS.md). */
int listener_accept(listener_t *l);
/* Between two requests on a connection nginx keeps (fastcgi_keep_conn and
 * an upstream keepalive): returns once fd has something to read, the next
 * request or nginx's close. While draining, it first asks nginx to let the
 * connection go (listener.c says how, without losing a request nginx is
 * sending on it at that moment). */
void listener_wait_kept(listener_t *l, int fd);
/* Stops taking new connections (the unix path goes) and starts the drain. */
void listener_stop(listener_t *l);
void listener_close(listener_t *l);

#endif
