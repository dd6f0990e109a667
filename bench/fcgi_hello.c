/* The FastCGI ceiling (bench/README.md): the least a threaded libfcgi
 * responder can do per request, answering a fixed small JSON. It is built
 * like the services (same flags, same library) and run like them: one
 * process, STVS_THREADS threads, each with its own FCGX_Request accepting
 * on one unix socket (STVS_LISTEN) with the same backlog as common/listener.c,
 * and keeping the connection when nginx asks (fastcgi_keep_conn: libfcgi
 * then reads the next request on it, as common/app.c does).
 * What it leaves out is exactly the services' own work: parameters, routing,
 * the bearer check, PostgreSQL, JSON, logging.
 *   STVS_LISTEN=/path/to.sock STVS_THREADS=64 fcgi_hello */
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int listen_fd = -1;

#define BODY "{\"status\":\"ok\",\"hello\":\"fcgi\"}"
static char reply[256];
static int reply_len;

static void *worker(void *arg)
{
    (void)arg;
    FCGX_Request req;
    if (FCGX_InitRequest(&req, listen_fd, 0) != 0)
        return NULL;
    while (FCGX_Accept_r(&req) >= 0) {
        FCGX_PutStr(reply, reply_len, req.out);
        FCGX_Finish_r(&req);
    }
    FCGX_Free(&req, 1);
    return NULL;
}

int main(void)
{
    const char *where = getenv("STVS_LISTEN");
    const char *t = getenv("STVS_THREADS");
    int threads = t ? atoi(t) : 64;
    if (!where || !*where || threads < 1 || threads > 1024) {
        fprintf(stderr, "fcgi_hello: set STVS_LISTEN (socket path or :port) and STVS_THREADS (1..1024)\n");
        return 2;
    }
    /* the headers every service answer carries (common/app.c) */
    reply_len = snprintf(reply, sizeof reply,
                         "Status: 200 OK\r\nCache-Control: no-store\r\n"
                         "Content-Type: application/json; charset=utf-8\r\nContent-Length: %zu\r\n\r\n%s",
                         strlen(BODY), BODY);
    if (FCGX_Init() != 0)
        return 1;
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGUSR1);
    signal(SIGPIPE, SIG_IGN);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    if (where[0] != ':')
        unlink(where);
    if ((listen_fd = FCGX_OpenSocket(where, 1024)) < 0) {
        fprintf(stderr, "fcgi_hello: cannot listen on %s\n", where);
        return 1;
    }
    if (where[0] != ':' && chmod(where, 0660) != 0) {
        perror("fcgi_hello: chmod");
        return 1;
    }
    pthread_t *tids = calloc((size_t)threads, sizeof *tids);
    int started = 0;
    for (; tids && started < threads; started++)
        if (pthread_create(&tids[started], NULL, worker, NULL) != 0)
            break;
    fprintf(stderr, "fcgi_hello: listening on %s with %d threads\n", where, started);
    int sig = 0;
    sigwait(&stop, &sig);
    FCGX_ShutdownPending();
    shutdown(listen_fd, SHUT_RDWR);
    for (int i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    close(listen_fd);
    if (where[0] != ':')
        unlink(where);
    free(tids);
    return 0;
}
