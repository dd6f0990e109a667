#!/usr/bin/env bash
# make test: builds with -Werror and ASan/UBSan, runs the C unit tests, lints
# docs/openapi.yaml, starts a stack of its own (fresh PostgreSQL cluster for
# STVS_VAR=var/test, its own ports, real nginx and FastCGI services), runs the
# black-box API tests through nginx, stops everything it started (even on
# failure), checks the service logs for sanitizer reports, then runs a
# newcomer's first `make run` in a fresh copy under a 700 folder
# (tests/firstrun.sh, ports TEST_FIRSTRUN_HTTP_PORT / TEST_FIRSTRUN_PG_PORT,
# default the test stack's + 5: 18085 / 55438; skipped when API test names
# are given), then the scale-out tests (tests/scale/run.sh, ports
# TEST_SCALE_HTTP_PORT / TEST_SCALE_PG_PORT, default the test stack's + 55 /
# + 102: 18135 / 55535; skipped with STVS_SKIP_SCALE=1 or when API test names
# are given), and ends with one line: N passed, N failed.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

# STVS_VALGRIND=1 (make test-valgrind): a release build with every service
# under valgrind instead of the sanitizers.
if [ -n "${STVS_VALGRIND:-}" ]; then
    export MODE=release
    export STVS_WRAPPER="valgrind --quiet --suppressions=$ROOT/tests/valgrind.supp --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --num-callers=30"
else
    export MODE=asan
fi
export STVS_VAR=$ROOT/var/test
export HTTP_PORT=${TEST_HTTP_PORT:-18080}
export STVS_PG_PORT=${TEST_PG_PORT:-55433}
export STVS_PG_FAST=1
export SMS_OUTBOX=$STVS_VAR/sms-outbox.jsonl

# shellcheck source=tests/lib.sh
. tests/lib.sh

# One test run at a time on a machine: a second one waits here rather than
# wiping the first one's stack.
mkdir -p var
exec 9>var/test.lock
if ! flock -n 9; then
    echo "== another test run holds var/test.lock; waiting for it"
    flock 9
fi

start_fresh

echo "== build (MODE=$MODE, -Werror)"
if ! make -s MODE=$MODE build unit; then
    result "build with -Werror and sanitizers" 1
    exit
fi

echo "== unit tests"
for t in build/$MODE/tests/test_*; do
    [[ $t == *.d ]] && continue
    out=$STVS_VAR/$(basename "$t").out
    "$t" >"$out" 2>&1
    grep -E '^(FAIL|PASS)' "$out" | grep -v '^PASS' || true
    add_counts "$out" "$(basename "$t")"
done

echo "== openapi lint"
bash tests/lint-openapi.sh >"$STVS_VAR/lint.out" 2>&1
rc=$?
[ $rc = 0 ] || cat "$STVS_VAR/lint.out"
result "docs/openapi.yaml passes redocly lint" $rc

echo "== docker files (static check: no engine runs here)"
bash docker/check.sh >"$STVS_VAR/docker.out" 2>&1
rc=$?
[ $rc = 0 ] || tail -n 20 "$STVS_VAR/docker.out"
result "docker/check.sh: Dockerfiles, compose and nginx config are consistent" $rc

echo "== deploy files (systemd-analyze verify, nginx routing, Kubernetes schemas)"
bash tests/deploy_check.sh >"$STVS_VAR/deploy.out" 2>&1
rc=$?
[ $rc = 0 ] || tail -n 20 "$STVS_VAR/deploy.out"
result "tests/deploy_check.sh: systemd units, nginx upstreams and Kubernetes manifests" $rc

echo "== web client build (npm ci + vite build when its sources changed)"
make -s web >"$STVS_VAR/web-build.out" 2>&1
rc=$?
[ $rc = 0 ] || tail -n 30 "$STVS_VAR/web-build.out"
result "web client builds (web/dist)" $rc

echo "== stack"
if ! scripts/stack.sh run; then
    result "test stack starts and answers health" 1
    tail -n 30 "$STVS_VAR"/log/*.log
    exit
fi
# where the stack's sockets and cluster are (scripts/stack.sh paths)
eval "$(scripts/stack.sh paths | sed 's/^/STACK_/')"

echo "== API tests"
STVS_TEST_BASE="http://127.0.0.1:$HTTP_PORT/api/v1" \
STVS_TEST_OUTBOX="$SMS_OUTBOX" \
STVS_TEST_LOG_DIR="$STVS_VAR/log" \
STVS_TEST_RUN_DIR="$STACK_STVS_RUN_DIR" \
STVS_TEST_PSQL="psql -h $STACK_STVS_PGHOST -p $STVS_PG_PORT -U stvs -d stvs -X -q -At -v ON_ERROR_STOP=1" \
STVS_TEST_PG_STOP="$ROOT/scripts/stack.sh pg-stop" \
STVS_TEST_PG_START="$ROOT/scripts/stack.sh pg-start" \
STVS_TEST_JWT_PRIVATE_KEY="$STVS_VAR/keys/jwt-es256.key" \
    python3 tests/api/run.py "$@" | tee "$STVS_VAR/api.out"
add_counts "$STVS_VAR/api.out" "API tests"

# The PC client (web/): its unit tests (node --test) and its browser tests in
# Debian's chromium against this stack; each ends with "N passed, N failed".
echo "== web client: unit tests"
out=$STVS_VAR/web-unit.out
(cd web && node --test tests/unit/) >"$out" 2>&1
grep -E '^not ok' "$out" || true
pass=$(grep -E '^# pass [0-9]+$' "$out" | tail -n 1 | cut -d' ' -f3)
fail=$(grep -E '^# fail [0-9]+$' "$out" | tail -n 1 | cut -d' ' -f3)
[ -n "$pass" ] && echo "$pass passed, ${fail:-0} failed" >>"$out"
add_counts "$out" "web client unit tests"
echo "== web client: browser tests (chromium)"
# The API suite ends by stopping the auth service (test_stop.py): start the services again.
if ! scripts/stack.sh run >"$STVS_VAR/web-restack.out" 2>&1; then
    tail -n 20 "$STVS_VAR/web-restack.out"
    result "test stack restarts for the browser tests" 1
fi
STVS_WEB_BASE="http://127.0.0.1:$HTTP_PORT/" \
STVS_TEST_OUTBOX="$SMS_OUTBOX" \
STVS_TEST_PSQL="psql -h $STVS_VAR/run/pg -p $STVS_PG_PORT -U stvs -d stvs -X -q -At -v ON_ERROR_STOP=1" \
STVS_SCREENSHOTS="$STVS_VAR/screenshots" \
    node web/tests/e2e/run.mjs | tee "$STVS_VAR/web-e2e.out"
add_counts "$STVS_VAR/web-e2e.out" "web client browser tests"

echo "== memory-error and leak reports in service logs"
scripts/stack.sh stop >/dev/null 2>&1
checker="ASan/UBSan/LSan" pattern='ERROR: (Address|Leak)Sanitizer|runtime error:'
[ -n "${STVS_VALGRIND:-}" ] && checker=valgrind pattern='definitely lost|indirectly lost|Invalid (read|write)|uninitialised|Mismatched free'
for log in "$STVS_VAR"/log/*.log; do
    name=$(basename "$log" .log)
    case $name in nginx-*) continue ;; esac
    if grep -qE "$pattern" "$log"; then
        grep -E -B2 -A30 "$pattern" "$log" | head -n 80
        result "$name ran clean under $checker" 1
    else
        result "$name ran clean under $checker" 0
    fi
done

if [ $# -gt 0 ]; then
    echo "== first run: skipped (API tests were named)"
else
    # fd 9 (the lock) closed: nothing the copy starts may hold it
    FIRSTRUN_HTTP_PORT=${TEST_FIRSTRUN_HTTP_PORT:-$((HTTP_PORT + 5))} \
    FIRSTRUN_PG_PORT=${TEST_FIRSTRUN_PG_PORT:-$((STVS_PG_PORT + 5))} \
    FIRSTRUN_LOG_DIR="$STVS_VAR/firstrun" \
        bash tests/firstrun.sh 9>&- | tee "$STVS_VAR/firstrun.out"
    add_counts "$STVS_VAR/firstrun.out" "first run (tests/firstrun.sh)"
fi

# The scale-out stack (tests/scale/run.sh, ~3-4 min): 3 processes per service,
# a standby, read pools. STVS_SKIP_SCALE=1 leaves it out (CI may run
# `make test-scale` on its own instead).
if [ $# -gt 0 ] || [ -n "${STVS_SKIP_SCALE:-}" ]; then
    echo "== scale tests: skipped ($([ $# -gt 0 ] && echo "API tests were named" || echo STVS_SKIP_SCALE))"
else
    TEST_SCALE_HTTP_PORT=${TEST_SCALE_HTTP_PORT:-$((HTTP_PORT + 55))} \
    TEST_SCALE_PG_PORT=${TEST_SCALE_PG_PORT:-$((STVS_PG_PORT + 102))} \
        bash tests/scale/run.sh 9>&- | tee "$STVS_VAR/scale.out"
    add_counts "$STVS_VAR/scale.out" "scale tests (tests/scale/run.sh)"
fi
