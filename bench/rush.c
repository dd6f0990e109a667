/* The sign-up rush (issue 15, bench/README.md): N volunteers try to sign up
 * for one activity within S seconds. Their access tokens are made here with
 * the stack's signing key (as auth signs them: common/token.c), user i being
 * volunteer i in the bench dataset, so that preparing 20,000 logins does not
 * load the machine before the rush. Request i is due at i * S / N seconds
 * (arrivals spread evenly, open loop); W workers, each a keep-alive
 * connection, take the next due request in turn. A request's latency counts
 * from when it was due, so a backlog shows as latency instead of hiding
 * (no coordinated omission); its service time from when it was sent is
 * reported too. Every answer is counted by status and problem code.
 *
 *   rush --port P --key PRIVATE_KEY_PEM --activity ID --users FIRST LAST
 *        [--seconds 10] [--workers 200] [--capacity 500] [--iss stvs] [--aud stvs-api] --json OUT
 *
 * Bounded: socket timeouts of 10 s, and an alarm that ends the process 120 s
 * past the rush. */
#define _GNU_SOURCE
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "httpc.h"
#include "token.h"

#define MAX_WORKERS 250

static char **tokens;
static long long first_user, nreq;
static double seconds = 10, t0;
static long long activity;
static atomic_llong next_req;

typedef struct {
    int status;
    char code[32];
    double due, sent, done; /* seconds since t0 */
} answer_t;
static answer_t *answers;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *msg)
{
    fprintf(stderr, "rush: %s\n", msg);
    exit(1);
}

/* One token per user, signed with the stack's key (iat now, 15 minutes). */
static void mint_tokens(const char *key_path, const char *iss, const char *aud)
{
    FILE *f = fopen(key_path, "r");
    EVP_PKEY *pk = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    BIO *out = BIO_new(BIO_s_mem());
    char *pub = NULL, err[128];
    long publen;
    jwt_keys keys;
    if (!pk || !out || !PEM_write_bio_PUBKEY(out, pk) || (publen = BIO_get_mem_data(out, &pub)) <= 0 ||
        jwt_keys_load(&keys, pub, (size_t)publen, iss, aud, err, sizeof err))
        die("cannot read the signing key (a P-256 private key PEM)");
    long long now = (long long)time(NULL);
    tokens = calloc((size_t)nreq, sizeof *tokens);
    if (!tokens)
        die("out of memory");
    for (long long i = 0; i < nreq; i++) {
        char claims[512], tok[1024];
        int n = snprintf(claims, sizeof claims,
                         "{\"iss\":\"%s\",\"aud\":\"%s\",\"sub\":\"%lld\",\"sid\":\"1\",\"jti\":\"rush%lld\","
                         "\"token_use\":\"access\",\"iat\":%lld,\"exp\":%lld}",
                         iss, aud, first_user + i, i, now, now + ACCESS_TOKEN_TTL);
        if (n <= 0 || (size_t)n >= sizeof claims ||
            jwt_sign_es256(pk, keys.kid, claims, (size_t)n, tok, sizeof tok) || !(tokens[i] = strdup(tok)))
            die("cannot sign a token");
    }
    jwt_keys_free(&keys);
    BIO_free(out);
    EVP_PKEY_free(pk);
}

static void *worker_main(void *arg)
{
    conn_t *c = arg;
    char path[64], headers[1200], body[4096];
    snprintf(path, sizeof path, "/activities/%lld/signups", activity);
    for (;;) {
        long long i = atomic_fetch_add(&next_req, 1);
        if (i >= nreq)
            break;
        answer_t *a = &answers[i];
        a->due = seconds * (double)i / (double)nreq;
        double wait = t0 + a->due - now_s();
        if (wait > 0) {
            struct timespec ts = {.tv_sec = (time_t)wait, .tv_nsec = (long)((wait - (double)(time_t)wait) * 1e9)};
            nanosleep(&ts, NULL);
        }
        snprintf(headers, sizeof headers, "Authorization: Bearer %s\r\n", tokens[i]);
        a->sent = now_s() - t0;
        a->status = http_request(c, "POST", path, headers, NULL, body, sizeof body);
        a->done = now_s() - t0;
        const char *k = strstr(body, "\"code\"");
        if (a->status != 201 && a->status > 0 && k && (k = strchr(k + 6, '"')))
            sscanf(k + 1, "%31[a-z_]", a->code);
    }
    conn_close(c);
    return NULL;
}

static int cmp(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

static double pct(const double *v, size_t n, double p)
{
    if (!n)
        return 0;
    size_t i = (size_t)(p / 100.0 * (double)n);
    return v[i < n ? i : n - 1];
}

int main(int argc, char **argv)
{
    int port = 0, workers = 200;
    long long capacity = 500, last_user = 0;
    const char *key = NULL, *json = NULL, *iss = "stvs", *aud = "stvs-api";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            die("every option takes a value");
        if (!strcmp(a, "--port"))
            port = atoi(v);
        else if (!strcmp(a, "--key"))
            key = v;
        else if (!strcmp(a, "--activity"))
            activity = atoll(v);
        else if (!strcmp(a, "--users") && i + 2 < argc) {
            first_user = atoll(v);
            last_user = atoll(argv[i + 2]);
            i++; /* two values */
        } else if (!strcmp(a, "--seconds"))
            seconds = atof(v);
        else if (!strcmp(a, "--workers"))
            workers = atoi(v);
        else if (!strcmp(a, "--capacity"))
            capacity = atoll(v);
        else if (!strcmp(a, "--iss"))
            iss = v;
        else if (!strcmp(a, "--aud"))
            aud = v;
        else if (!strcmp(a, "--json"))
            json = v;
        else
            die("unknown option");
        i++;
    }
    nreq = last_user - first_user + 1;
    if (port <= 0 || !key || activity <= 0 || first_user <= 0 || nreq < 1 || nreq > 1000000 || !json ||
        workers < 1 || workers > MAX_WORKERS || !(seconds > 0 && seconds <= 600) || capacity < 1)
        die("usage: --port P --key PEM --activity ID --users FIRST LAST [--seconds S] [--workers N<=250] "
            "[--capacity C] [--iss I] [--aud A] --json OUT");
    alarm((unsigned)seconds + 120);
    double m0 = now_s();
    mint_tokens(key, iss, aud);
    double mint_s = now_s() - m0;
    answers = calloc((size_t)nreq, sizeof *answers);
    conn_t *conns = calloc((size_t)workers, sizeof *conns);
    pthread_t *tids = calloc((size_t)workers, sizeof *tids);
    if (!answers || !conns || !tids)
        die("out of memory");
    t0 = now_s() + 0.2; /* every worker is waiting when the first request is due */
    for (int k = 0; k < workers; k++) {
        conns[k] = (conn_t){.fd = -1, .port = port, .src = {.sin_family = AF_INET}};
        inet_pton(AF_INET, "127.0.0.1", &conns[k].src.sin_addr);
        if (pthread_create(&tids[k], NULL, worker_main, &conns[k]))
            die("cannot start a worker");
    }
    for (int k = 0; k < workers; k++)
        pthread_join(tids[k], NULL);

    /* counts by answer; latency from due and from sent; when the seats went */
    double *lat = malloc((size_t)nreq * sizeof *lat), *svc = malloc((size_t)nreq * sizeof *svc),
           *seats = malloc((size_t)nreq * sizeof *seats);
    if (!lat || !svc || !seats)
        die("out of memory");
    size_t nseat = 0;
    long long n201 = 0, full = 0, already = 0, closed = 0, other4 = 0, s5xx = 0, transport = 0;
    double last = 0;
    for (long long i = 0; i < nreq; i++) {
        answer_t *a = &answers[i];
        lat[i] = a->done - a->due;
        svc[i] = a->done - a->sent;
        last = a->done > last ? a->done : last;
        if (a->status == 201) {
            n201++;
            seats[nseat++] = a->done;
        } else if (a->status == 409 && !strcmp(a->code, "activity_full"))
            full++;
        else if (a->status == 409 && !strcmp(a->code, "already_signed_up"))
            already++;
        else if (a->status == 409 && !strcmp(a->code, "signup_closed"))
            closed++;
        else if (a->status >= 500)
            s5xx++;
        else if (a->status < 0)
            transport++;
        else
            other4++;
    }
    qsort(lat, (size_t)nreq, sizeof *lat, cmp);
    qsort(svc, (size_t)nreq, sizeof *svc, cmp);
    qsort(seats, nseat, sizeof *seats, cmp);
    char seat_s[32] = "null"; /* when the capacity-th seat was answered */
    if ((long long)nseat >= capacity)
        snprintf(seat_s, sizeof seat_s, "%.3f", seats[capacity - 1]);
    FILE *f = fopen(json, "w");
    if (!f)
        die("cannot write the JSON file");
    fprintf(f,
            "{\"requests\":%lld,\"seconds\":%.1f,\"workers\":%d,\"capacity\":%lld,\"activity\":%lld,"
            "\"tokens_minted_s\":%.2f,\"counts\":{\"201\":%lld,\"409 activity_full\":%lld,"
            "\"409 already_signed_up\":%lld,\"409 signup_closed\":%lld,\"other 4xx\":%lld,\"5xx\":%lld,"
            "\"transport\":%lld},\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
            "\"service_p50_ms\":%.3f,\"service_p99_ms\":%.3f,\"first_seat_s\":%.3f,\"last_seat_s\":%.3f,"
            "\"capacity_seat_s\":%s,\"last_answer_s\":%.3f,\"answers_per_s\":%.1f}\n",
            nreq, seconds, workers, capacity, activity, mint_s, n201, full, already, closed, other4, s5xx, transport,
            pct(lat, (size_t)nreq, 50) * 1e3, pct(lat, (size_t)nreq, 90) * 1e3, pct(lat, (size_t)nreq, 99) * 1e3,
            pct(lat, (size_t)nreq, 100) * 1e3, pct(svc, (size_t)nreq, 50) * 1e3, pct(svc, (size_t)nreq, 99) * 1e3,
            nseat ? seats[0] : 0, nseat ? seats[nseat - 1] : 0,
            seat_s, last, (double)nreq / (last > 0 ? last : 1));
    fclose(f);
    return 0;
}
