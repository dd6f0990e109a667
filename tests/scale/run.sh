#!/usr/bin/env bash
# make test-scale: the scale-out stack (docs/SCALING.md) under test. Starts a
# stack of its own (STVS_VAR=var/test-scale): 3 processes per service, a hot
# standby made by pg_basebackup and read pools of volunteer/org/activity, both
# clusters on unix sockets only; runs tests/scale/test_scale.py through nginx;
# checks that `stop` leaves no process behind and the logs are free of
# sanitizer reports; deletes the clusters. Ends with: N passed, N failed.
#   TEST_SCALE_HTTP_PORT (18135) and TEST_SCALE_PG_PORT (55535; the standby's
#   socket is named after that + 1; no TCP port is opened); MODE (asan).
#   Arguments: test-name substrings.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"

export MODE=${MODE:-asan}
export STVS_VAR=$ROOT/var/test-scale
export HTTP_PORT=${TEST_SCALE_HTTP_PORT:-18135}
export STVS_PG_PORT=${TEST_SCALE_PG_PORT:-55535}
unset STVS_REPLICA_PORT STVS_METRICS_PORT STVS_RUN_DIR STVS_WRAPPER STVS_READ_PROCS
# 32 threads: more than nginx's 2 workers keep idle (16 each) plus what is in
# flight, spread over 3 processes (docs/SCALING.md, "Kept FastCGI connections")
export STVS_PROCS=3 STVS_REPLICA=1 STVS_PG_FAST=1 STVS_THREADS=32 STVS_DB_CONNECTIONS=4
# read pools try their standby again after an outage every 2 s, not 30 (common/db.c)
export STVS_DB_FAILBACK_SECONDS=2
export SMS_OUTBOX=$STVS_VAR/sms-outbox.jsonl

# shellcheck source=tests/lib.sh
. tests/lib.sh

mkdir -p var
exec 8>var/test-scale.lock
if ! flock -n 8; then
    echo "== another scale test run holds var/test-scale.lock; waiting for it"
    flock 8
fi
start_fresh
t0=$SECONDS

echo "== scale stack: 3 processes per service, a standby, read pools (MODE=$MODE)"
if ! scripts/stack.sh run 8>&- 9>&- >"$STVS_VAR/stack.out" 2>&1; then
    tail -n 30 "$STVS_VAR/stack.out"
    result "the scale stack starts and every process answers its health check" 1
    exit
fi
eval "$(scripts/stack.sh paths | sed 's/^/STACK_/')"
result "the scale stack starts and every process answers its health check" 0

echo "== scale tests"
STVS_TEST_BASE="http://127.0.0.1:$HTTP_PORT/api/v1" \
STVS_TEST_OUTBOX="$SMS_OUTBOX" \
STVS_TEST_LOG_DIR="$STVS_VAR/log" \
STVS_TEST_RUN_DIR="$STACK_STVS_RUN_DIR" \
STVS_TEST_PSQL="psql -h $STACK_STVS_PGHOST -p $STVS_PG_PORT -U stvs -d stvs -X -q -At -v ON_ERROR_STOP=1" \
STVS_SCALE_REPLICA_PSQL="psql -h $STACK_STVS_REPLICA_PGHOST -p $STACK_STVS_REPLICA_PORT -U stvs -d stvs -X -q -At -v ON_ERROR_STOP=1" \
STVS_SCALE_INTERNAL="http://127.0.0.1:$STACK_STVS_METRICS_PORT" \
STVS_SCALE_STACK="$ROOT/scripts/stack.sh" \
    python3 tests/scale/test_scale.py "$@" 8>&- 9>&- | tee "$STVS_VAR/scale.out"
add_counts "$STVS_VAR/scale.out" "scale tests"

echo "== make stop stops every process"
scripts/stack.sh status >"$STVS_VAR/status.out" 2>&1
cat "$STVS_VAR/status.out"
pids=$(cat "$STACK_STVS_RUN_DIR"/*.pid "$STACK_STVS_RUN_DIR"/*.sup "$STACK_STVS_NGINX_PID" 2>/dev/null;
       head -qn 1 "$STACK_STVS_PGDATA/postmaster.pid" "$STACK_STVS_REPLICA_PGDATA/postmaster.pid" 2>/dev/null)
scripts/stack.sh stop >"$STVS_VAR/stop.out" 2>&1
left=""
for p in $pids; do
    if [ -e "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ]; then left+=" $p($(cat /proc/"$p"/comm 2>/dev/null))"; fi
done
[ -z "$left" ] || echo "still running after stop:$left"
[ -n "$pids" ] && [ -z "$left" ]
result "stop ends every service process, supervisor, nginx, the primary and the standby" $?

echo "== memory-error and leak reports in service logs"
pattern='ERROR: (Address|Leak)Sanitizer|runtime error:'
bad=""
for log in "$STVS_VAR"/log/*.log; do
    case $(basename "$log") in nginx-* | supervisor.log) continue ;; esac
    if grep -qE "$pattern" "$log"; then grep -E -B2 -A20 "$pattern" "$log" | head -n 40; bad+=" $(basename "$log")"; fi
done
[ -z "$bad" ] || echo "reports in:$bad"
[ -z "$bad" ]
result "every scale-stack process ran clean under ASan/UBSan/LSan" $?
echo "== scale tests took $((SECONDS - t0)) s"
