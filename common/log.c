#include "log.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static const char *svc = "stvs";
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void log_init(const char *service_name) { svc = service_name; }

static void now_rfc3339(char *buf, size_t n)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t len = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + len, n - len, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* jansson does the escaping, so no message can break the line format. The
 * line and its newline go out in one writev (stderr is unbuffered: fputs and
 * fputc were two system calls a request, under the lock every thread takes). */
static void emit(json_t *o)
{
    char *line = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(9));
    json_decref(o);
    if (!line)
        return;
    struct iovec iov[2] = {{line, strlen(line)}, {"\n", 1}};
    int at = 0;
    pthread_mutex_lock(&log_lock);
    while (at < 2) {
        ssize_t n = writev(STDERR_FILENO, iov + at, 2 - at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* nowhere to log to: nothing better to do than drop the line */
        size_t done = (size_t)n; /* a short write: skip what went out */
        while (at < 2 && done >= iov[at].iov_len)
            done -= iov[at++].iov_len;
        if (at < 2) {
            iov[at].iov_base = (char *)iov[at].iov_base + done;
            iov[at].iov_len -= done;
        }
    }
    pthread_mutex_unlock(&log_lock);
    free(line);
}

void log_msg(const char *level, const char *req_id, const char *fmt, ...)
{
    char ts[40], msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    now_rfc3339(ts, sizeof ts);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "ts", ts, "level", level, "svc", svc, "msg", msg);
    if (!o)
        return;
    if (req_id)
        json_object_set_new(o, "req_id", json_string(req_id));
    emit(o);
}

void log_access(const char *req_id, const char *method, const char *path, int status, double dur_ms)
{
    char ts[40];
    dur_ms = (double)(long long)(dur_ms * 1000 + 0.5) / 1000; /* microseconds are enough */
    now_rfc3339(ts, sizeof ts);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:f}", "ts", ts, "level", "info", "svc", svc,
                          "req_id", req_id ? req_id : "", "method", method ? method : "", "path",
                          path ? path : "", "status", status, "dur_ms", dur_ms);
    if (!o) /* a path that is not valid UTF-8 */
        o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:f}", "ts", ts, "level", "info", "svc", svc,
                      "req_id", req_id ? req_id : "", "method", "?", "path", "(not utf-8)", "status", status,
                      "dur_ms", dur_ms);
    if (o)
        emit(o);
}
