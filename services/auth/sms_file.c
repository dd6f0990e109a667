/* The development outbox: one JSON line per message, appended with a single
 * write() on an O_APPEND descriptor so concurrent workers never interleave. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sms.h"

typedef struct {
    sms_sender base;
    int fd;
} file_sender;

static sms_status file_send(sms_sender *self, const char *phone, const char *code, const char *purpose, char *err,
                            size_t errlen)
{
    file_sender *fs = (file_sender *)self;
    char sent_at[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(sent_at, sizeof sent_at, "%Y-%m-%dT%H:%M:%S%z", &tm);
    /* %z gives +0800; RFC 3339 wants +08:00 */
    size_t n = strlen(sent_at);
    if (n >= 5 && n + 2 <= sizeof sent_at) {
        memmove(sent_at + n - 1, sent_at + n - 2, 3);
        sent_at[n - 2] = ':';
    }
    json_t *line = json_pack("{s:s, s:s, s:s, s:s}", "phone", phone, "code", code, "purpose", purpose, "sent_at",
                             sent_at);
    char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;
    json_decref(line);
    if (!text) {
        snprintf(err, errlen, "outbox: out of memory");
        return SMS_FAILED;
    }
    size_t len = strlen(text);
    text[len] = '\n'; /* json_dumps left room: replace the NUL, write len+1 */
    ssize_t w = write(fs->fd, text, len + 1);
    int saved = errno;
    free(text);
    if (w != (ssize_t)(len + 1)) {
        snprintf(err, errlen, "outbox: write failed (%s)", w < 0 ? strerror(saved) : "short write");
        return SMS_FAILED;
    }
    return SMS_OK;
}

static void file_destroy(sms_sender *self)
{
    file_sender *fs = (file_sender *)self;
    close(fs->fd);
    free(fs);
}

sms_sender *sms_file_new(const char *path, char *err, size_t errlen)
{
    file_sender *fs = calloc(1, sizeof *fs);
    if (!fs) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    fs->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fs->fd < 0) {
        snprintf(err, errlen, "cannot open SMS_OUTBOX (%s)", strerror(errno));
        free(fs);
        return NULL;
    }
    fs->base.send = file_send;
    fs->base.destroy = file_destroy;
    return &fs->base;
}
