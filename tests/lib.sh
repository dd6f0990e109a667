# What tests/run.sh and tests/scale/run.sh share (sourced, not run): the
# sanitizers' settings, and the counts every runner ends with as one line,
# "N passed, N failed".
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$ROOT/tests/lsan.supp:print_suppressions=0

passed=0 failed=0
result() { # name ok?
    if [ "$2" = 0 ]; then passed=$((passed + 1)); echo "PASS $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}
# Adds the counts of a runner's closing "N passed, N failed" line.
add_counts() { # output-file name
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1)
    if [ -z "$line" ]; then result "$2 (no result line)" 1; return; fi
    passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
    failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
}
# A clean $STVS_VAR: what an interrupted run left is stopped by its pid
# files and its clusters deleted, wherever they are; `finish` runs on exit.
start_fresh() {
    scripts/stack.sh purge >/dev/null 2>&1
    rm -rf "$STVS_VAR"
    mkdir -p "$STVS_VAR"
    trap 'finish; exit $?' EXIT
    trap 'exit 130' INT TERM
}
# The EXIT trap's end: stop, delete the throwaway clusters (logs stay), say the counts.
finish() {
    scripts/stack.sh purge >/dev/null 2>&1
    echo "$passed passed, $failed failed"
    [ "$failed" = 0 ]
}
