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

#include "body.h"
#include "json_out.h"

static const char *svc = "stvs";
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void log_init(const char *service_name) { svc = service_name; }

/* strftime and gmtime_r once a second per thread: every request logs a line. */
static void now_rfc3339(char *buf, size_t n)
{
    static _Thread_local time_t second = -1;
    static _Thread_local char prefix[32];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != second) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        if (!strftime(prefix, sizeof prefix, "%Y-%m-%dT%H:%M:%S", &tm))
            prefix[0] = '\0';
        second = ts.tv_sec;
    }
    snprintf(buf, n, "%s.%03ldZ", prefix, ts.tv_nsec / 1000000);
}

/* One line and its newline in one writev (stderr is unbuffered: fputs and
 * fputc were two system calls a request, under the lock every thread takes). */
static void write_line(const char *line, size_t len)
{
    struct iovec iov[2] = {{(void *)line, len}, {"\n", 1}};
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
}

/* jansson does the escaping, so no message can break the line format. */
static void emit(json_t *o)
{
    char *line = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(9));
    json_decref(o);
    if (!line)
        return;
    write_line(line, strlen(line));
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

static void string_member(json_out *o, const char *key, const char *value)
{
    jo_key(o, key);
    jo_string(o, value);
}

/* The access line, one a request, written straight out (json_out escapes
 * as jansson does): a jansson object packed and dumped for it was 7% of the
 * activity service's CPU in a sign-up rush (bench/ANALYSIS.md, session 12).
 * A method or path that is not UTF-8 is logged as a placeholder. */
void log_access(const char *req_id, const char *method, const char *path, int status, double dur_ms)
{
    char ts[40], dur[32];
    now_rfc3339(ts, sizeof ts);
    long long us = (long long)(dur_ms * 1000 + 0.5); /* microseconds are enough */
    snprintf(dur, sizeof dur, "%lld.%03lld", us / 1000, us % 1000);
    bool utf8 = (!method || utf8_chars(method) >= 0) && (!path || utf8_chars(path) >= 0);
    json_out o;
    json_out_init(&o);
    jo_open(&o, '{');
    string_member(&o, "ts", ts);
    string_member(&o, "level", "info");
    string_member(&o, "svc", svc);
    string_member(&o, "req_id", req_id ? req_id : "");
    string_member(&o, "method", !utf8 ? "?" : method ? method : "");
    string_member(&o, "path", !utf8 ? "(not utf-8)" : path ? path : "");
    jo_key(&o, "status");
    jo_int(&o, status);
    jo_key(&o, "dur_ms");
    jo_real_text(&o, dur);
    jo_close(&o, '}');
    size_t len;
    const char *line = json_out_text(&o, &len);
    if (line)
        write_line(line, len);
    json_out_free(&o);
}
