/* The access line (common/log.c): one JSON object per line on stderr, every
 * field present and escaped, a path that is not UTF-8 replaced, the
 * duration in milliseconds to the microsecond. Each case sends stderr to a
 * temporary file, logs, and reads the lines back with jansson. */
#include "check.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* The lines log_access wrote for the calls in fn, parsed; NULL when stderr
 * could not be redirected. The caller frees the array. */
static json_t *logged(void (*fn)(void))
{
    FILE *tmp = tmpfile();
    int saved = dup(STDERR_FILENO);
    if (!tmp || saved < 0 || dup2(fileno(tmp), STDERR_FILENO) < 0)
        return NULL;
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(tmp);
    json_t *lines = json_array();
    char buf[4096];
    while (fgets(buf, sizeof buf, tmp)) {
        json_t *line = json_loads(buf, 0, NULL);
        json_array_append_new(lines, line ? line : json_string("(not JSON)"));
    }
    fclose(tmp);
    return lines;
}

/* A string member of a logged line, or absent when it is missing. */
static const char *field(const json_t *line, const char *key, const char *absent)
{
    const char *v = json_string_value(json_object_get(line, key));
    return v ? v : absent;
}

static void plain_request(void) { log_access("req-1", "GET", "/activities/7", 200, 5.0464); }
static void awkward_path(void) { log_access("req-2", "POST", "/a\"b\\c\n", 409, 0.74); }
static void not_utf8_path(void) { log_access(NULL, "GET", "/a\xff", 404, 12); }

static void test_access_line_has_every_field(void)
{
    json_t *lines = logged(plain_request);
    json_t *l = json_array_get(lines, 0);
    CHECK("one line per request", json_array_size(lines) == 1);
    CHECK("svc is the service's name", !strcmp(field(l, "svc", ""), "unit"));
    CHECK("level info", !strcmp(field(l, "level", ""), "info"));
    CHECK("req_id kept", !strcmp(field(l, "req_id", ""), "req-1"));
    CHECK("method kept", !strcmp(field(l, "method", ""), "GET"));
    CHECK("path kept", !strcmp(field(l, "path", ""), "/activities/7"));
    CHECK("status a number", json_integer_value(json_object_get(l, "status")) == 200);
    CHECK("dur_ms to the microsecond", json_real_value(json_object_get(l, "dur_ms")) == 5.046);
    const char *ts = json_string_value(json_object_get(l, "ts"));
    CHECK("ts is RFC 3339 UTC with milliseconds",
          ts && strlen(ts) == 24 && ts[4] == '-' && ts[10] == 'T' && ts[19] == '.' && ts[23] == 'Z');
    json_decref(lines);
}

static void test_access_line_escapes_the_path(void)
{
    json_t *lines = logged(awkward_path);
    json_t *l = json_array_get(lines, 0);
    CHECK("quote, backslash and newline survive as one line", json_array_size(lines) == 1);
    CHECK("path read back as it was", !strcmp(field(l, "path", ""), "/a\"b\\c\n"));
    CHECK("a sub-millisecond duration", json_real_value(json_object_get(l, "dur_ms")) == 0.74);
    json_decref(lines);
}

static void test_access_line_replaces_a_path_not_utf8(void)
{
    json_t *lines = logged(not_utf8_path);
    json_t *l = json_array_get(lines, 0);
    CHECK("still one JSON line", json_array_size(lines) == 1 && json_is_object(l));
    CHECK("path replaced", !strcmp(field(l, "path", ""), "(not utf-8)"));
    CHECK("no request id: empty", !strcmp(field(l, "req_id", "?"), ""));
    CHECK("a whole number of ms is a real", json_is_real(json_object_get(l, "dur_ms")) &&
                                                 json_real_value(json_object_get(l, "dur_ms")) == 12.0);
    json_decref(lines);
}

int main(void)
{
    log_init("unit");
    test_access_line_has_every_field();
    test_access_line_escapes_the_path();
    test_access_line_replaces_a_path_not_utf8();
    return CHECK_DONE();
}
