#!/usr/bin/env bash
# The login flood (API.md v1.1, LOGIN_PER_ADDRESS_PER_MINUTE): GET /auth/me's
# p99 alone, then while one client address floods POST /auth/sessions with
# password logins. The contract: the flood leaves other requests' p99 within
# 2x, because the per-address limit answers 429 before any hash.
#   bench/login_flood.sh PORT OUTBOX LOGIN_PAIR OUT_DIR NAME [SECONDS]
# Needs a running stack on 127.0.0.1:PORT, the development SMS outbox
# OUTBOX, the bench's login_pair binary, and wrk. bench/run.sh runs it twice:
# with the limit raised (NAME=login-flood-nolimit: as before the limit
# existed) and after restarting auth with LOGIN_PER_ADDRESS_PER_MINUTE at its
# default (NAME=login-flood). Writes OUT_DIR/NAME.json (and the wrk outputs).
#
# Loads (environment):
#   /auth/me: BENCH_FLOOD_ME_CONNECTIONS=8 connections, each waiting
#     BENCH_FLOOD_ME_DELAY_MS=10 between requests (about 800/s: a load the
#     machine serves without queueing, so that p99 is the requests' own time);
#   the flood: BENCH_FLOOD_CONNECTIONS=32 connections from 127.0.0.1, each
#     waiting BENCH_FLOOD_DELAY_MS=32 between logins (about 1000 logins/s:
#     30 times what 32 clients hashing on every try could get served before).
#   A flood sent as fast as the server answers (delay 0) saturates a small
#   machine with any request at all, refused or not; that one is measured too
#   (NAME-unpaced), for information.
# Bounded: every command runs under timeout.
set -euo pipefail
cd "$(dirname "$0")/.."

[ $# -ge 5 ] || { echo "usage: bench/login_flood.sh PORT OUTBOX LOGIN_PAIR OUT_DIR NAME [SECONDS]" >&2; exit 2; }
port=$1 outbox=$2 login_pair=$3 out=$4 name=$5 dur=${6:-15}
flood_conns=${BENCH_FLOOD_CONNECTIONS:-32} me_conns=${BENCH_FLOOD_ME_CONNECTIONS:-8}
flood_delay=${BENCH_FLOOD_DELAY_MS:-32} me_delay=${BENCH_FLOOD_ME_DELAY_MS:-10}
[[ $name =~ ^[a-z0-9-]+$ ]] || { echo "login_flood: NAME must be [a-z0-9-]+" >&2; exit 2; }
for v in port dur flood_conns me_conns flood_delay me_delay; do
    [[ ${!v} =~ ^[0-9]+$ ]] || { echo "login_flood: $v must be a whole number" >&2; exit 2; }
done
base=http://127.0.0.1:$port
mkdir -p "$out"

# Access tokens for /auth/me: 16 new accounts through the real code login
# (login_pair, 4 workers from 127.0.2.1-4: well under the limit).
for _ in $(seq 1 16); do printf '199%08d\n' $(((RANDOM * 32768 + RANDOM) % 100000000)); done | sort -u >"$out/$name-phones.txt"
timeout -k 5 180 "$login_pair" --port "$port" --outbox "$outbox" --phones "$out/$name-phones.txt" \
    --concurrency 4 --tokens-out "$out/$name-tokens.txt"

me_run() { # json-file seconds
    BENCH_WRK_JSON=$1 BENCH_CONNECTIONS=$me_conns BENCH_SEED=1 BENCH_DELAY_MS=$me_delay \
        timeout -k 5 $(($2 + 60)) wrk -t1 -c"$me_conns" -d"$2s" --latency --timeout 10s -s bench/me.lua \
        "$base/api/v1/auth/me" -- "$out/$name-tokens.txt" >"${1%.json}.txt" 2>&1
}
# One measured /auth/me run while the flood (delay $1 ms) runs: the flood
# starts 5 s before it (by then its first LOGIN_PER_ADDRESS_PER_MINUTE logins,
# which the limit lets through and which are hashed like any login, are
# served: what is measured is the flood beyond the limit) and ends 2 s after.
flood_run() { # delay_ms suffix
    BENCH_WRK_JSON=$out/$name$2-logins.json BENCH_CONNECTIONS=$flood_conns BENCH_SEED=$(date +%s) BENCH_DELAY_MS=$1 \
        timeout -k 5 $((dur + 60)) wrk -t1 -c"$flood_conns" -d$((dur + 7))s --latency --timeout 10s \
        -s bench/login_flood.lua "$base/api/v1/auth/sessions" >"$out/$name$2-logins.txt" 2>&1 &
    local flood_pid=$! me_rc=0 flood_rc=0
    sleep 5
    me_run "$out/$name$2-me-during.json" "$dur" || me_rc=$?
    wait "$flood_pid" || flood_rc=$?
    [ $me_rc -eq 0 ] && [ $flood_rc -eq 0 ] || { echo "login_flood: wrk failed (me $me_rc, flood $flood_rc)" >&2; exit 1; }
}

me_run "$out/$name-warmup.json" 3 || true
me_run "$out/$name-me-alone.json" "$dur"
flood_run "$flood_delay" ""
flood_run 0 -unpaced

python3 - "$out" "$name" "$flood_delay" "$me_delay" >"$out/$name.json" <<'PY'
import json, os, sys
d, name, flood_delay, me_delay = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
load = lambda n: json.load(open(os.path.join(d, n)))
pick = lambda r: {k: r[k] for k in ("requests_per_s", "p50_ms", "p99_ms", "errors")}
alone = load(name + "-me-alone.json")
out = {"name": name, "me_connections": alone["connections"], "me_delay_ms": me_delay, "me_alone": pick(alone)}
for suffix, delay in (("", flood_delay), ("-unpaced", 0)):
    during, flood = load(name + suffix + "-me-during.json"), load(name + suffix + "-logins.json")
    ratio = during["p99_ms"] / alone["p99_ms"] if alone["p99_ms"] > 0 else None
    out["paced" if not suffix else "unpaced"] = {
        "flood_connections": flood["connections"], "flood_delay_ms": delay,
        "flood": {"requests_per_s": flood["requests_per_s"], "p50_ms": flood["p50_ms"], "p99_ms": flood["p99_ms"],
                  "counts": flood["counts"]},
        "me_during": pick(during), "p99_ratio": ratio, "within_2x": ratio is not None and ratio <= 2.0}
print(json.dumps(out))
PY
cat "$out/$name.json"
