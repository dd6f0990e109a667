/* The login pair, driven the way a person logs in (bench/README.md): POST
 * /auth/sms-codes, read the code from the development SMS outbox, POST
 * /auth/sessions with it. wrk cannot do this (a Lua script cannot tie a
 * response to its connection, nor wait for the outbox), so this small,
 * bounded driver does: N workers, each one keep-alive HTTP/1.1 connection to
 * 127.0.0.1 from its own loopback source address (127.0.2.<k>, one client
 * address per simulated person, as nginx's $remote_addr sees it), and one
 * thread tailing the outbox (inotify) that hands each code to the worker
 * waiting for that phone. Phones are taken in turn from a file (existing
 * users), so no phone is asked twice within the resend cooldown.
 *
 *   login_pair --port P --outbox FILE --phones FILE [--concurrency 64] [--one-address]
 *              (--duration SECONDS --json OUT | --tokens-out FILE)
 *
 * --duration: pairs until the time is up; writes pairs/s and latencies
 *   (pair, sms-codes leg, outbox wait, sessions leg) as JSON.
 * --tokens-out: logs every phone in once and writes the access tokens, one a
 *   line in the order of the phones file (the bench's prepared tokens).
 * --one-address: every worker connects from 127.0.0.1, as when every client
 *   reaches nginx through one proxy or NAT address.
 * Everything is bounded: socket timeouts of 10 s, an outbox wait of 5 s, and
 * an alarm that ends the process if it runs 120 s past what it was asked. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "httpc.h"

#define MAX_WORKERS 250
#define CODE_WAIT_MS 5000

static int port, concurrency = 64, duration, one_address;
static const char *outbox_path, *phones_path, *json_path, *tokens_path;
static char **phones;
static size_t nphones;
static atomic_size_t next_phone;
static atomic_bool stop_now;
static double t_end; /* monotonic seconds: no new pair after this */
static char **tokens;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *msg)
{
    fprintf(stderr, "login_pair: %s\n", msg);
    exit(2);
}

/* ------------------------------------------------------------ outbox tailer */

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char phone[16];
    char code[8];
    bool waiting, ready;
} slot_t;

static slot_t slots[MAX_WORKERS];

static void deliver(const char *line)
{
    const char *p = strstr(line, "\"phone\":\""), *c = strstr(line, "\"code\":\"");
    if (!p || !c)
        return;
    p += 9;
    c += 8;
    const char *pe = strchr(p, '"'), *ce = strchr(c, '"');
    if (!pe || !ce || pe - p >= 16 || ce - c >= 8)
        return;
    for (int k = 0; k < concurrency; k++) {
        slot_t *s = &slots[k];
        pthread_mutex_lock(&s->mu);
        if (s->waiting && !s->ready && strlen(s->phone) == (size_t)(pe - p) && !memcmp(s->phone, p, (size_t)(pe - p))) {
            memcpy(s->code, c, (size_t)(ce - c));
            s->code[ce - c] = '\0';
            s->ready = true;
            pthread_cond_signal(&s->cv);
        }
        pthread_mutex_unlock(&s->mu);
    }
}

static void *tailer(void *arg)
{
    int fd = *(int *)arg;
    int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (in < 0 || inotify_add_watch(in, outbox_path, IN_MODIFY) < 0)
        die("inotify on the outbox failed");
    static char buf[1 << 20];
    size_t have = 0;
    while (!atomic_load(&stop_now)) {
        ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
        if (n > 0) {
            have += (size_t)n;
            buf[have] = '\0';
            char *line = buf, *nl;
            while ((nl = strchr(line, '\n'))) {
                *nl = '\0';
                deliver(line);
                line = nl + 1;
            }
            have = (size_t)(buf + have - line);
            memmove(buf, line, have);
            if (have == sizeof buf - 1)
                have = 0; /* a line longer than 1 MiB is not an outbox line */
            continue;
        }
        struct pollfd pf = {.fd = in, .events = POLLIN};
        if (poll(&pf, 1, 50) > 0) {
            char ev[4096];
            while (read(in, ev, sizeof ev) > 0)
                ;
        }
    }
    close(in);
    return NULL;
}

/* ------------------------------------------------------------ HTTP client */

static int http_post(conn_t *c, const char *path, const char *json, char *body, size_t bodycap)
{
    return http_request(c, "POST", path, "", json, body, bodycap);
}

/* ------------------------------------------------------------ workers */

typedef struct {
    double *pair, *sms, *wait, *sess;
    size_t n, cap;
    long sms_status[6], sess_status[6]; /* by hundreds: [2] = 2xx ... ; [0] = transport error */
    long code_timeouts, other;
    long sms_429;
    char first_error[256];
} stats_t;

typedef struct {
    int k;
    conn_t conn;
    stats_t st;
    pthread_t tid;
} worker_t;

static void note_error(stats_t *st, const char *what, int status, const char *body)
{
    if (!st->first_error[0])
        snprintf(st->first_error, sizeof st->first_error, "%s: %d %.180s", what, status, body);
}

static void count(long *by, int status)
{
    by[status < 0 ? 0 : status / 100 < 6 ? status / 100 : 5]++;
}

static bool wait_code(slot_t *s, char *code)
{
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += CODE_WAIT_MS / 1000;
    bool ok = true;
    pthread_mutex_lock(&s->mu);
    while (!s->ready && ok)
        ok = pthread_cond_timedwait(&s->cv, &s->mu, &dl) == 0 || s->ready;
    if (s->ready)
        memcpy(code, s->code, sizeof s->code);
    ok = s->ready;
    s->waiting = s->ready = false;
    pthread_mutex_unlock(&s->mu);
    return ok;
}

/* One login; the access token is copied to token when asked. */
static bool login(worker_t *w, const char *phone, char *token, size_t tokcap)
{
    stats_t *st = &w->st;
    slot_t *s = &slots[w->k];
    char body[8192], json[128], code[8];
    pthread_mutex_lock(&s->mu);
    snprintf(s->phone, sizeof s->phone, "%s", phone);
    s->waiting = true;
    s->ready = false;
    pthread_mutex_unlock(&s->mu);

    double t0 = now_s();
    snprintf(json, sizeof json, "{\"phone\":\"%s\",\"purpose\":\"login\"}", phone);
    int status = http_post(&w->conn, "/auth/sms-codes", json, body, sizeof body);
    count(st->sms_status, status);
    double t1 = now_s();
    if (status != 202) {
        if (status == 429)
            st->sms_429++;
        note_error(st, "sms-codes", status, body);
        pthread_mutex_lock(&s->mu);
        s->waiting = false;
        pthread_mutex_unlock(&s->mu);
        return false;
    }
    if (!wait_code(s, code)) {
        st->code_timeouts++;
        note_error(st, "outbox", 0, "no code within 5 s");
        return false;
    }
    double t2 = now_s();
    snprintf(json, sizeof json, "{\"phone\":\"%s\",\"code\":\"%s\"}", phone, code);
    status = http_post(&w->conn, "/auth/sessions", json, body, sizeof body);
    count(st->sess_status, status);
    double t3 = now_s();
    if (status != 200) {
        note_error(st, "sessions", status, body);
        return false;
    }
    if (token) {
        const char *a = strstr(body, "\"access_token\":\"");
        const char *e = a ? strchr(a + 16, '"') : NULL;
        if (!a || !e || (size_t)(e - a - 16) >= tokcap) {
            st->other++;
            note_error(st, "sessions", status, "no access_token in the answer");
            return false;
        }
        memcpy(token, a + 16, (size_t)(e - a - 16));
        token[e - a - 16] = '\0';
    }
    if (st->n == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 4096;
        st->pair = realloc(st->pair, st->cap * sizeof(double));
        st->sms = realloc(st->sms, st->cap * sizeof(double));
        st->wait = realloc(st->wait, st->cap * sizeof(double));
        st->sess = realloc(st->sess, st->cap * sizeof(double));
        if (!st->pair || !st->sms || !st->wait || !st->sess)
            die("out of memory");
    }
    st->pair[st->n] = t3 - t0;
    st->sms[st->n] = t1 - t0;
    st->wait[st->n] = t2 - t1;
    st->sess[st->n] = t3 - t2;
    st->n++;
    return true;
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    char token[2048];
    for (;;) {
        if (atomic_load(&stop_now))
            break;
        size_t i = atomic_fetch_add(&next_phone, 1);
        if (tokens_path) {
            if (i >= nphones)
                break;
            /* one retry, past the resend cooldown: a token file with holes is of no use */
            if (!login(w, phones[i], token, sizeof token) && (usleep(1100000), !login(w, phones[i], token, sizeof token)))
                die(w->st.first_error[0] ? w->st.first_error : "a login failed");
            tokens[i] = strdup(token);
        } else {
            if (now_s() >= t_end)
                break;
            login(w, phones[i % nphones], NULL, 0);
        }
    }
    conn_close(&w->conn);
    return NULL;
}

/* ------------------------------------------------------------ results */

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
    if (!n)
        return 0;
    size_t i = (size_t)(p / 100.0 * (double)n);
    return v[i < n ? i : n - 1] * 1e3;
}

static void summary(FILE *f, const char *name, double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    fprintf(f, "\"%s\":{\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"mean_ms\":%.3f}", name,
            pct(v, n, 50), pct(v, n, 90), pct(v, n, 99), n ? v[n - 1] * 1e3 : 0, n ? sum / (double)n * 1e3 : 0);
}

static void load_phones(void)
{
    FILE *f = fopen(phones_path, "r");
    char line[64];
    size_t cap = 0;
    if (!f)
        die("cannot open the phones file");
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0])
            continue;
        if (nphones == cap) {
            cap = cap ? cap * 2 : 1024;
            phones = realloc(phones, cap * sizeof *phones);
            if (!phones)
                die("out of memory");
        }
        phones[nphones++] = strdup(line);
    }
    fclose(f);
    if (!nphones)
        die("the phones file is empty");
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--one-address")) {
            one_address = 1;
            continue;
        }
        if (!v)
            die("every option takes a value");
        if (!strcmp(a, "--port"))
            port = atoi(v);
        else if (!strcmp(a, "--outbox"))
            outbox_path = v;
        else if (!strcmp(a, "--phones"))
            phones_path = v;
        else if (!strcmp(a, "--concurrency"))
            concurrency = atoi(v);
        else if (!strcmp(a, "--duration"))
            duration = atoi(v);
        else if (!strcmp(a, "--json"))
            json_path = v;
        else if (!strcmp(a, "--tokens-out"))
            tokens_path = v;
        else
            die("unknown option");
        i++;
    }
    if (port <= 0 || !outbox_path || !phones_path || concurrency < 1 || concurrency > MAX_WORKERS ||
        (!tokens_path == !(duration > 0 && json_path)))
        die("usage: --port P --outbox F --phones F [--concurrency N<=250] [--one-address] "
            "(--duration S --json F | --tokens-out F)");
    load_phones();
    if (tokens_path && !(tokens = calloc(nphones, sizeof *tokens)))
        die("out of memory");
    /* the hard bound: a tokens run is allowed 20 logins/s at the least */
    alarm((unsigned)(tokens_path ? nphones / 20 + 120 : (size_t)duration + 120));

    int fd = open(outbox_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die("cannot open the outbox (start the stack first)");
    lseek(fd, 0, SEEK_END); /* codes sent from now on */
    pthread_t tail;
    pthread_create(&tail, NULL, tailer, &fd);

    worker_t *w = calloc((size_t)concurrency, sizeof *w);
    if (!w)
        die("out of memory");
    double t0 = now_s();
    t_end = t0 + duration;
    for (int k = 0; k < concurrency; k++) {
        w[k].k = k;
        w[k].conn.fd = -1;
        w[k].conn.port = port;
        w[k].conn.src = (struct sockaddr_in){.sin_family = AF_INET};
        char src[32];
        if (one_address)
            snprintf(src, sizeof src, "127.0.0.1");
        else
            snprintf(src, sizeof src, "127.0.2.%d", k + 1);
        inet_pton(AF_INET, src, &w[k].conn.src.sin_addr);
        pthread_mutex_init(&slots[k].mu, NULL);
        pthread_cond_init(&slots[k].cv, NULL);
        pthread_create(&w[k].tid, NULL, worker_main, &w[k]);
    }
    for (int k = 0; k < concurrency; k++)
        pthread_join(w[k].tid, NULL);
    double elapsed = now_s() - t0;
    atomic_store(&stop_now, true);
    pthread_join(tail, NULL);

    stats_t all = {0};
    for (int k = 0; k < concurrency; k++) {
        stats_t *s = &w[k].st;
        for (int j = 0; j < 6; j++)
            all.sms_status[j] += s->sms_status[j], all.sess_status[j] += s->sess_status[j];
        all.code_timeouts += s->code_timeouts;
        all.other += s->other;
        all.sms_429 += s->sms_429;
        if (!all.first_error[0] && s->first_error[0])
            memcpy(all.first_error, s->first_error, sizeof all.first_error);
        all.n += s->n;
    }
    if (tokens_path) {
        FILE *f = fopen(tokens_path, "w");
        if (!f)
            die("cannot write the tokens file");
        for (size_t i = 0; i < nphones; i++)
            fprintf(f, "%s\n", tokens[i]);
        fclose(f);
        fprintf(stderr, "login_pair: %zu tokens in %.1f s\n", nphones, elapsed);
        return 0;
    }
    double *v[4];
    for (int j = 0; j < 4; j++)
        if (!(v[j] = malloc((all.n ? all.n : 1) * sizeof(double))))
            die("out of memory");
    size_t at = 0;
    for (int k = 0; k < concurrency; k++) {
        stats_t *s = &w[k].st;
        memcpy(v[0] + at, s->pair, s->n * sizeof(double));
        memcpy(v[1] + at, s->sms, s->n * sizeof(double));
        memcpy(v[2] + at, s->wait, s->n * sizeof(double));
        memcpy(v[3] + at, s->sess, s->n * sizeof(double));
        at += s->n;
    }
    long errors = all.sms_status[0] + all.sms_status[1] + all.sms_status[3] + all.sms_status[4] + all.sms_status[5] +
                  all.sess_status[0] + all.sess_status[1] + all.sess_status[3] + all.sess_status[4] +
                  all.sess_status[5] + all.code_timeouts + all.other;
    FILE *f = fopen(json_path, "w");
    if (!f)
        die("cannot write the JSON file");
    fprintf(f, "{\"tool\":\"login_pair\",\"connections\":%d,\"duration_s\":%.3f,\"pairs\":%zu,\"pairs_per_s\":%.1f,"
               "\"requests_per_s\":%.1f,\"errors\":%ld,\"sms_429\":%ld,\"code_timeouts\":%ld,",
            concurrency, elapsed, all.n, (double)all.n / elapsed, 2.0 * (double)all.n / elapsed, errors, all.sms_429,
            all.code_timeouts);
    fprintf(f, "\"sms_status\":{\"transport\":%ld,\"2xx\":%ld,\"4xx\":%ld,\"5xx\":%ld},", all.sms_status[0],
            all.sms_status[2], all.sms_status[4], all.sms_status[5]);
    fprintf(f, "\"sessions_status\":{\"transport\":%ld,\"2xx\":%ld,\"4xx\":%ld,\"5xx\":%ld},", all.sess_status[0],
            all.sess_status[2], all.sess_status[4], all.sess_status[5]);
    summary(f, "pair", v[0], all.n);
    fputc(',', f);
    summary(f, "sms_codes", v[1], all.n);
    fputc(',', f);
    summary(f, "outbox_wait", v[2], all.n);
    fputc(',', f);
    summary(f, "sessions", v[3], all.n);
    fprintf(f, ",\"first_error\":\"");
    for (const char *p = all.first_error; *p; p++) {
        if (*p == '"' || *p == '\\')
            fputc('\\', f);
        fputc((unsigned char)*p < 0x20 ? '?' : *p, f);
    }
    fprintf(f, "\"}\n");
    fclose(f);
    fprintf(stderr, "login_pair: %zu pairs in %.1f s (%.0f/s), %ld errors\n", all.n, elapsed, (double)all.n / elapsed,
            errors);
    return 0;
}
