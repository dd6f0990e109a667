#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "listener.h"
#include "log.h"

int config_str(const char *name, const char *def, const char **out)
{
    const char *v = getenv(name);
    if (!v || !*v)
        v = def;
    if (!v) {
        log_error("configuration: %s is required but not set", name);
        return -1;
    }
    *out = v;
    return 0;
}

int config_int(const char *name, long def, long min, long max, long *out)
{
    const char *v = getenv(name);
    if (!v || !*v) {
        *out = def;
        return 0;
    }
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || n < min || n > max) {
        log_error("configuration: %s must be an integer in [%ld, %ld]", name, min, max);
        return -1;
    }
    *out = n;
    return 0;
}

char *read_file(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(max + 1);
    if (!buf) {
        fclose(f);
        return NULL;
    }
    size_t n = fread(buf, 1, max + 1, f);
    int bad = ferror(f) || n > max;
    fclose(f);
    if (bad) {
        free(buf);
        errno = EFBIG;
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* A random 32-byte key has ~30 distinct byte values; fewer than 16 means a
 * hand-made or zeroed key. */
static bool key_looks_weak(const unsigned char *k, size_t n)
{
    bool seen[256] = {0};
    int distinct = 0;
    for (size_t i = 0; i < n; i++)
        if (!seen[k[i]]) {
            seen[k[i]] = true;
            distinct++;
        }
    return distinct < 16;
}

static int load_data_key(stvs_config *cfg)
{
    const char *path;
    if (config_str("STVS_DATA_KEY_FILE", NULL, &path))
        return -1;
    size_t len;
    char *text = read_file(path, 256, &len);
    if (!text) {
        log_error("configuration: STVS_DATA_KEY_FILE cannot be read (%s)", strerror(errno));
        return -1;
    }
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
        text[--len] = '\0';
    int rc = hex_decode(text, cfg->data_key, DATA_KEY_LEN);
    free(text);
    if (rc) {
        log_error("configuration: STVS_DATA_KEY_FILE must hold exactly 64 hex characters (32 random bytes)");
        return -1;
    }
    if (key_looks_weak(cfg->data_key, DATA_KEY_LEN)) {
        log_error("configuration: STVS_DATA_KEY_FILE holds a weak key; generate one with `openssl rand -hex 32`");
        return -1;
    }
    cfg->has_data_key = true;
    return 0;
}

int config_load_common(stvs_config *cfg, bool need_data_key)
{
    long threads, conns, wait_ms, failback;
    memset(cfg, 0, sizeof *cfg);
    if (config_str("STVS_DB", NULL, &cfg->db_conninfo) || config_str("STVS_LISTEN", NULL, &cfg->listen) ||
        config_int("STVS_THREADS", 256, 1, 1024, &threads) || config_int("STVS_DB_CONNECTIONS", 4, 1, 256, &conns) ||
        config_int("STVS_DB_WAIT_MS", 5000, 1, 60000, &wait_ms) || config_str("STVS_JWT_ISSUER", "stvs", &cfg->issuer) ||
        config_str("STVS_JWT_AUDIENCE", "stvs-api", &cfg->audience) ||
        config_str("STVS_JWT_PUBLIC_KEY_FILE", NULL, &cfg->public_key_file) ||
        config_int("STVS_DB_FAILBACK_SECONDS", 30, 1, 86400, &failback))
        return -1;
    cfg->threads = (int)threads;
    cfg->db_connections = (int)conns;
    cfg->db_wait_ms = wait_ms;
    db_failback_seconds = failback; /* every connection's (common/db.h) */
    listen_spec spec;
    char why[96];
    if (listen_parse(cfg->listen, &spec, why, sizeof why)) {
        log_error("configuration: STVS_LISTEN=%s: %s", cfg->listen, why);
        return -1;
    }
    if (need_data_key && load_data_key(cfg))
        return -1;
    return 0;
}
