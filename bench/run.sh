#!/usr/bin/env bash
# make bench: the whole benchmark, end to end, on a stack of its own, and
# bench/RESULTS.md from it (bench/README.md says what is measured and why).
#   bench/run.sh
# Environment (all optional):
#   BENCH_SCALE=1          dataset scale for bench/seed.sh (1 = 1M volunteers, 200k activities)
#   BENCH_SEED=1           dataset seed (and the seed of the load generators' draws)
#   BENCH_DURATION=15      seconds of each measured run
#   BENCH_WARMUP=3         seconds of unmeasured warm-up before each read run
#   BENCH_CONNECTIONS=64   HTTP connections (wrk -c, login_pair workers)
#   BENCH_WRK_THREADS=2    wrk -t
#   BENCH_THREADS=256      STVS_THREADS of every service and of fcgi_hello (accepting threads)
#   BENCH_DB_CONNECTIONS=4 STVS_DB_CONNECTIONS of every service (its database pool)
#   BENCH_PG_CLIENTS       pgbench -c (default BENCH_DB_CONNECTIONS: the connections of the one
#                          service process that serves an endpoint)
#   BENCH_TOKENS=2000      volunteers logged in through the API before the token runs
#   BENCH_MAX_AGE_DAYS=7   a loaded dataset older than this is loaded again
#   BENCH_IMPORT_ROWS=50000 volunteer rows of the import step (throughput, sign-ups during an import;
#                          0 skips it)
#   BENCH_RUSH_USERS=20000 volunteers of the sign-up rush (tokens signed by bench/rush with the stack's key)
#   BENCH_RUSH_SECONDS=10  how long the rush's arrivals are spread over
#   BENCH_RUSH_CAPACITY=500 the rush activity's capacity
#   BENCH_RUSH_BG="4 20 8 5" the list's and the detail's background load during the rush: connections and
#                          the pause of each between requests (ms), for each (a normal load, not saturating)
#   BENCH_RUSH_ROUNDS=3    rounds of the rush, each the background alone then a rush for a new activity;
#                          RESULTS.md judges the background's p99 ratio on the median round (one 14 s window
#                          moved between 2 and 10 on one stack minutes apart) and the seats on every round
#   BENCH_ROUNDS=3         rounds of each ratio to a bound (the reads with R_fcgi and their pgbench, the
#                          login pair with its pgbench): the first at BENCH_DURATION, the others at
#                          BENCH_ROUND_DURATION (10) s, each its own ceilings; RESULTS.md judges the median
#                          (one pass moved by a third between runs on a shared 2-core machine)
#   BENCH_PAIRS=3          sign-up runs with and without the stats trigger (wrk and pgbench, alternating)
#   BENCH_PAIR_DURATION=10 seconds of each of those runs
#   BENCH_STATS_CALLS=200  calls of each stats endpoint at one client (bench/stats_latency.py)
#   BENCH_STATS_SECONDS=5  seconds of each stats endpoint's run at 16 clients (wrk)
#   BENCH_OUT=bench/RESULTS.md (with BENCH_ONLY=stats: $BENCH_VAR/STATS-scale<scale>.md)
#   BENCH_VAR=var/bench    the stack's var directory (cluster, dataset, logs, raw results): a dataset of
#                          another scale in a directory of its own is kept next to the standard one
#   BENCH_ONLY=stats       only the stats step (7b) on the dataset of BENCH_SCALE: loads or reuses it, starts
#                          the stack, runs 7b, writes the stats figures alone to BENCH_OUT
#   BENCH_PERF=1           also sample each HTTP run with perf (top symbols in the results)
# The stack: STVS_VAR=var/bench (BENCH_VAR), nginx on 127.0.0.1:18090, PostgreSQL on the
# socket var/bench/run/pg port 55434, release build, durable PostgreSQL
# settings as make run has them (no STVS_PG_FAST). A loaded dataset is
# reused when its marker (bench.dataset) matches the scale, the seed, the
# migrations and bench/seed.*; what earlier runs added (sign-ups, sessions,
# SMS sends, per-address counts, password attempts) is removed first. The
# last step (the login flood) restarts the services with
# LOGIN_PER_ADDRESS_PER_MINUTE at its default. Everything started here is
# stopped on exit, failure or interrupt.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

SCALE=${BENCH_SCALE:-1}
SEED=${BENCH_SEED:-1}
DUR=${BENCH_DURATION:-15}
ROUNDS=${BENCH_ROUNDS:-3} ROUND_DUR=${BENCH_ROUND_DURATION:-10}
WARMUP=${BENCH_WARMUP:-3}
CONNS=${BENCH_CONNECTIONS:-64}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
THREADS=${BENCH_THREADS:-256}
DBC=${BENCH_DB_CONNECTIONS:-4}
PGC=${BENCH_PG_CLIENTS:-$DBC}
NTOK=${BENCH_TOKENS:-2000}
MAX_AGE_DAYS=${BENCH_MAX_AGE_DAYS:-7}
ONLY=${BENCH_ONLY:-}
BVAR=${BENCH_VAR:-var/bench}

# fds 3 and 4: the terminal's stderr and stdout, for messages from inside
# functions whose output goes to a results file
exec 3>&2 4>&1
die() { echo "bench: $*" >&3; exit 1; }
say() { echo "bench: $(date +%H:%M:%S) $*" >&4; }

[[ $SCALE =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "BENCH_SCALE must be a number"
for v in SEED DUR WARMUP CONNS WRK_THREADS THREADS DBC PGC NTOK MAX_AGE_DAYS; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number"
done
[ "$DUR" -ge 1 ] && [ "$DUR" -le 600 ] || die "BENCH_DURATION must be 1..600"
[[ $ROUNDS =~ ^[1-9]$ ]] || die "BENCH_ROUNDS must be 1..9"
[[ $ROUND_DUR =~ ^[0-9]+$ ]] && [ "$ROUND_DUR" -ge 1 ] && [ "$ROUND_DUR" -le 600 ] || die "BENCH_ROUND_DURATION must be 1..600"
[ "$CONNS" -ge 1 ] && [ "$CONNS" -le 250 ] || die "BENCH_CONNECTIONS must be 1..250"
[ "$THREADS" -ge 1 ] && [ "$THREADS" -le 1024 ] || die "BENCH_THREADS must be 1..1024"
[ "$DBC" -ge 1 ] && [ "$DBC" -le 64 ] || die "BENCH_DB_CONNECTIONS must be 1..64"
[ "$PGC" -ge 1 ] && [ "$PGC" -le 150 ] || die "BENCH_PG_CLIENTS must be 1..150"
[ "$NTOK" -ge 10 ] || die "BENCH_TOKENS must be at least 10"
case $ONLY in '' | stats) ;; *) die "BENCH_ONLY must be stats (or unset: every step)" ;; esac
[[ $BVAR =~ ^[A-Za-z0-9_./-]+$ ]] || die "BENCH_VAR must be a plain path"
case $BVAR in /*) ;; *) BVAR=$ROOT/$BVAR ;; esac
SCALE=$(awk -v s="$SCALE" 'BEGIN { printf "%g", s }')
if [ -n "$ONLY" ]; then RESULTS=${BENCH_OUT:-$BVAR/STATS-scale$SCALE.md}; else RESULTS=${BENCH_OUT:-$ROOT/bench/RESULTS.md}; fi
# every step but the stats step (7b) runs only without BENCH_ONLY
all_steps() { [ -z "$ONLY" ]; }

# The bench stack: its own var/, ports and sockets; release build.
export STVS_VAR=$BVAR HTTP_PORT=${BENCH_HTTP_PORT:-18090} STVS_PG_PORT=${BENCH_PG_PORT:-55434}
export STVS_THREADS=$THREADS STVS_DB_CONNECTIONS=$DBC MODE=release
unset STVS_PG_FAST STVS_WRAPPER
# The auth service's limits, raised for the run: every login of the bench
# comes from 127.0.x.y, and the same phones log in again on every rerun
# (the login flood, last, restarts auth with LOGIN_PER_ADDRESS_PER_MINUTE at
# its default).
export SMS_PER_ADDRESS_PER_HOUR=1000000 SMS_PER_PHONE_PER_DAY=1000 SMS_RESEND_SECONDS=1
export LOGIN_PER_ADDRESS_PER_MINUTE=1000000
export SMS_OUTBOX=$STVS_VAR/sms-outbox.jsonl
VAR=$STVS_VAR PG_PORT=$STVS_PG_PORT
PGSOCK=$VAR/run/pg PGDATA=$VAR/pg NGX=$VAR/nginx
OUT=$VAR/results DATA=$VAR/data BIN=$ROOT/build/release/bench
BASE=http://127.0.0.1:$HTTP_PORT
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
NPROC=$(nproc)
FAILED=()

psql_db() { psql -X -q -v ON_ERROR_STOP=1 -h "$PGSOCK" -p "$PG_PORT" -U stvs "$@"; }
psql_su() { psql_db -d stvs "$@"; }
sql_val() { psql_su -At -c "$1"; }

# ------------------------------------------------------------------ cleanup

# Every long command runs through bounded(): under timeout, in the
# background, waited for, so that an interrupt reaches the trap at once (a
# foreground wrk would swallow it) and cleanup can end the command.
CUR_PID="" PERF_PID=""
bounded() { # seconds command...
    local secs=$1 rc=0
    shift
    timeout -k 5 "$secs" "$@" &
    CUR_PID=$!
    wait "$CUR_PID" || rc=$?
    CUR_PID=""
    return $rc
}
stop_fcgi_hello() {
    [ -s "$VAR/run/fcgi_hello.pid" ] || return 0
    local p
    p=$(cat "$VAR/run/fcgi_hello.pid")
    if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = fcgi_hello ]; then
        kill -TERM "$p" 2>/dev/null
        for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    fi
    rm -f "$VAR/run/fcgi_hello.pid"
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    for p in $CUR_PID $PERF_PID; do kill -TERM "$p" 2>/dev/null; done
    stop_fcgi_hello
    scripts/stack.sh stop >/dev/null 2>&1 || echo "bench: stopping the bench stack failed; see $VAR/log" >&3
    [ $rc -eq 0 ] || echo "bench: failed (exit $rc); logs in $VAR/log, raw results in $OUT" >&3
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ setup

say "dependencies"
scripts/deps.sh
if ! command -v wrk >/dev/null; then
    say "installing wrk (Debian)"
    sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends wrk >/dev/null \
        || { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
fi
[ -x "$PGBIN/pgbench" ] || die "pgbench not found under $PGBIN (package postgresql)"

say "building (release) the services and the bench tools"
make -s MODE=release build bench-tools

# A stack left over by a killed run would hold the ports.
stop_fcgi_hello
scripts/stack.sh stop >/dev/null 2>&1 || true
rm -rf "$OUT" "$DATA"
mkdir -p "$OUT" "$DATA" "$VAR/pgbench"

say "PostgreSQL of the bench stack ($PGDATA)"
scripts/stack.sh migrate >/dev/null

# --- the dataset: reuse it when the marker matches, else load it afresh
MIGRATIONS=$(cd db/migrations && ls -- *.sql | sed 's/\.sql$//' | sort | paste -sd, -)
SEED_SHA=$(cat bench/seed.sh bench/seed.sql | sha256sum | cut -c1-16)
marker=$(sql_val "SELECT scale || ' ' || seed || ' ' || migrations || ' ' || seed_sha || ' '
                         || (now() - loaded_at < interval '$MAX_AGE_DAYS days')
                  FROM bench.dataset" 2>/dev/null || true)
want="$SCALE $SEED $MIGRATIONS $SEED_SHA true"
if [ "$marker" = "$want" ]; then
    say "reusing the loaded dataset (scale $SCALE, seed $SEED)"
else
    [ -n "$marker" ] && say "the loaded dataset does not match ($marker); loading again"
    say "loading the dataset: bench/seed.sh --scale $SCALE --seed $SEED (scale 1 takes minutes)"
    # seed.sh loads only scratch databases (stvs_bench*): load one in the
    # bench cluster and put it in the place of the stack's database.
    PGHOST=$PGSOCK PGPORT=$PG_PORT PGUSER=stvs PGDATABASE=stvs_bench \
        bounded 14400 bench/seed.sh --fresh --scale "$SCALE" --seed "$SEED" > >(tee "$OUT/seed.txt")
    psql_db -d postgres -c "DROP DATABASE IF EXISTS stvs WITH (FORCE)" \
                        -c "ALTER DATABASE stvs_bench RENAME TO stvs"
    psql_su <<SQL
CREATE SCHEMA bench;
CREATE TABLE bench.dataset (scale text NOT NULL, seed int NOT NULL, migrations text NOT NULL,
                            seed_sha text NOT NULL, loaded_at timestamptz NOT NULL DEFAULT clock_timestamp());
INSERT INTO bench.dataset (scale, seed, migrations, seed_sha) VALUES ('$SCALE', $SEED, '$MIGRATIONS', '$SEED_SHA');
SQL
fi

# --- what earlier bench runs added goes, so every run starts from the load
# (bench/seed.sql dates every sign-up before the load's end)
reset_signups() {
    psql_su <<'SQL'
BEGIN;
CREATE TEMP TABLE gone ON COMMIT DROP AS
WITH d AS (DELETE FROM activity.signups WHERE created_at > (SELECT loaded_at FROM bench.dataset)
           RETURNING activity_id)
SELECT activity_id, count(*) AS n FROM d GROUP BY activity_id;
UPDATE activity.activities a SET signed_up = a.signed_up - g.n FROM gone g WHERE a.id = g.activity_id;
COMMIT;
SQL
}
say "removing what earlier runs added; VACUUM ANALYZE"
reset_signups
# the rush's activities (their sign-ups went with reset_signups)
psql_su -c "DELETE FROM activity.activities WHERE created_at > (SELECT loaded_at FROM bench.dataset)"
psql_su <<'SQL'
DELETE FROM auth.sessions WHERE created_at > (SELECT loaded_at FROM bench.dataset);
DELETE FROM auth.sms_sends WHERE sent_at > (SELECT loaded_at FROM bench.dataset);
DELETE FROM auth.sms_codes WHERE created_at > (SELECT loaded_at FROM bench.dataset);
DELETE FROM auth.address_hits;
DELETE FROM auth.password_attempts;
SQL
psql_su -c "VACUUM (ANALYZE) activity.activities, activity.signups, auth.users, auth.sessions, auth.refresh_tokens,
                             auth.sms_sends, auth.sms_codes, auth.address_hits, auth.password_attempts"

# --- the draws: the same populations for wrk and for pgbench
NACT=$(sql_val "SELECT max(id) FROM activity.activities")
# the loaded volunteers (imports of earlier runs add volunteers of their own after them)
NVOL=$(sql_val "SELECT max(id) FROM volunteer.volunteers WHERE created_at <= (SELECT loaded_at FROM bench.dataset)")
[ "$(sql_val "SELECT count(*) FROM activity.activities")" = "$NACT" ] || die "activity ids are not 1..N"
[ "$(sql_val "SELECT count(*) FROM volunteer.volunteers WHERE id = user_id AND id <= $NVOL")" = "$NVOL" ] \
    || die "volunteer i is not user i"
[ "$NVOL" -gt $((NTOK * 2)) ] || die "BENCH_TOKENS=$NTOK needs more than $((NTOK * 2)) volunteers (scale $SCALE has $NVOL)"
U0=$((NVOL - NTOK + 1)) U1=$NVOL                       # the token holders
L0=2 L1=$(( U0 - 1 < 100001 ? U0 - 1 : 100001 ))        # the login pair's phones (user 1 is the national admin)
psql_su -At <<SQL
DROP TABLE IF EXISTS bench.list_params, bench.signup_pool;
CREATE TABLE bench.list_params (n int PRIMARY KEY, region text NOT NULL, status text NOT NULL,
                                lo text NOT NULL, hi text NOT NULL);
INSERT INTO bench.list_params
SELECT row_number() OVER (ORDER BY r.code, s.status), r.code, s.status, g.lo, g.hi
FROM ref.regions r
CROSS JOIN unnest(ARRAY['cancelled', 'ended', 'ongoing', 'recruiting', 'signup_closed', 'upcoming']) s(status)
CROSS JOIN LATERAL ref.region_range(r.code) g
WHERE r.level IN ('province', 'city');
CREATE TABLE bench.signup_pool (n int PRIMARY KEY, activity_id bigint NOT NULL);
INSERT INTO bench.signup_pool
SELECT row_number() OVER (ORDER BY a.id), a.id FROM activity.activities a
WHERE activity.status_at(a.cancelled_at, a.starts_at, a.ends_at, a.signup_starts_at, a.signup_ends_at, now()) = 'recruiting'
  AND NOT a.members_only
  AND a.signup_ends_at > now() + interval '1 hour'
  AND NOT EXISTS (SELECT 1 FROM activity.signups s WHERE s.activity_id = a.id AND s.volunteer_id BETWEEN $U0 AND $U1);
GRANT USAGE ON SCHEMA bench TO stvs_activity, stvs_volunteer, stvs_auth;
GRANT SELECT ON ALL TABLES IN SCHEMA bench TO stvs_activity, stvs_volunteer, stvs_auth;
ANALYZE bench.list_params, bench.signup_pool;
SQL
# The times as the list printed them before issue 15 (to_char; migration 018
# redefined ref.rfc3339 and activity.rfc3339_exact), for pg_list_today.sql
psql_su -At <<'SQL'
CREATE OR REPLACE FUNCTION bench.rfc3339_then(timestamptz) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
    SELECT to_char($1, 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM')
$$;
CREATE OR REPLACE FUNCTION bench.rfc3339_exact_then(timestamptz) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
    SELECT to_char($1, 'YYYY-MM-DD"T"HH24:MI:SS')
           || CASE WHEN date_trunc('second', $1) = $1 THEN ''
                   ELSE '.' || rtrim(to_char($1, 'US'), '0') END
           || to_char($1, 'TZH:TZM')
$$;
SQL
NLIST=$(sql_val "SELECT count(*) FROM bench.list_params")
NPOOL=$(sql_val "SELECT count(*) FROM bench.signup_pool")
[ "$NPOOL" -gt 0 ] || die "no recruiting activity open to all: the dataset is too small"
sql_val "SELECT code FROM ref.regions WHERE level IN ('province', 'city') ORDER BY code" >"$DATA/regions.txt"
sql_val "SELECT activity_id FROM bench.signup_pool ORDER BY n" >"$DATA/pool.txt"
sql_val "SELECT u.phone FROM auth.users u WHERE u.id BETWEEN $U0 AND $U1 ORDER BY u.id" >"$DATA/token_phones.txt"
sql_val "SELECT u.phone FROM auth.users u WHERE u.id BETWEEN $L0 AND $L1 ORDER BY md5(u.id::text)" >"$DATA/login_phones.txt"

# --- the pgbench scripts, from the services' own SQL
for f in bench/pg_*.sql; do
    python3 bench/pgscripts.py "$BIN" "$f" "$VAR/pgbench/$(basename "$f")"
    if ! cmp -s "$f" "$VAR/pgbench/$(basename "$f")"; then
        say "$f: statements refreshed from the services' sql.c"
        cp "$VAR/pgbench/$(basename "$f")" "$f"
    fi
done

# ------------------------------------------------------------------ the stack

say "starting the bench stack on $BASE (STVS_THREADS=$THREADS, STVS_DB_CONNECTIONS=$DBC)"
mkdir -p "$VAR/log"
for s in auth volunteer org activity; do
    echo "$s $(stat -c %s "$VAR/log/$s.log" 2>/dev/null || echo 0)"
done >"$OUT/log-offsets"
scripts/stack.sh run
mkdir -p "$VAR/log"
# $VAR/run links to the stack's runtime dir; nginx's workers need its real path
RUN_DIR=$(readlink -f "$VAR/run")
env STVS_LISTEN="$RUN_DIR/fcgi_hello.sock" STVS_THREADS="$THREADS" "$BIN/fcgi_hello" >>"$VAR/log/fcgi_hello.log" 2>&1 &
echo $! >"$VAR/run/fcgi_hello.pid"

# The ceilings' locations, added to the stack's own nginx.conf (same http
# and FastCGI settings as the services': fastcgi.conf's kept connections and
# the upstream policy's keepalive, as many threads), then a reload.
KEEPALIVE=$(sed -nE 's/^# @upstream (.+)$/\1/p' nginx/upstream-policy.conf)
[ -n "$KEEPALIVE" ] || die "nginx/upstream-policy.conf has no '# @upstream keepalive N' line"
awk '/^# --- server ---/ { server = 1; next } !server' bench/nginx-ceiling.conf.in >"$NGX/bench-http.conf.in"
awk '/^# --- server ---/ { server = 1; next } server' bench/nginx-ceiling.conf.in >"$NGX/bench-server.conf.in"
for f in http server; do
    sed -e "s|@RUN_DIR@|$RUN_DIR|g" -e "s|@CONF_DIR@|$NGX|g" -e "s|@KEEPALIVE@|$KEEPALIVE|g" \
        "$NGX/bench-$f.conf.in" >"$NGX/bench-$f.conf"
done
grep -q '^    include .*/upstreams.conf;' "$NGX/nginx.conf" && grep -q '^        location /api/v1/activities ' "$NGX/nginx.conf" \
    || die "nginx/nginx.conf.in changed shape: update bench/run.sh where it adds the ceiling locations"
sed -i -e "/^    include .*\/upstreams.conf;/a\\    include $NGX/bench-http.conf;" \
       -e "/^        location \/api\/v1\/activities /a\\        include $NGX/bench-server.conf;" "$NGX/nginx.conf"
NGINX=(/usr/sbin/nginx -p "$NGX" -c "$NGX/nginx.conf" -e "$VAR/log/nginx-error.log")
"${NGINX[@]}" -t -q
"${NGINX[@]}" -s reload
for path in /bench/return200 /bench/fcgi; do
    ok=""
    for _ in $(seq 1 100); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE$path")" = 200 ] && { ok=1; break; }
        sleep 0.1
    done
    [ -n "$ok" ] || die "$BASE$path does not answer 200"
done

# ------------------------------------------------------------------ measuring

pid_of() { [ -s "$1" ] && cat "$1"; }
# "tier pid" lines for every process of the bench stack.
tier_pids() {
    local p s m
    if p=$(pid_of "$VAR/run/nginx/nginx.pid"); then
        echo "nginx $p"
        for c in $(ps -o pid= --ppid "$p"); do echo "nginx $c"; done
    fi
    for s in auth volunteer org activity; do p=$(pid_of "$VAR/run/$s.pid") && echo "svc-$s $p"; done
    p=$(pid_of "$VAR/run/fcgi_hello.pid") && echo "fcgi_hello $p"
    if m=$(head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null); then
        echo "postgres $m"
        for c in $(ps -o pid= --ppid "$m"); do echo "postgres $c"; done
    fi
}
# CPU ticks per tier (exited children count through their parent's cutime),
# and the machine's /proc/stat line, with a timestamp.
cpu_snapshot() {
    echo "time $(date +%s.%N)"
    tier_pids | while read -r tier pid; do
        [ -r "/proc/$pid/stat" ] || continue
        sed 's/^.*) //' "/proc/$pid/stat" | awk -v t="$tier" '{ print t, $12 + $13 + $14 + $15 }'
    done 2>/dev/null
    awk '/^cpu / { print "machine_busy", $2 + $3 + $4 + $7 + $8; print "machine_iowait", $6;
                   print "machine_steal", $9; print "machine_total", $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat
    echo "loadavg $(cut -d' ' -f1 /proc/loadavg)"
}
# CPU use in % of one core per tier between two snapshots, as JSON.
cpu_json() { # before after loadgen_seconds
    awk -v lg="$3" -v hz="$(getconf CLK_TCK)" -v ncpu="$NPROC" '
        FNR == NR { if ($1 == "time") t0 = $2; else if ($1 != "loadavg") b[$1] += $2; next }
        { if ($1 == "time") t1 = $2; else if ($1 == "loadavg") la = $2; else a[$1] += $2 }
        END {
            dt = t1 - t0; printf "{\"seconds\":%.2f,\"cores\":%d,\"loadavg_after\":%s", dt, ncpu, la
            for (k in a) if (k !~ /^machine_/) printf ",\"%s\":%.1f", k, 100 * (a[k] - b[k]) / hz / dt
            tot = a["machine_total"] - b["machine_total"]
            printf ",\"machine_busy\":%.1f,\"machine_iowait\":%.1f,\"machine_steal\":%.1f,\"loadgen\":%.1f}\n",
                100 * ncpu * (a["machine_busy"] - b["machine_busy"]) / tot,
                100 * ncpu * (a["machine_iowait"] - b["machine_iowait"]) / tot,
                100 * ncpu * (a["machine_steal"] - b["machine_steal"]) / tot, 100 * lg / dt
        }' "$1" "$2"
}
rss_json() {
    local first=1 s p
    printf '{'
    for s in auth volunteer org activity; do
        p=$(pid_of "$VAR/run/$s.pid") || continue
        [ $first = 1 ] || printf ','
        first=0
        awk -v s="$s" '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } END { printf "\"%s\":{\"rss_kib\":%d,\"hwm_kib\":%d}", s, r, h }' "/proc/$p/status"
    done
    printf '}\n'
}

# A measured window: the stack's CPU snapshots (.cpu0, .cpu1) and the
# shell's children times (.times0, .times1: the load generators' own CPU,
# counted once they are waited for; `times`, not in a pipeline: a
# pipeline's subshell has no children of its own) around it; on its close,
# its CPU per tier and the RSS after it.
window_open() { # name
    cpu_snapshot >"$OUT/$1.cpu0"
    times >"$OUT/$1.times0"
}
window_close() { # name
    local lg
    times >"$OUT/$1.times1"
    cpu_snapshot >"$OUT/$1.cpu1"
    lg=$(tail -q -n 1 "$OUT/$1.times0" "$OUT/$1.times1" \
         | awk '{ gsub(/[ms]/, " "); t[NR] = $1 * 60 + $2 + $3 * 60 + $4 } END { print t[2] - t[1] }')
    cpu_json "$OUT/$1.cpu0" "$OUT/$1.cpu1" "$lg" >"$OUT/$1.cpu.json"
    rss_json >"$OUT/$1.rss.json"
}

# Runs a load generator ($@) with a bound, between two CPU snapshots; the
# generator's own CPU comes from the shell's children times.
measure() { # name bound_seconds command...
    local name=$1 bound=$2
    shift 2
    if [ -n "${BENCH_PERF:-}" ]; then
        perf record -a -g -F 299 -o "$OUT/$name.perf.data" -- sleep "$DUR" >/dev/null 2>&1 &
        PERF_PID=$!
    fi
    local rc=0
    window_open "$name"
    bounded "$bound" "$@" || rc=$?
    window_close "$name"
    if [ -n "$PERF_PID" ]; then
        wait "$PERF_PID" 2>/dev/null || true
        PERF_PID=""
        {
            echo "# by process and object"
            perf report -i "$OUT/$name.perf.data" --no-children --sort comm,dso --stdio -g none --percent-limit 1 \
                2>/dev/null | grep -v '^#' | grep -v '^$' | head -n 25
            echo "# by process and symbol"
            perf report -i "$OUT/$name.perf.data" --no-children --sort comm,symbol --stdio -g none --percent-limit 0.5 \
                2>/dev/null | grep -v '^#' | grep -v '^$' | head -n 50
        } >"$OUT/$name.perf.txt" || true
        rm -f "$OUT/$name.perf.data"
    fi
    if [ $rc -ne 0 ]; then
        FAILED+=("$name (exit $rc)")
        say "$name: the load generator failed (exit $rc)"
    fi
    return 0
}

wrk_run() { # name script path [script args...]
    local name=$1 script=$2 path=$3
    shift 3
    local args=()
    [ $# -gt 0 ] && args=(-- "$@")
    if [ "$WARMUP" -gt 0 ] && [[ $name != signup* ]]; then
        BENCH_WRK_JSON=/dev/null BENCH_CONNECTIONS=$CONNS BENCH_SEED=$((SEED + 1000)) \
            bounded $((WARMUP + 30)) wrk -t"$WRK_THREADS" -c"$CONNS" -d"${WARMUP}s" -s "bench/$script" \
            "$BASE$path" "${args[@]}" >/dev/null 2>&1 || true
    fi
    local dur=${RUN_DUR:-$DUR}
    say "wrk $name: $path, -t$WRK_THREADS -c$CONNS -d${dur}s"
    BENCH_WRK_JSON=$OUT/wrk-$name.json BENCH_CONNECTIONS=$CONNS BENCH_SEED=$SEED \
        measure "wrk-$name" $((dur + 60)) \
        wrk -t"$WRK_THREADS" -c"$CONNS" -d"${dur}s" --latency --timeout 10s -s "bench/$script" "$BASE$path" \
        "${args[@]}" >"$OUT/wrk-$name.txt" 2>&1
    if [ -s "$OUT/wrk-$name.json" ]; then sed 's/^/    /' "$OUT/wrk-$name.json" | cut -c1-200; fi
}

LIST_PLAN_MODE="-c plan_cache_mode=force_generic_plan" # as the service runs the list's variants
pg_run() { # name role script [-D var=value...]
    local name=$1 role=$2 script=$3
    shift 3
    local j=$(( PGC < NPROC ? PGC : NPROC ))
    local pg=("$PGBIN/pgbench" -h "$PGSOCK" -p "$PG_PORT" -U "stvs_$role" -n -M prepared -c "$PGC" -j "$j"
              -f "$VAR/pgbench/$script" "$@" stvs)
    # the services' session settings (common/db.c). The list's statements
    # are prepared variants, one text per shape of its filters, each run on
    # its generic plan (common/db_variant.c: plan_cache_mode =
    # force_generic_plan while they run; pg_list.sql's shapes, a status and a
    # province or city, are all of that kind); before them
    # (pg_list_today.sql) they were planned per call, which force_custom_plan
    # reproduces for pgbench's prepared statements
    local per_call="" dur=${RUN_DUR:-$DUR}
    [[ $name == list || $name == list-r* ]] && per_call=" $LIST_PLAN_MODE"
    [[ $name == list_today* ]] && per_call=" -c plan_cache_mode=force_custom_plan"
    export PGOPTIONS="-c statement_timeout=5000 -c TimeZone=Asia/Shanghai$per_call" PGAPPNAME=bench-$name
    if [ "$WARMUP" -gt 0 ] && [[ $name != signup* && $name != login* ]]; then
        bounded $((WARMUP + 30)) "${pg[@]}" -T "$WARMUP" >/dev/null 2>&1 || true
    fi
    say "pgbench $name: $script as stvs_$role, -c$PGC -T$dur"
    rm -f "$OUT/pg-$name".log*
    measure "pg-$name" $((dur + 60)) "${pg[@]}" -T "$dur" -l --log-prefix="$OUT/pg-$name.log" >"$OUT/pg-$name.txt" 2>&1
    unset PGOPTIONS PGAPPNAME
    # per-transaction latencies (µs, 3rd field) into one file for the report
    cat "$OUT/pg-$name".log.* 2>/dev/null | awk '{ print $3 }' >"$OUT/pg-$name.lat" || true
    rm -f "$OUT/pg-$name".log.*
    grep -E '^(tps|latency average|number of (failed|transactions actually))' "$OUT/pg-$name.txt" | sed 's/^/    /' || true
}

# The sign-up invariants, and the sign-ups since a moment against the 201s.
verify_signups() { # name since
    psql_su -At -F ' ' -v since="$2" <<'SQL' | awk -v n="$1" '{ printf "{\"name\":\"%s\",\"oversold\":%d,\"count_mismatch\":%d,\"new_signups\":%d,\"activities_touched\":%d,\"now_full\":%d}\n", n, $1, $2, $3, $4, $5 }' >"$OUT/verify-$1.json"
SELECT (SELECT count(*) FROM activity.activities WHERE signed_up > capacity),
       (SELECT count(*) FROM activity.activities a
          LEFT JOIN (SELECT activity_id, count(*) AS n FROM activity.signups GROUP BY 1) s ON s.activity_id = a.id
         WHERE a.signed_up <> coalesce(s.n, 0)),
       (SELECT count(*) FROM activity.signups WHERE created_at >= :'since'),
       (SELECT count(DISTINCT activity_id) FROM activity.signups WHERE created_at >= :'since'),
       (SELECT count(*) FROM activity.activities a JOIN bench.signup_pool p ON p.activity_id = a.id
         WHERE a.signed_up >= a.capacity);
SQL
    sed 's/^/    /' "$OUT/verify-$1.json"
}

# ------------------------------------------------------------------ the runs

say "machine and versions"
{
    echo "started=$(date -Iseconds)"
    echo "git=$(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- common services db nginx 2>/dev/null || echo '+changes')"
    echo "nproc=$NPROC"
    echo "cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)"
    echo "mem_kib=$(awk '/^MemTotal/ { print $2 }' /proc/meminfo)"
    echo "kernel=$(uname -r)"
    echo "os=$(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "nginx=$(/usr/sbin/nginx -v 2>&1 | sed 's/^nginx version: //')"
    echo "postgres=$("$PGBIN/postgres" --version)"
    echo "pgbench=$("$PGBIN/pgbench" --version)"
    echo "wrk=$(wrk --version 2>&1 | head -n 1 | cut -d' ' -f1-2)"
    echo "libfcgi=$(dpkg-query -W -f='${Version}' libfcgi-dev 2>/dev/null)"
    echo "cc=$(cc --version | head -n 1)"
    echo "scale=$SCALE"; echo "seed=$SEED"; echo "duration=$DUR"; echo "warmup=$WARMUP"
    echo "rounds=$ROUNDS"; echo "round_duration=$ROUND_DUR"
    echo "connections=$CONNS"; echo "wrk_threads=$WRK_THREADS"; echo "threads=$THREADS"; echo "db_connections=$DBC"; echo "pg_clients=$PGC"; echo "tokens=$NTOK"
    echo "nact=$NACT"; echo "nvol=$NVOL"; echo "npool=$NPOOL"; echo "nlist=$NLIST"
    echo "u0=$U0"; echo "u1=$U1"; echo "l0=$L0"; echo "l1=$L1"
    echo "loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)"
    for s in shared_buffers fsync synchronous_commit full_page_writes wal_level max_connections; do
        echo "pg_$s=$(sql_val "SHOW $s")"
    done
    echo "pg_db_size=$(sql_val "SELECT pg_size_pretty(pg_database_size('stvs'))")"
    echo "dataset_loaded=$(sql_val "SELECT to_char(loaded_at, 'YYYY-MM-DD HH24:MI') FROM bench.dataset")"
    for t in auth.users volunteer.volunteers org.orgs activity.activities activity.signups; do
        echo "rows_$t=$(sql_val "SELECT count(*) FROM $t")"
    done
    echo "status_counts=$(sql_val "SELECT string_agg(s || ':' || n, ' ' ORDER BY s) FROM (SELECT activity.status_at(cancelled_at, starts_at, ends_at, signup_starts_at, signup_ends_at, now()) AS s, count(*) AS n FROM activity.activities GROUP BY 1) x")"
    # what one commit costs on this disk (the sign-up and the login commit)
    fs=$(timeout -k 5 60 "$PGBIN/pg_test_fsync" -s 1 -f "$VAR/pg_test_fsync.tmp" 2>/dev/null \
         | awk '/one 8kB write/ { f = 1 } f && /^ +fdatasync +[0-9]/ { print $2; exit }' || true)
    rm -f "$VAR/pg_test_fsync.tmp"
    echo "fdatasync_per_s=${fs:-?}"
} >"$OUT/meta.txt"
sed 's/^/    /' "$OUT/meta.txt" | grep -E 'nproc|cpu=|mem_kib|fdatasync|rows_activity.activities|npool|loadavg'

if all_steps; then
    # 1. the ceilings, and the list's SQL as it was before the capped count
    #    (issue 15), for the before/after ratio
    wrk_run return200 plain.lua /bench/return200
    wrk_run fcgi plain.lua /bench/fcgi
    pg_run list_today activity pg_list_today.sql -D nlist="$NLIST" -D page_size=20 -D offset=0

    # 2. tokens, through the real login (access tokens live 15 minutes)
    say "logging $NTOK volunteers in through the API (sms-codes, outbox, sessions)"
    t0=$(date +%s.%N)
    bounded $((NTOK / 20 + 180)) "$BIN/login_pair" --port "$HTTP_PORT" --outbox "$SMS_OUTBOX" \
        --phones "$DATA/token_phones.txt" --concurrency "$CONNS" --tokens-out "$DATA/tokens.txt"
    echo "{\"tokens\":$NTOK,\"seconds\":$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')}" >"$OUT/tokens.json"
    [ "$(wc -l <"$DATA/tokens.txt")" = "$NTOK" ] || die "token preparation wrote $(wc -l <"$DATA/tokens.txt") tokens, not $NTOK"

    # 3. the reads, each its SQL then its endpoint: round 1 against the
    #    ceilings of step 1, rounds 2..ROUNDS each after a FastCGI ceiling of
    #    its own, so a ratio's three figures are minutes apart at most (the
    #    tokens are still good through the sign-up steps)
    read_round() { # suffix of the runs' names ("" for round 1)
        pg_run "list$1" activity pg_list.sql -D nlist="$NLIST" -D page_size=20 -D offset=0
        wrk_run "list$1" list.lua "/api/v1/activities" "$DATA/regions.txt"
        pg_run "activity_get$1" activity pg_activity_get.sql -D nact="$NACT"
        wrk_run "detail$1" detail.lua "/api/v1/activities/1" "$NACT"
        pg_run "volunteer_me$1" volunteer pg_volunteer_me.sql -D u0="$U0" -D u1="$U1"
        wrk_run "me$1" me.lua "/api/v1/volunteers/me" "$DATA/tokens.txt"
    }
    read_round ""
    for i in $(seq 2 "$ROUNDS"); do
        RUN_DUR=$ROUND_DUR wrk_run "fcgi-r$i" plain.lua /bench/fcgi
        RUN_DUR=$ROUND_DUR read_round "-r$i"
    done

    # 4. the sign-up: pgbench, then back to the same state, then wrk
    since=$(sql_val "SELECT clock_timestamp()")
    pg_run signup activity pg_signup.sql -D n=0 -D clients="$PGC" -D npool="$NPOOL" -D ntok="$NTOK" \
        -D u0="$U0" -D pseed="$SEED"
    verify_signups pg-signup "$since"
    reset_signups
    since=$(sql_val "SELECT clock_timestamp()")
    wrk_run signup signup.lua "/api/v1/activities/1/signups" "$DATA/tokens.txt" "$DATA/pool.txt"
    verify_signups wrk-signup "$since"
    reset_signups

    # 4b. the sign-up rush (issue 15): RUSH_N volunteers, tokens signed by the
    #     driver with the stack's key, try to sign up for one new activity of
    #     capacity RUSH_CAP within RUSH_S seconds, while the list and the detail
    #     run at a set, non-saturating rate (wrk with a pause per connection);
    #     the same background load alone first, for its p99 without the rush
    RUSH_N=${BENCH_RUSH_USERS:-20000} RUSH_S=${BENCH_RUSH_SECONDS:-10} RUSH_CAP=${BENCH_RUSH_CAPACITY:-500}
    RUSH_ROUNDS=${BENCH_RUSH_ROUNDS:-3}
    read -r RB_LC RB_LD RB_DC RB_DD <<<"${BENCH_RUSH_BG:-4 20 8 5}"
    for v in RUSH_N RUSH_S RUSH_CAP RUSH_ROUNDS RB_LC RB_LD RB_DC RB_DD; do
        [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number (BENCH_RUSH_*)"
    done
    R1=$((U0 - 1)) R0=$((U0 - RUSH_N))
    [ "$R0" -ge 2 ] || { R0=2; say "the rush: only $((R1 - 1)) volunteers below the token holders at this scale"; }
    rush_window() { # name with-rush(0|1) [rush's activity] [its results' suffix]
        local name=$1 secs=$((RUSH_S + 4)) pids=() rc=0
        window_open "$name"
        BENCH_WRK_JSON=$OUT/$name-list.json BENCH_CONNECTIONS=$RB_LC BENCH_DELAY_MS=$RB_LD BENCH_SEED=$SEED \
            timeout -k 5 $((secs + 30)) wrk -t1 -c"$RB_LC" -d"${secs}s" --latency --timeout 10s -s bench/list.lua \
            "$BASE/api/v1/activities" -- "$DATA/regions.txt" >"$OUT/$name-list.txt" 2>&1 &
        pids+=($!)
        BENCH_WRK_JSON=$OUT/$name-detail.json BENCH_CONNECTIONS=$RB_DC BENCH_DELAY_MS=$RB_DD BENCH_SEED=$SEED \
            timeout -k 5 $((secs + 30)) wrk -t1 -c"$RB_DC" -d"${secs}s" --latency --timeout 10s -s bench/detail.lua \
            "$BASE/api/v1/activities/1" -- "$NACT" >"$OUT/$name-detail.txt" 2>&1 &
        pids+=($!)
        if [ "$2" = 1 ]; then
            sleep 2
            bounded $((RUSH_S + 150)) "$BIN/rush" --port "$HTTP_PORT" --key "$VAR/keys/jwt-es256.key" \
                --activity "$3" --users "$R0" "$R1" --seconds "$RUSH_S" --capacity "$RUSH_CAP" \
                --json "$OUT/rush$4.json" >"$OUT/rush$4.txt" 2>&1 || rc=$?
            [ $rc -eq 0 ] || { FAILED+=("rush$4 (exit $rc)"); say "the rush failed (exit $rc); see $OUT/rush$4.txt"; }
        fi
        for p in "${pids[@]}"; do wait "$p" || FAILED+=("$name background wrk"); done
        window_close "$name"
    }
    # the activities' updates and how many were HOT (no index entry) during the
    # rush: the seats' updates of one row, which stop being HOT when updaters
    # queue on its lock (common/gate.h)
    hot_counts() { sql_val "SELECT n_tup_upd || ' ' || n_tup_hot_upd FROM pg_stat_user_tables WHERE relid = 'activity.activities'::regclass"; }
    # in rounds, as the ratios to a bound (BENCH_RUSH_ROUNDS): each round the
    # background alone, then a rush for an activity of its own with the same
    # volunteers; round 1's results keep the plain names, round i's carry -r<i>
    for i in $(seq 1 "$RUSH_ROUNDS"); do
        sfx=""
        [ "$i" = 1 ] || sfx="-r$i"
        RUSH_ID=$(sql_val "INSERT INTO activity.activities (org_id, title, description, service_category, themes,
                               region_code, address, starts_at, ends_at, signup_starts_at, signup_ends_at, capacity,
                               service_hours, contact_name, contact_phone, requirements, members_only, created_by)
                           SELECT org_id, '报名高峰', description, service_category, themes, region_code, address,
                                  now() + interval '2 days', now() + interval '2 days 3 hours', now() - interval '1 hour',
                                  now() + interval '1 day', $RUSH_CAP, 2, contact_name, contact_phone, requirements,
                                  false, created_by
                           FROM activity.activities WHERE id = 1 RETURNING id" | head -n 1)
        [[ $RUSH_ID =~ ^[0-9]+$ ]] || die "could not create the rush's activity"
        # each round from the same state of activities: the last rounds' dead
        # row versions go (their HOT counts still varied: bench/ANALYSIS.md,
        # session 12)
        psql_su -qc "VACUUM activity.activities" >/dev/null
        say "rush round $i of $RUSH_ROUNDS: the background load alone: list ${RB_LC}c/${RB_LD}ms, detail ${RB_DC}c/${RB_DD}ms, $((RUSH_S + 4))s"
        rush_window "rush-bg-alone$sfx" 0
        say "rush round $i: $((R1 - R0 + 1)) volunteers, activity $RUSH_ID of capacity $RUSH_CAP, ${RUSH_S}s, same background"
        read -r UPD0 HOT0 <<<"$(hot_counts)"
        rush_window "rush-bg-during$sfx" 1 "$RUSH_ID" "$sfx"
        read -r UPD1 HOT1 <<<"$(hot_counts)"
        psql_su -At -F ' ' <<SQL | awk -v u=$((UPD1 - UPD0)) -v h=$((HOT1 - HOT0)) '{ printf "{\"signed_up\":%d,\"capacity\":%d,\"rows\":%d,\"updates\":%d,\"hot_updates\":%d}\n", $1, $2, $3, u, h }' >"$OUT/rush-verify$sfx.json"
SELECT signed_up, capacity, (SELECT count(*) FROM activity.signups WHERE activity_id = $RUSH_ID)
FROM activity.activities WHERE id = $RUSH_ID;
SQL
        if [ -s "$OUT/rush$sfx.json" ]; then cut -c1-300 "$OUT/rush$sfx.json" | sed 's/^/    /'; fi
        sed 's/^/    /' "$OUT/rush-verify$sfx.json"
    done
    reset_signups

    # 4c. issue 12: sign-up throughput with and without the stats trigger
    #     (activities_stats_signups, migration 017: the one a sign-up fires), wrk
    #     and pgbench, in alternating pairs from the same state; the sign-ups of
    #     each run are removed with the trigger in the state they were made in, so
    #     the summaries stay exact
    PAIRS=${BENCH_PAIRS:-3} PAIR_DUR=${BENCH_PAIR_DURATION:-10}
    trigger() { psql_su -c "ALTER TABLE activity.activities $1 TRIGGER activities_stats_signups"; }
    for i in $(seq 1 "$PAIRS"); do
        order="on off"
        if [ $((i % 2)) = 0 ]; then order="off on"; fi
        for mode in $order; do
            if [ "$mode" = off ]; then trigger DISABLE; fi
            RUN_DUR=$PAIR_DUR wrk_run "signup-trig-$mode-$i" signup.lua "/api/v1/activities/1/signups" \
                "$DATA/tokens.txt" "$DATA/pool.txt"
            reset_signups
            RUN_DUR=$PAIR_DUR pg_run "signup-trig-$mode-$i" activity pg_signup.sql -D n=0 -D clients="$PGC" \
                -D npool="$NPOOL" -D ntok="$NTOK" -D u0="$U0" -D pseed="$((SEED + i))"
            reset_signups
            if [ "$mode" = off ]; then trigger ENABLE; fi
        done
    done

    # 5. the login pair: the driver first (pgbench's sends would put phones of
    #    the same population in their resend cooldown), then its SQL alone;
    #    round 1, then rounds 2..ROUNDS (their bound takes the same round's
    #    R_fcgi, step 3)
    login_round() { # name seconds
        say "$1: bench/login_pair, $CONNS workers, ${2}s"
        measure "$1" $(($2 + 60)) "$BIN/login_pair" --port "$HTTP_PORT" --outbox "$SMS_OUTBOX" \
            --phones "$DATA/login_phones.txt" --concurrency "$CONNS" --duration "$2" --json "$OUT/$1.json"
        [ -s "$OUT/$1.json" ] && cut -c1-200 "$OUT/$1.json" | sed 's/^/    /'
        RUN_DUR=$2 pg_run "$1" auth pg_login.sql -D l0="$L0" -D l1="$L1" -D resend=1 -D per_day=1000 \
            -D per_hour=1000000 -D per_minute=1000000 -D hour=3600 -D minute=60 \
            -D purpose=login -D chash="$(printf '%064d' 0)" -D code_ttl=300 -D refresh_ttl=2592000
    }
    login_round login "$DUR"
    for i in $(seq 2 "$ROUNDS"); do
        # pgbench's last codes put their phones in the resend cooldown (SMS_RESEND_SECONDS): wait it out,
        # or the pair's first sends find a few of them there (a 429 that is the bench's, not the service's)
        sleep $((SMS_RESEND_SECONDS + 1))
        login_round "login-r$i" "$ROUND_DUR"
    done

    # 6. the list query alone, one connection: its cost at this scale
    say "the list's SQL on one connection (its cost at this scale)"
    PGOPTIONS="-c statement_timeout=5000 -c TimeZone=Asia/Shanghai $LIST_PLAN_MODE" bounded 60 \
        "$PGBIN/pgbench" -h "$PGSOCK" -p "$PG_PORT" -U stvs_activity -n -M prepared -c 1 -T 5 \
        -f "$VAR/pgbench/pg_list.sql" -D nlist="$NLIST" -D page_size=20 -D offset=0 stvs >"$OUT/pg-list-1conn.txt" 2>&1 || true

    rss_json >"$OUT/rss-final.json"

    # 7. a login flood from one client address (API.md v1.1): GET /auth/me alone
    #    and while 127.0.0.1 floods password logins (bench/login_flood.sh), first
    #    with the limit raised as above (as before LOGIN_PER_ADDRESS_PER_MINUTE
    #    existed), then with the services restarted at its default
    login_flood() { # name
        local rc=0
        bounded $((DUR * 3 + 240)) bench/login_flood.sh "$HTTP_PORT" "$SMS_OUTBOX" "$BIN/login_pair" "$OUT" "$1" "$DUR" \
            >"$OUT/$1.txt" 2>&1 || rc=$?
        if [ $rc -ne 0 ]; then
            FAILED+=("$1 (exit $rc)")
            say "$1: failed (exit $rc); see $OUT/$1.txt"
        else
            cut -c1-200 "$OUT/$1.json" | sed 's/^/    /'
        fi
    }
    say "login flood from one address, the login limit raised (as before it existed)"
    login_flood login-flood-nolimit
    say "restarting the services with LOGIN_PER_ADDRESS_PER_MINUTE at its default"
    # the logins counted above (limit raised) would hold every bench address past
    # the default for a minute: the flood starts from a clean count, as the
    # driver's own token logins (from 127.0.2.1-4) need
    psql_su -c "DELETE FROM auth.address_hits WHERE kind = 'login'"
    env -u LOGIN_PER_ADDRESS_PER_MINUTE scripts/stack.sh run >/dev/null
    say "login flood from one address, the login limit at its default"
    login_flood login-flood
fi

# 7b. issue 12's stats endpoints: p50/p99 of each at one client
#     (bench/stats_latency.py, a token of the dataset's national admin, user 1,
#     signed with the stack's key), then each one's throughput at 16 clients
STATS_CALLS=${BENCH_STATS_CALLS:-200} STATS_SECS=${BENCH_STATS_SECONDS:-5}
say "stats: every endpoint at one client ($STATS_CALLS calls), then at 16 clients (${STATS_SECS}s each)"
STATS_LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
rc=0
bounded 600 python3 bench/stats_latency.py "$BASE/api/v1" "$VAR/keys/jwt-es256.key" 1 "$STATS_CALLS" \
    --json "$OUT/stats-1.json" --token-out "$DATA/stats-token.txt" >"$OUT/stats-1.txt" 2>&1 || rc=$?
if [ $rc -ne 0 ]; then
    FAILED+=("stats latency (exit $rc)")
    say "stats latency failed (exit $rc); see $OUT/stats-1.txt"
else
    sed 's/^/    /' "$OUT/stats-1.txt"
    python3 bench/stats_latency.py --paths >"$DATA/stats-paths.txt"
    k=0
    while IFS=$'\t' read -r path accept; do
        k=$((k + 1))
        BENCH_WRK_JSON=$OUT/stats-16-$k.json BENCH_CONNECTIONS=16 BENCH_ACCEPT=$accept BENCH_SEED=$SEED \
            bounded $((STATS_SECS + 40)) wrk -t2 -c16 -d"${STATS_SECS}s" --latency --timeout 10s -s bench/stats.lua \
            "$BASE/api/v1$path" -- "$DATA/stats-token.txt" >"$OUT/stats-16-$k.txt" 2>&1 \
            || FAILED+=("stats wrk $path")
        printf '%s\t%s\n' "$k" "$path" >>"$OUT/stats-16.index"
    done <"$DATA/stats-paths.txt"
fi
STATS_LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

if all_steps; then
    # 8. 集体注册 (API.md v1.1): IMPORT_ROWS (default 50,000) volunteer rows
    #    validated and committed (rows/s of each step), then sign-up latency on an
    #    idle stack and while the same number of rows is imported. The scripts use
    #    the API tests' harness and fixture generators.
    IMPORT_ROWS=${BENCH_IMPORT_ROWS:-50000}
    bench_import() { # name script
        local rc=0
        STVS_TEST_BASE="$BASE/api/v1" STVS_TEST_OUTBOX="$SMS_OUTBOX" \
        STVS_TEST_PSQL="psql -h $PGSOCK -p $PG_PORT -U stvs -d stvs -X -q -At -v ON_ERROR_STOP=1" \
            bounded 600 python3 "$2" "$IMPORT_ROWS" >"$OUT/$1.txt" 2>&1 || rc=$?
        if [ $rc -ne 0 ]; then
            FAILED+=("$1 (exit $rc)")
            say "$1: failed (exit $rc); see $OUT/$1.txt"
        else
            sed 's/^/    /' "$OUT/$1.txt"
        fi
    }
    [[ $IMPORT_ROWS =~ ^[0-9]+$ ]] || die "BENCH_IMPORT_ROWS must be a whole number"
    if [ "$IMPORT_ROWS" -gt 0 ]; then
        say "import: $IMPORT_ROWS volunteer rows validated and committed"
        bench_import import-rows bench/import_rows.py
        say "import: sign-up p99 alone and during an import of $IMPORT_ROWS rows"
        bench_import import-signup bench/import_signup_p99.py
    fi
fi

{
    echo "finished=$(date -Iseconds)"
    if all_steps; then
        echo "rush_users=$R0..$R1"; echo "rush_bg=$RB_LC $RB_LD $RB_DC $RB_DD"; echo "rush_rounds=$RUSH_ROUNDS"
        echo "pairs=$PAIRS"; echo "pair_duration=$PAIR_DUR"
    fi
    echo "stats_seconds=$STATS_SECS"; echo "stats_loadavg=$STATS_LOAD0 / $STATS_LOAD1"
} >>"$OUT/meta.txt"
while read -r s off; do
    echo "log_errors_$s=$(tail -c +$((off + 1)) "$VAR/log/$s.log" | grep -c '"level":"error"' || true)"
done <"$OUT/log-offsets" >>"$OUT/meta.txt"

say "writing $RESULTS"
python3 bench/report.py "$OUT" "$RESULTS" ${ONLY:+--only "$ONLY"}
if [ ${#FAILED[@]} -gt 0 ]; then
    die "some runs failed: ${FAILED[*]} (see $RESULTS)"
fi
say "done: $RESULTS"
