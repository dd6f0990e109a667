#!/usr/bin/env bash
# A newcomer's first run, as a test (make test runs it last): a copy of this
# checkout (tracked and new files; no var/) in a folder under a `mktemp -d`
# parent with mode 700, as /root is, and there exactly what a new user types:
#   make run                 no STVS_PG_FAST: a real, durable cluster, created now
#   the README's walk-through  sms-codes -> var/sms-outbox.jsonl -> sessions -> /auth/me
#   make run                 again, while it runs
#   make stop; make run      and the walk-through again
#   make stop                nothing left running, the runtime dir gone
# Checked on the way: permissions outside the copy are unchanged, the sockets
# are in the runtime dir and not in the copy, and (as root) the cluster went
# where the postgres user can reach it. The built binaries are copied along
# (build/$MODE) so that make run has nothing to rebuild. Whatever it started
# is stopped and removed on exit, failure or interrupt. Ends with one line:
# N passed, N failed.
#   tests/firstrun.sh
# Environment: MODE (default release; make test passes asan), FIRSTRUN_HTTP_PORT
# (18085), FIRSTRUN_PG_PORT (55438), FIRSTRUN_LOG_DIR (var/firstrun: the
# copy's logs and make's output are kept there).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODE=${MODE:-release}
HPORT=${FIRSTRUN_HTTP_PORT:-18085}
PPORT=${FIRSTRUN_PG_PORT:-55438}
OUT=${FIRSTRUN_LOG_DIR:-$ROOT/var/firstrun}
BASE=http://127.0.0.1:$HPORT/api/v1
# The services are the Makefile's (what make run starts), as docker/check.sh reads them.
read -ra SERVICES <<<"$(sed -nE 's/^SERVICES[[:space:]]*:?=[[:space:]]*//p' "$ROOT/Makefile")"

# What a new user's shell has: none of the test stack's settings.
unset STVS_VAR STVS_PG_FAST STVS_RUN_DIR SMS_OUTBOX STVS_WRAPPER
export MODE HTTP_PORT=$HPORT STVS_PG_PORT=$PPORT

rm -rf "$OUT"
mkdir -p "$OUT"
passed=0 failed=0
result() { # name ok?
    if [ "$2" = 0 ]; then passed=$((passed + 1)); echo "PASS $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}
# Runs a step (a function) with its output in $OUT/<n>.log; shown on failure.
# set -e does not reach into it (it runs left of ||): steps check each command.
step_no=0
step() { # name function [args...]
    local name=$1 rc=0 log
    shift
    step_no=$((step_no + 1))
    log=$OUT/$(printf '%02d' "$step_no").log
    ("$@") >"$log" 2>&1 || rc=$?
    if [ $rc != 0 ]; then tail -n 25 "$log" | sed 's/^/    /'; fi
    result "first run: $name" $rc
    return $rc
}

PARENT="" CLONE=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    if [ -n "$CLONE" ] && [ -x "$CLONE/scripts/stack.sh" ]; then
        cp -r "$CLONE/var/log" "$OUT/copy-log" 2>/dev/null
        (cd "$CLONE" && scripts/stack.sh purge) >>"$OUT/cleanup.log" 2>&1
    fi
    if [ -n "$PARENT" ]; then rm -rf -- "$PARENT"; fi
    echo "$passed passed, $failed failed"
    if [ $rc = 0 ] && [ $failed != 0 ]; then rc=1; fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

http_code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# --- the steps ---------------------------------------------------------------

preflight() {
    for s in "${SERVICES[@]}"; do
        [ -x "$ROOT/build/$MODE/bin/stvs-$s" ] || { echo "build/$MODE/bin/stvs-$s is missing: build first (make MODE=$MODE build)"; return 1; }
    done
    if [ "$(http_code --max-time 2 "http://127.0.0.1:$HPORT/")" != 000 ]; then
        echo "port $HPORT is in use: set FIRSTRUN_HTTP_PORT"
        return 1
    fi
}

# The copy: what `git clone` would give, plus files not yet committed.
copy_checkout() {
    PARENT=$(mktemp -d -t stvs-firstrun.XXXXXX)
    [ "$(stat -c %a "$PARENT")" = 700 ] || { echo "mktemp -d made $PARENT with mode $(stat -c %a "$PARENT"), not 700"; return 1; }
    CLONE=$PARENT/stvs
    mkdir "$CLONE"
    if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        (cd "$ROOT" && git ls-files -z -co --exclude-standard | tar --null -T - --ignore-failed-read -cf - 2>/dev/null) \
            | tar -xf - -C "$CLONE" || return 1
    else
        (cd "$ROOT" && tar --exclude=./var --exclude=./build --exclude=./node_modules -cf - .) | tar -xf - -C "$CLONE" \
            || return 1
    fi
    [ -s "$CLONE/scripts/stack.sh" ] && [ -s "$CLONE/Makefile" ] || { echo "the copy lacks scripts/stack.sh or the Makefile"; return 1; }
    mkdir -p "$CLONE/build" && cp -a "$ROOT/build/$MODE" "$CLONE/build/" || return 1
    # the PC client as built (make test builds it first), so make web has nothing to do
    if [ -d "$ROOT/web/node_modules" ]; then cp -a "$ROOT/web/node_modules" "$CLONE/web/" || return 1; fi
    if [ -d "$ROOT/web/dist" ]; then cp -a "$ROOT/web/dist" "$CLONE/web/" || return 1; fi
    echo "copied to $CLONE"
}

# Every folder from the copy up to /, with its mode and owner.
parents_state() {
    local d=$CLONE
    while [ "$d" != / ]; do d=$(dirname "$d"); stat -c '%n %a %U:%G' "$d"; done
}

make_run() {
    (cd "$CLONE" && timeout 600 make -s run) 2>&1 | tee "$OUT/make-run-$1.out"
}

first_make_run() {
    make_run 1 || return 1
    grep -q 'stack: creating the PostgreSQL cluster' "$OUT/make-run-1.out" \
        || { echo "make run did not create a cluster"; return 1; }
}

load_paths() {
    eval "$(cd "$CLONE" && scripts/stack.sh paths | sed 's/^/P_/')"
}

healthy() {
    local p code
    for p in $P_STVS_HEALTH_PATHS; do
        code=$(http_code --max-time 5 "$BASE/$p/health")
        echo "GET /$p/health: $code"
        [ "$code" = 200 ] || return 1
    done
}

# The PC client answers at / and at a client route (the SPA fallback).
web_client() {
    local p
    for p in / /activities; do
        curl -s --max-time 5 "http://127.0.0.1:$HPORT$p" | grep -q '<div id="app"' || { echo "GET $p: no PC client"; return 1; }
    done
}

durable() {
    local v
    v=$(psql -X -At -h "$P_STVS_PGHOST" -p "$PPORT" -U stvs -d stvs -c "SHOW fsync") || return 1
    echo "fsync = $v"
    [ "$v" = on ]
}

# README.md's "Try it", with the code read from the outbox as it says.
walkthrough() { # phone
    local phone=$1 code resp token
    code=$(http_code --max-time 10 -XPOST "$BASE/auth/sms-codes" -H 'Content-Type: application/json' \
        -d "{\"phone\":\"$phone\",\"purpose\":\"login\"}")
    echo "POST /auth/sms-codes: $code"
    [ "$code" = 202 ] || return 1
    code=$(cd "$CLONE" && tail -1 var/sms-outbox.jsonl |
        python3 -c 'import json, sys; e = json.load(sys.stdin); assert e["phone"] == sys.argv[1], e; print(e["code"])' "$phone") || return 1
    resp=$(curl -s --max-time 10 -w '\n%{http_code}' -XPOST "$BASE/auth/sessions" -H 'Content-Type: application/json' \
        -d "{\"phone\":\"$phone\",\"code\":\"$code\"}")
    echo "POST /auth/sessions: ${resp##*$'\n'}"
    [ "${resp##*$'\n'}" = 200 ] || { echo "${resp%$'\n'*}"; return 1; }
    token=$(printf '%s' "${resp%$'\n'*}" | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])') || return 1
    code=$(http_code --max-time 10 -H "Authorization: Bearer $token" "$BASE/auth/me")
    echo "GET /auth/me: $code"
    [ "$code" = 200 ]
}

# Sockets in the runtime dir (none in the copy), and, as root, the cluster
# where postgres can reach it (the copy is behind a 700 folder).
layout() {
    local n
    echo "runtime dir $P_STVS_RUN_DIR, cluster $P_STVS_PGDATA"
    case $P_STVS_RUN_DIR in "$PARENT"/*) echo "the runtime dir is inside the 700 folder"; return 1 ;; esac
    for s in "${SERVICES[@]}"; do
        [ -S "$P_STVS_RUN_DIR/$s.sock" ] || { echo "no $P_STVS_RUN_DIR/$s.sock"; return 1; }
    done
    [ -S "$P_STVS_PGHOST/.s.PGSQL.$PPORT" ] || { echo "no PostgreSQL socket in $P_STVS_PGHOST"; return 1; }
    n=$(find "$CLONE" -type s | wc -l)
    [ "$n" = 0 ] || { echo "$n sockets inside the copy"; find "$CLONE" -type s; return 1; }
    [ "$(readlink "$CLONE/var/run")" = "$P_STVS_RUN_DIR" ] || { echo "var/run does not link to the runtime dir"; return 1; }
    if [ "$(id -u)" = 0 ]; then
        case $P_STVS_RUN_DIR in /run/stvs/*) ;; *) echo "as root the runtime dir should be under /run/stvs"; return 1 ;; esac
        case $P_STVS_PGDATA in /var/lib/stvs/*/pg) ;; *) echo "postgres cannot reach the copy: the cluster should be under /var/lib/stvs"; return 1 ;; esac
        [ "$(readlink "$CLONE/var/pg")" = "$P_STVS_PGDATA" ] || { echo "var/pg does not link to $P_STVS_PGDATA"; return 1; }
        [ "$(stat -c %U "$P_STVS_PGHOST")" = postgres ] || { echo "postgres does not own $P_STVS_PGHOST"; return 1; }
        # nginx's workers are not root, and reached the sockets (the walk-through passed)
        n=$(ps -o user= --ppid "$(cat "$P_STVS_NGINX_PID")" | sort -u | tr '\n' ' ')
        echo "nginx workers run as: $n"
        [ "$n" = "nobody " ] || return 1
    fi
}

unchanged_parents() {
    parents_state >"$OUT/parents-after"
    diff "$OUT/parents-before" "$OUT/parents-after"
}

# Running: not gone and not a zombie waiting for its parent to reap it.
alive() { [ -r "/proc/$1/stat" ] && [ "$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" != Z ]; }

stack_pids() {
    cat "$P_STVS_RUN_DIR"/*.pid "$P_STVS_NGINX_PID" 2>/dev/null
    head -n 1 "$P_STVS_PGDATA/postmaster.pid" 2>/dev/null
}

make_stop() {
    local pids p
    pids=$(stack_pids) || true
    echo "pids:" $pids
    local want=$((${#SERVICES[@]} + 2))
    [ "$(echo "$pids" | wc -w)" = "$want" ] || { echo "expected $want pids (${#SERVICES[@]} services, nginx, postgres)"; return 1; }
    (cd "$CLONE" && timeout 120 make -s stop) || return 1
    for p in $pids; do
        # postgres removes its pid file (which pg_ctl -w waits for) just before it exits
        for _ in $(seq 1 50); do alive "$p" || break; sleep 0.1; done
        if alive "$p"; then echo "pid $p still runs 5 s after make stop: $(tr '\0' ' ' <"/proc/$p/cmdline")"; return 1; fi
    done
    [ ! -e "$P_STVS_RUN_DIR" ] || { echo "$P_STVS_RUN_DIR is still there"; return 1; }
    [ "$(http_code --max-time 2 "$BASE/auth/health")" = 000 ] || { echo "port $HPORT still answers"; return 1; }
}

purged() {
    (cd "$CLONE" && scripts/stack.sh purge) || return 1
    [ ! -e "$P_STVS_RUN_DIR" ] || { echo "$P_STVS_RUN_DIR is still there"; return 1; }
    [ ! -e "$P_STVS_PGDATA" ] || { echo "$P_STVS_PGDATA is still there"; return 1; }
}

sanitizer_clean() {
    ! grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$CLONE"/var/log/*.log
}

# --- the run -----------------------------------------------------------------

echo "== first run: a copy under a mktemp -d (700) folder, MODE=$MODE, ports $HPORT / $PPORT, no STVS_PG_FAST"
step "preflight (binaries built, port $HPORT free)" preflight || exit 1
# not in step(): copy_checkout sets PARENT and CLONE for the rest
if copy_checkout >"$OUT/00-copy.log" 2>&1; then
    result "first run: a copy of the checkout under a 700 folder" 0
else
    tail -n 20 "$OUT/00-copy.log" | sed 's/^/    /'
    result "first run: a copy of the checkout under a 700 folder" 1
    exit 1
fi
parents_state >"$OUT/parents-before"

step "make run in the fresh copy comes up on the first try, creating its cluster" first_make_run || exit 1
load_paths
step "every health endpoint answers 200" healthy || true
step "the PC client answers at / and at its own routes" web_client || true
step "the cluster is durable (fsync on: no STVS_PG_FAST)" durable || true
step "README walk-through: sms-codes -> outbox -> sessions -> /auth/me" walkthrough 13812345678 || true
step "sockets in the runtime dir, none in the copy; cluster and workers where they can reach" layout || true
step "no permission changed outside the copy" unchanged_parents || true
step "a second make run while it runs" make_run 2 || true
step "still healthy after the second make run" healthy || true
step "make stop stops every process and removes the runtime dir" make_stop || true
step "make run after make stop" make_run 3 || true
load_paths
step "walk-through again after the restart" walkthrough 13812345679 || true
step "no permission changed outside the copy, after it all" unchanged_parents || true
step "make stop, again" make_stop || true
if [ "$MODE" = asan ]; then
    step "the copy's service logs hold no sanitizer report" sanitizer_clean || true
fi
step "stack.sh purge removes the cluster and the runtime dir" purged || true
