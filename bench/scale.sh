#!/usr/bin/env bash
# make bench-scale: what more processes per service and a standby buy, on a
# stack of its own (STVS_VAR=var/bench-scale, nginx 127.0.0.1:18095, sockets
# named after port 55445), release build. Writes bench/SCALE.md.
#   For P in BENCH_SCALE_PROCS (1 2 4) processes per service: wrk on
#   GET /api/v1/activities/{id} (anonymous, ids uniform) and on
#   POST /api/v1/activities/{id}/signups (a token of BENCH_TOKENS volunteers, a
#   recruiting activity), with the CPU each part of the stack spent per
#   request (utime+stime deltas from /proc/<pid>/stat: nginx, the services,
#   PostgreSQL's primary and standby, wrk itself). Then, at the largest P, the
#   anonymous detail again with STVS_REPLICA=1 (the standby serves it).
# Environment (optional): BENCH_SCALE (0.01: 10k volunteers, 2k activities;
# bench/seed.sh), BENCH_SEED (1), BENCH_DURATION (10 s), BENCH_CONNECTIONS
# (32), BENCH_WRK_THREADS (2), BENCH_THREADS (4, STVS_THREADS), BENCH_TOKENS
# (500), BENCH_SCALE_PROCS ("1 2 4"), BENCH_SCALE_OUT (bench/SCALE.md).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

SCALE=${BENCH_SCALE:-0.01} SEED=${BENCH_SEED:-1} DUR=${BENCH_DURATION:-10} CONNS=${BENCH_CONNECTIONS:-32}
WRK_THREADS=${BENCH_WRK_THREADS:-2} THREADS=${BENCH_THREADS:-4} NTOK=${BENCH_TOKENS:-500}
PROCS_LIST=${BENCH_SCALE_PROCS:-1 2 4} RESULTS=${BENCH_SCALE_OUT:-$ROOT/bench/SCALE.md}
for v in SEED DUR CONNS WRK_THREADS THREADS NTOK; do [[ ${!v} =~ ^[0-9]+$ ]] || { echo "bench-scale: $v must be a whole number" >&2; exit 1; }; done
for p in $PROCS_LIST; do [[ $p =~ ^[1-9]$ ]] || { echo "bench-scale: BENCH_SCALE_PROCS: 1..9 each" >&2; exit 1; }; done

export STVS_VAR=$ROOT/var/bench-scale HTTP_PORT=${BENCH_SCALE_HTTP_PORT:-18095} STVS_PG_PORT=${BENCH_SCALE_PG_PORT:-55445}
export STVS_THREADS=$THREADS MODE=release
unset STVS_PG_FAST STVS_WRAPPER STVS_PROCS STVS_REPLICA STVS_METRICS_PORT STVS_RUN_DIR
export SMS_PER_ADDRESS_PER_HOUR=1000000 SMS_PER_PHONE_PER_DAY=1000 SMS_RESEND_SECONDS=1
export LOGIN_PER_ADDRESS_PER_MINUTE=1000000
export SMS_OUTBOX=$STVS_VAR/sms-outbox.jsonl BENCH_SEED=$SEED BENCH_CONNECTIONS=$CONNS
OUT=$STVS_VAR/results DATA=$STVS_VAR/data BIN=$ROOT/build/release/bench
say() { echo "bench-scale: $(date +%H:%M:%S) $*"; }
paths() { eval "$(scripts/stack.sh paths)"; }
psql_su() { psql -X -q -v ON_ERROR_STOP=1 -h "$STVS_PGHOST" -p "$STVS_PG_PORT" -U stvs -d stvs "$@"; }
sql_val() { psql_su -At -c "$1"; }
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    STVS_REPLICA=1 scripts/stack.sh stop >/dev/null 2>&1 || true
    [ $rc = 0 ] || echo "bench-scale: failed (exit $rc); logs in $STVS_VAR/log, raw results in $OUT" >&2
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

scripts/deps.sh >/dev/null
make -s MODE=release build build/release/bench/login_pair
mkdir -p "$OUT" "$DATA"
rm -f "$OUT"/*.json

# --- the dataset (bench/seed.sh into a scratch database, then in stvs' place), before any service runs
scripts/stack.sh stop >/dev/null 2>&1 || true
STVS_REPLICA= scripts/stack.sh migrate >/dev/null
paths
if [ "$(sql_val "SELECT count(*) FROM activity.activities")" = 0 ] ||
   [ "$(cat "$STVS_VAR/bench-scale.dataset" 2>/dev/null)" != "$SCALE $SEED" ]; then
    say "loading the dataset: bench/seed.sh --scale $SCALE --seed $SEED"
    PGHOST=$STVS_PGHOST PGPORT=$STVS_PG_PORT PGUSER=stvs PGDATABASE=stvs_bench \
        bench/seed.sh --fresh --scale "$SCALE" --seed "$SEED" >"$OUT/seed.txt"
    psql -X -q -v ON_ERROR_STOP=1 -h "$STVS_PGHOST" -p "$STVS_PG_PORT" -U stvs -d postgres \
        -c "DROP DATABASE IF EXISTS stvs WITH (FORCE)" -c "ALTER DATABASE stvs_bench RENAME TO stvs"
    echo "$SCALE $SEED" >"$STVS_VAR/bench-scale.dataset"
    sql_val "SELECT clock_timestamp()" >"$STVS_VAR/bench-scale.loaded"
fi
LOADED=$(cat "$STVS_VAR/bench-scale.loaded")
NACT=$(sql_val "SELECT max(id) FROM activity.activities")
NVOL=$(sql_val "SELECT max(id) FROM volunteer.volunteers")
U0=$((NVOL - NTOK + 1))
# what earlier runs signed up goes (the load's own sign-ups stay)
reset_signups() {
    psql_su -At <<SQL >/dev/null
BEGIN;
CREATE TEMP TABLE gone ON COMMIT DROP AS
WITH d AS (DELETE FROM activity.signups WHERE created_at > '$LOADED' RETURNING activity_id)
SELECT activity_id, count(*) AS n FROM d GROUP BY activity_id;
UPDATE activity.activities a SET signed_up = a.signed_up - g.n FROM gone g WHERE a.id = g.activity_id;
COMMIT;
SQL
}
reset_signups
sql_val "SELECT a.id FROM activity.activities a
         WHERE activity.status_at(a.cancelled_at, a.starts_at, a.ends_at, a.signup_starts_at, a.signup_ends_at, now()) = 'recruiting'
           AND NOT a.members_only AND a.signup_ends_at > now() + interval '1 hour'
           AND NOT EXISTS (SELECT 1 FROM activity.signups s WHERE s.activity_id = a.id AND s.volunteer_id >= $U0)
         ORDER BY a.id" >"$DATA/pool.txt"
sql_val "SELECT u.phone FROM auth.users u WHERE u.id BETWEEN $U0 AND $NVOL ORDER BY u.id" >"$DATA/token_phones.txt"
[ -s "$DATA/pool.txt" ] || { echo "bench-scale: no recruiting activity: BENCH_SCALE is too small" >&2; exit 1; }

# --- CPU: clock ticks (utime + stime) of every process of a group
ticks_of() { # pid...
    local p t=0 f
    for p in "$@"; do
        f=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        f=${f##*) }
        # fields after the comm: state is 3rd overall; utime, stime the 14th, 15th
        set -- $f
        t=$((t + ${12} + ${13}))
    done
    echo "$t"
}
group_pids() { # nginx | services | primary | standby
    case $1 in
        nginx) local m; m=$(cat "$STVS_NGINX_PID" 2>/dev/null) && { echo "$m"; pgrep -P "$m"; } ;;
        services) cat "$STVS_RUN_DIR"/*.pid 2>/dev/null ;;
        primary) local m; m=$(head -n 1 "$STVS_PGDATA/postmaster.pid" 2>/dev/null) && { echo "$m"; pgrep -P "$m"; } ;;
        standby) local m; m=$(head -n 1 "$STVS_REPLICA_PGDATA/postmaster.pid" 2>/dev/null) && { echo "$m"; pgrep -P "$m"; } ;;
    esac
}
GROUPS_=(nginx services primary standby)
snapshot() { # file
    local g
    for g in "${GROUPS_[@]}"; do
        # shellcheck disable=SC2046
        echo "$g $(ticks_of $(group_pids "$g"))"
    done >"$1"
}
HZ=$(getconf CLK_TCK)

# --- one wrk run with the CPU it cost: results/<name>.json
run_wrk() { # name script path args...
    local name=$1 script=$2 path=$3
    shift 3
    say "wrk $name: -t$WRK_THREADS -c$CONNS -d${DUR}s"
    snapshot "$OUT/$name.cpu0"
    BENCH_WRK_JSON=$OUT/$name.json /usr/bin/time -f '%U %S' -o "$OUT/$name.wrktime" \
        wrk -t"$WRK_THREADS" -c"$CONNS" -d"${DUR}s" --latency --timeout 10s -s "bench/$script" \
        "http://127.0.0.1:$HTTP_PORT$path" -- "$@" >"$OUT/$name.txt" 2>&1
    snapshot "$OUT/$name.cpu1"
    python3 - "$OUT/$name" "$HZ" <<'PY'
import json, sys
base, hz = sys.argv[1], int(sys.argv[2])
r = json.load(open(base + ".json"))
a = dict(l.split() for l in open(base + ".cpu0")); b = dict(l.split() for l in open(base + ".cpu1"))
u, s = open(base + ".wrktime").read().split()[-2:]
n = max(r["requests"], 1)
cpu = {g: (int(b[g]) - int(a[g])) * 1000.0 / hz / n for g in b}   # ms of CPU per request
cpu["wrk"] = (float(u) + float(s)) * 1000.0 / n
r["cpu_ms_per_request"] = cpu
json.dump(r, open(base + ".json", "w"))
PY
}

start() { # procs replica
    say "stack: STVS_PROCS=$1${2:+ STVS_REPLICA=1}"
    STVS_PROCS=$1 STVS_REPLICA=$2 scripts/stack.sh run >"$OUT/stack-$1$2.txt" 2>&1
    paths
}
first=1
for P in $PROCS_LIST; do
    start "$P" ""
    if [ -n "$first" ]; then
        say "logging $NTOK volunteers in through the API"
        "$BIN/login_pair" --port "$HTTP_PORT" --outbox "$SMS_OUTBOX" --phones "$DATA/token_phones.txt" \
            --concurrency "$CONNS" --tokens-out "$DATA/tokens.txt" >"$OUT/tokens.txt" 2>&1
        first=""
    fi
    run_wrk "detail-p$P" detail.lua "/api/v1/activities/1" "$NACT"
    reset_signups
    run_wrk "signup-p$P" signup.lua "/api/v1/activities/1/signups" "$DATA/tokens.txt" "$DATA/pool.txt"
done
PMAX=$(echo "$PROCS_LIST" | tr ' ' '\n' | sort -n | tail -n 1)
start "$PMAX" 1
run_wrk "detail-p$PMAX-standby" detail.lua "/api/v1/activities/1" "$NACT"
lag=$(scripts/stack.sh status | grep -E '^(replica|replication)' || true)

say "writing $RESULTS"
python3 - "$OUT" "$PROCS_LIST" "$PMAX" "$SCALE" "$DUR" "$CONNS" "$THREADS" "$NACT" "$NVOL" "$(nproc)" "$lag" >"$RESULTS" <<'PY'
import json, os, sys, datetime
out, procs, pmax, scale, dur, conns, threads, nact, nvol, ncpu, lag = sys.argv[1:]
procs = procs.split()
def load(name):
    p = os.path.join(out, name + ".json")
    return json.load(open(p)) if os.path.exists(p) else None
def row(label, r):
    if not r:
        return "| %s | (no result) |||||||||" % label
    c = r["cpu_ms_per_request"]
    e = r["errors"]
    errs = e["connect"] + e["read"] + e["write"] + e["timeout"]
    if r.get("counts"):  # the sign-up script counts answers: 201 and 409 are the endpoint working
        errs += sum(n for k, n in r["counts"].items() if k != "201" and not k.startswith("409"))
    else:
        errs += e["status"]
    counts = ", ".join("%s: %d" % kv for kv in sorted(r.get("counts", {}).items())) or "-"
    total = sum(c[g] for g in ("nginx", "services", "primary", "standby"))
    return "| %s | %.0f | %.1f | %.1f | %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %s |" % (
        label, r["requests_per_s"], r["p50_ms"], r["p99_ms"], errs, c["nginx"], c["services"], c["primary"],
        c["standby"], total, c["wrk"], counts)
print("# make bench-scale: more processes per service, and a standby\n")
print("Measured %s by `bench/scale.sh` (BENCH_SCALE=%s: %s activities, %s volunteers; %s s per run, %s connections, "
      "STVS_THREADS=%s, release build) on a %s-core machine **shared with other work while it ran**: the figures are "
      "indicative, the CPU per request is the part that carries over to a bigger machine.\n"
      % (datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"), scale, nact, nvol, dur, conns, threads, ncpu, ))
print("CPU columns: milliseconds of CPU (utime + stime from /proc/<pid>/stat, deltas over the run) per request, "
      "by part of the stack; `wrk` is the load generator's own, on the same cores. `errors` counts wrk's socket "
      "errors and answers other than 200/201 and the sign-ups' 409s (an activity full or a volunteer already "
      "signed up is the endpoint working; they are listed under answers).\n")
hdr = ("| run | req/s | p50 ms | p99 ms | errors | nginx | services | primary | standby | stack total | wrk | answers |\n"
       "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
print("## GET /api/v1/activities/{id} (anonymous)\n")
print(hdr)
for p in procs:
    print(row("%s process%s per service" % (p, "" if p == "1" else "es"), load("detail-p%s" % p)))
print(row("%s per service + standby (read pools)" % pmax, load("detail-p%s-standby" % pmax)))
print("\n## POST /api/v1/activities/{id}/signups (a token)\n")
print(hdr)
for p in procs:
    print(row("%s process%s per service" % (p, "" if p == "1" else "es"), load("signup-p%s" % p)))
print("\n## Replica at the end of the standby run\n")
print("```\n%s\n```\n" % (lag or "(no status)"))
print("## Where the time goes\n")
for name, label in (("detail-p1", "GET /activities/{id}"), ("signup-p1", "POST /activities/{id}/signups")):
    r = load(name)
    if r:
        c = r["cpu_ms_per_request"]
        total = sum(c[g] for g in ("nginx", "services", "primary", "standby")) or 1
        print("- %s, 1 process per service: nginx %.0f %%, the services %.0f %%, PostgreSQL %.0f %% of the stack's "
              "%.2f ms of CPU per request; at that cost one core serves about %.0f requests/s."
              % (label, 100 * c["nginx"] / total, 100 * c["services"] / total,
                 100 * (c["primary"] + c["standby"]) / total, total, 1000 / total))
print()
print("## Reading the figures\n")
print("- On %s cores wrk, nginx, the services and PostgreSQL share the same CPUs: more processes cannot add "
      "throughput once the cores are busy; they add it where one process's threads wait (on the database, on a "
      "lock) and keep serving while one process restarts. The request rate a bigger machine reaches is about "
      "its cores divided by the *stack total* CPU per request (the load generator excluded), as long as "
      "PostgreSQL's share fits on its own host." % ncpu)
print("- The standby run moves the anonymous reads' PostgreSQL CPU from the primary column to the standby "
      "column: on separate hosts that is the primary's capacity given back to writes. On one machine the two "
      "clusters share the cores: what the req/s column shows between these runs is mostly the noise of a shared "
      "machine, not the standby.")
print("- With 4 processes per service on 2 cores, %s threads and as many PostgreSQL connections per service "
      "contend for 2 cores: where the CPU per request rises with the process count, that is context switches "
      "and cache, which a bigger machine does not show until its cores are as oversubscribed." % (4 * int(threads)))
print("- Each sign-up run starts from the same data (what the previous run signed up is deleted first), but a "
      "faster run fills more of the small dataset's recruiting activities, so more of its answers are 409 "
      "activity_full (cheaper than a 201): compare the 201 counts as well as req/s.")
print("- Sign-ups are bounded by the row lock on the activity they update (one at a time per activity), "
      "not by the number of processes; spreading sign-ups over more activities scales them.")
PY
say "done: $RESULTS"
