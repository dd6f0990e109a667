/* Configuration comes from the environment only (12-factor); every service
 * refuses to start on a missing or weak value and names the variable. */
#ifndef STVS_CONFIG_H
#define STVS_CONFIG_H
#include <stdbool.h>
#include "crypto.h"

typedef struct {
    const char *db_conninfo;   /* STVS_DB: libpq conninfo */
    const char *listen;        /* STVS_LISTEN: a unix socket path, host:port, [v6]:port, or :port
                                  (loopback only); common/listener.h */
    int threads;               /* STVS_THREADS: accepting threads (FastCGI connections), no database of their own */
    int db_connections;        /* STVS_DB_CONNECTIONS: the process's pool of PostgreSQL connections */
    long db_wait_ms;           /* STVS_DB_WAIT_MS: how long a request waits for a free one, then 503 */
    const char *issuer;        /* STVS_JWT_ISSUER */
    const char *audience;      /* STVS_JWT_AUDIENCE */
    const char *public_key_file; /* STVS_JWT_PUBLIC_KEY_FILE */
    bool has_data_key;
    unsigned char data_key[DATA_KEY_LEN]; /* STVS_DATA_KEY_FILE, 64 hex characters */
} stvs_config;

/* Each returns 0, or -1 after logging which variable is wrong. */
int config_str(const char *name, const char *def, const char **out);
int config_int(const char *name, long def, long min, long max, long *out);
int config_load_common(stvs_config *cfg, bool need_data_key);
/* Reads a whole small file; caller frees. NULL and errno on failure. */
char *read_file(const char *path, size_t max, size_t *len);

#endif
