#!/usr/bin/env bash
# The activity list's query plans at two sizes, written to docs/query-plans.md.
#   bench/plans.sh [--keep] [--reuse] [--seed S] [--out FILE]
# Seeds two scratch databases in the dev cluster (bench/seed.sh):
# stvs_bench_small at scale 0.01 (2,000 activities) and stvs_bench at scale 1
# (200,000), then runs the list's statements for its common filters and the
# sign-up statement exactly as the activity service runs them: the SQL is
# taken from the compiled services/activity/sql.c (so it cannot drift),
# prepared as PQprepare does (types inferred), with plan_cache_mode =
# force_custom_plan (the list statements are planned per call) under SET ROLE
# stvs_activity. Each statement is run once to warm the cache, then five
# times under EXPLAIN (ANALYZE, BUFFERS); the median execution time is kept.
# The sign-up runs inside transactions that are rolled back. On the 200k
# database it then tries what docs/query-plans.md proposes for what is left:
# a bounded count (at most 10,001 rows), and a GIN index on title bigrams for
# two-character searches (created in a schema bench_x and dropped again).
#   --keep   keep the databases afterwards (default: drop them)
#   --reuse  reuse stvs_bench_small and stvs_bench if already seeded (for trying changes)
# The connection is the dev cluster's unless PGHOST/PGPORT/PGUSER say otherwise.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
keep='' reuse='' seed=1 out=$ROOT/docs/query-plans.md
SMALL_DB=stvs_bench_small SMALL_SCALE=0.01
BIG_DB=stvs_bench BIG_SCALE=1
RUNS=5

die() { echo "plans: $*" >&2; exit 1; }
say() { echo "plans: $*"; }
usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
    case $1 in
        --keep) keep=1; shift ;;
        --reuse) reuse=1; shift ;;
        --seed) [ $# -ge 2 ] || usage 2; seed=$2; shift 2 ;;
        --out) [ $# -ge 2 ] || usage 2; out=$2; shift 2 ;;
        -h | --help) usage 0 ;;
        *) echo "plans: unknown argument $1" >&2; usage 2 ;;
    esac
done
[[ $seed =~ ^[0-9]{1,9}$ ]] || die "--seed must be a non-negative integer"

export PGHOST=${PGHOST:-$ROOT/var/run/pg} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-stvs}
unset PGDATABASE
case $PGHOST in */var/test/*) die "refusing to touch the test stack's cluster ($PGHOST)" ;; esac

q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
drop_db() { q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)"; }
work=$(mktemp -d "${TMPDIR:-/tmp}/stvs-plans.XXXXXX")
cleanup() {
    rm -rf "$work"
    if [ -z "$keep" ]; then
        for db in "$SMALL_DB" "$BIG_DB"; do drop_db "$db" 2>/dev/null || true; done
    fi
}
trap cleanup EXIT

# --- the statements, from the compiled service source ----------------------
say "extracting the statements from services/activity/sql.c"
cat >"$work/dump.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include "activity.h"
/* Prints the named statements of activity_sql as "name<TAB>sql" lines. */
int main(int argc, char **argv)
{
    for (int a = 1; a < argc; a++)
        for (int i = 0; i < SQL__MAX; i++)
            if (activity_sql[i].name && !strcmp(activity_sql[i].name, argv[a]))
                printf("%s\t%s\n", activity_sql[i].name, activity_sql[i].sql);
    return 0;
}
EOF
# shellcheck disable=SC2046
${CC:-cc} -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -I"$ROOT/common" -I"$ROOT/services/activity" \
    $(pkg-config --cflags libpq jansson) "$work/dump.c" "$ROOT/services/activity/sql.c" -o "$work/dump" ||
    die "cannot compile services/activity/sql.c (cc, libpq and jansson headers are needed)"
"$work/dump" list_count list_page_desc list_page_asc signup >"$work/stmts.tsv"
stmt() { awk -F '\t' -v n="$1" '$1 == n { sub(/^[^\t]*\t/, ""); print; found = 1 } END { exit !found }' "$work/stmts.tsv" ||
         die "statement $1 not found in services/activity/sql.c"; }
SQL_COUNT=$(stmt list_count) SQL_DESC=$(stmt list_page_desc) SQL_ASC=$(stmt list_page_asc) SQL_SIGNUP=$(stmt signup)

# The bounded count: the same filters, counted up to 10,001 rows.
COUNT_HEAD="SELECT count(*) AS total FROM activity.activities a"
WHERE=${SQL_COUNT#"$COUNT_HEAD"}
cap_ok=''
if [ "$COUNT_HEAD$WHERE" = "$SQL_COUNT" ]; then
    cap_ok=y
    SQL_COUNT_CAP="SELECT count(*) AS total FROM (SELECT 1 FROM activity.activities a$WHERE LIMIT 10001) s"
fi
# Two-character searches: trigrams need three characters, bigrams do not. A
# two-character q is a substring of a title exactly when it is one of the
# title's bigrams, so the LIKE gains a test a GIN index on the bigrams answers.
LIKE_OLD="a.title LIKE ref.contains_pattern(\$7))"
LIKE_NEW="a.title LIKE ref.contains_pattern(\$7) AND (char_length(\$7) <> 2 OR bench_x.bigrams(a.title) @> ARRAY[\$7::text]))"
FN_BIGRAMS="CREATE FUNCTION bench_x.bigrams(t text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN ARRAY(SELECT DISTINCT substr(t, i, 2) FROM generate_series(1, char_length(t) - 1) i)"
IDX_BIGRAMS="CREATE INDEX activities_title_bigrams ON activity.activities USING gin (bench_x.bigrams(title))"
occurs() { awk -v h="$1" -v n="$2" 'BEGIN { c = 0; while ((i = index(h, n)) > 0) { c++; h = substr(h, i + length(n)) } print c }'; }
bg_ok=''
if [ "$(occurs "$SQL_COUNT" "$LIKE_OLD")" = 1 ] && [ "$(occurs "$SQL_DESC" "$LIKE_OLD")" = 1 ]; then
    bg_ok=y
    SQL_COUNT_BG=${SQL_COUNT/"$LIKE_OLD"/"$LIKE_NEW"}
    SQL_DESC_BG=${SQL_DESC/"$LIKE_OLD"/"$LIKE_NEW"}
fi

# --- the datasets -------------------------------------------------------------
seeded() {
    [ -n "$(q -At -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$1'")" ] &&
        [ "$(q -At -d "$1" -c "SELECT count(*) > 0 FROM activity.activities" 2>/dev/null)" = t ]
}
for spec in "$SMALL_DB:$SMALL_SCALE" "$BIG_DB:$BIG_SCALE"; do
    db=${spec%%:*} scale=${spec#*:}
    if [ -n "$reuse" ] && seeded "$db"; then
        say "reusing $db"
        echo "(reused: not seeded in this run)" >"$work/seed-$db.log"
    else
        say "seeding $db at scale $scale"
        PGDATABASE=$db "$ROOT/bench/seed.sh" --scale "$scale" --seed "$seed" --fresh | tee "$work/seed-$db.log"
    fi
done

# --- the cases ----------------------------------------------------------------
# id | what the request is | $1..$9 as SQL (psql variables set by PARAMS_SQL) | OFFSET | sort | count?
# The service runs list_count, then the page (list_page_desc unless
# sort=starts_at) with LIMIT 20 (the default page size) and OFFSET.
CASES=(
"recruiting_prov|status=recruiting&region=410000 (河南省, a province)|'recruiting', :'prov_lo', :'prov_hi', NULL, NULL, NULL, NULL, NULL, NULL|0|desc|y"
"recruiting_city|status=recruiting&region=410100 (郑州市, a city)|'recruiting', :'city_lo', :'city_hi', NULL, NULL, NULL, NULL, NULL, NULL|0|desc|y"
"region|region=410000 (河南省), any status|NULL, :'prov_lo', :'prov_hi', NULL, NULL, NULL, NULL, NULL, NULL|0|desc|y"
"org|org_id= the org with the most activities|NULL, NULL, NULL, :busy_org, NULL, NULL, NULL, NULL, NULL|0|desc|y"
"category|service_category=lecture&status=recruiting|'recruiting', NULL, NULL, NULL, 'lecture', NULL, NULL, NULL, NULL|0|desc|y"
"theme|theme=science_day|NULL, NULL, NULL, NULL, NULL, 'science_day', NULL, NULL, NULL|0|desc|y"
"q4|q=科普讲座 (4 characters)|NULL, NULL, NULL, NULL, NULL, NULL, '科普讲座', NULL, NULL|0|desc|y"
"q2|q=科普 (2 characters)|NULL, NULL, NULL, NULL, NULL, NULL, '科普', NULL, NULL|0|desc|y"
"q4none|q=量子计算 (4 characters, in no title)|NULL, NULL, NULL, NULL, NULL, NULL, '量子计算', NULL, NULL|0|desc|y"
"q2none|q=火箭 (2 characters, in no title)|NULL, NULL, NULL, NULL, NULL, NULL, '火箭', NULL, NULL|0|desc|y"
"range|from=today-7d&to=today+7d (dates)|NULL, NULL, NULL, NULL, NULL, NULL, NULL, :'from_', :'to_'|0|desc|y"
"none|no filter, page 1|NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL|0|desc|y"
"none_p50|no filter, page 50 (OFFSET 980)|NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL|980|desc|n"
"recruiting|status=recruiting|'recruiting', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL|0|desc|y"
"recruiting_asc|status=recruiting&sort=starts_at|'recruiting', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL|0|asc|n"
"ended|status=ended|'ended', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL|0|desc|y"
)
case_field() { # id field#
    local c
    for c in "${CASES[@]}"; do
        if [ "${c%%|*}" = "$1" ]; then echo "$c" | cut -d'|' -f"$2"; return; fi
    done
    die "no case $1 in CASES"
}

session_head() {
    echo '\set ON_ERROR_STOP on'
    echo "SET TimeZone = 'Asia/Shanghai';"
    echo "SET plan_cache_mode = force_custom_plan;"
    echo "SET ROLE stvs_activity;"
    # the region ranges as SQL_REGION computes them; dates as time_bound() writes them
    cat <<'EOF'
SELECT lo AS prov_lo, hi AS prov_hi FROM ref.region_range('410000') \gset
SELECT lo AS city_lo, hi AS city_hi FROM ref.region_range('410100') \gset
SELECT org_id AS busy_org, count(*) AS busy_org_n FROM activity.activities GROUP BY org_id ORDER BY count(*) DESC, org_id LIMIT 1 \gset
SELECT to_char(current_date - 7, 'YYYY-MM-DD') || 'T00:00:00+08:00' AS from_, to_char(current_date + 7, 'YYYY-MM-DD') || 'T23:59:59.999999+08:00' AS to_ \gset
\echo @@param prov_lo :prov_lo
\echo @@param prov_hi :prov_hi
\echo @@param city_lo :city_lo
\echo @@param city_hi :city_hi
\echo @@param busy_org :busy_org
\echo @@param busy_org_n :busy_org_n
\echo @@param from_ :from_
\echo @@param to_ :to_
EOF
}
prepare() { printf 'PREPARE %s AS %s;\n' "$1" "$2"; }
# One case: the count (if count_stmt is not -) and the page, each warmed once
# then explained RUNS times; the count's result goes to <id>.count.total.
emit_case() { # id count_stmt page_stmt
    local params offset
    params=$(case_field "$1" 3) offset=$(case_field "$1" 4)
    if [ "$2" != - ]; then
        echo "\\echo @@begin $1 count total"
        echo "EXECUTE $2($params);"
        for r in $(seq 1 $RUNS); do
            echo "\\echo @@begin $1 count $r"
            echo "EXPLAIN (ANALYZE, BUFFERS) EXECUTE $2($params);"
        done
    fi
    if [ "$3" != - ]; then
        echo '\o /dev/null'
        echo "EXECUTE $3($params, 20, $offset);"
        echo '\o'
        for r in $(seq 1 $RUNS); do
            echo "\\echo @@begin $1 page $r"
            echo "EXPLAIN (ANALYZE, BUFFERS) EXECUTE $3($params, 20, $offset);"
        done
    fi
}
emit_signups() {
    # an open, not full activity (the fullest such) and a volunteer not signed
    # up for it; a members-only one with one of its org's members
    cat <<'EOF'
SELECT a.id AS su_aid, a.signed_up AS su_signed, a.capacity AS su_cap FROM activity.activities a
 WHERE a.cancelled_at IS NULL AND NOT a.members_only AND a.signed_up < a.capacity
   AND now() >= a.signup_starts_at AND now() < a.signup_ends_at AND now() < a.ends_at
 ORDER BY a.signed_up DESC, a.id LIMIT 1 \gset
SELECT v.id AS su_vid FROM volunteer.volunteers v
 WHERE NOT EXISTS (SELECT 1 FROM activity.signups s WHERE s.activity_id = :su_aid AND s.volunteer_id = v.id)
 ORDER BY v.id DESC LIMIT 1 \gset
SELECT a.id AS mo_aid, m.volunteer_id AS mo_vid FROM activity.activities a
  JOIN org.members m ON m.org_id = a.org_id AND m.status = 'active'
 WHERE a.cancelled_at IS NULL AND a.members_only AND a.signed_up < a.capacity
   AND now() >= a.signup_starts_at AND now() < a.signup_ends_at AND now() < a.ends_at
   AND NOT EXISTS (SELECT 1 FROM activity.signups s WHERE s.activity_id = a.id AND s.volunteer_id = m.volunteer_id)
 ORDER BY a.signed_up DESC, a.id, m.volunteer_id LIMIT 1 \gset
\echo @@param su :su_aid :su_signed :su_cap :su_vid
\echo @@param mo :mo_aid :mo_vid
EOF
    for r in $(seq 1 $RUNS); do
        echo "\\echo @@begin signup stmt $r"
        echo "BEGIN; EXPLAIN (ANALYZE, BUFFERS) EXECUTE signup(:su_aid, :su_vid); ROLLBACK;"
    done
    for r in $(seq 1 $RUNS); do
        echo "\\echo @@begin signup_mo stmt $r"
        echo "BEGIN; EXPLAIN (ANALYZE, BUFFERS) EXECUTE signup(:mo_aid, :mo_vid); ROLLBACK;"
    done
}
# Splits a session's output into one file per case, statement and run.
split_output() { # dir < output
    mkdir -p "$1"
    awk -v dir="$1" '
        /^@@begin / { if (f) close(f); f = dir "/" $2 "." $3 "." $4; next }
        /^@@param / { print > (dir "/params"); next }
        /^(BEGIN|ROLLBACK)$/ { next }
        f { print > f }'
}
run_session() { # db sqlfile outdir
    q -At -d "$1" -f "$2" >"$work/session.out"
    split_output "$3" <"$work/session.out"
}

# --- the service's statements at 2k and 200k -------------------------------------
{
    session_head
    prepare list_count "$SQL_COUNT"
    prepare list_page_desc "$SQL_DESC"
    prepare list_page_asc "$SQL_ASC"
    prepare signup "$SQL_SIGNUP"
    for c in "${CASES[@]}"; do
        IFS='|' read -r id _ _ _ sort docount <<<"$c"
        emit_case "$id" "$([ "$docount" = y ] && echo list_count || echo -)" "list_page_$sort"
    done
    emit_signups
    echo '\echo @@begin end end 0'
} >"$work/bench.sql"
for db in "$SMALL_DB" "$BIG_DB"; do
    say "measuring $db"
    run_session "$db" "$work/bench.sql" "$work/$db"
done

# --- the bounded count, on the 200k database ------------------------------------
X=$work/x
if [ -n "$cap_ok" ]; then
    say "trying a bounded count on $BIG_DB"
    {
        session_head
        prepare list_count_cap "$SQL_COUNT_CAP"
        for id in none ended recruiting q2; do emit_case "$id" list_count_cap -; done
        echo '\echo @@begin end end 0'
    } >"$work/x.sql"
    run_session "$BIG_DB" "$work/x.sql" "$X"
else
    say "skipping the bounded count: list_count no longer starts with $COUNT_HEAD"
fi
bg_build='' bg_size=''
if [ -n "$bg_ok" ]; then
    say "trying a bigram index for two-character searches on $BIG_DB"
    q -d "$BIG_DB" -c "DROP SCHEMA IF EXISTS bench_x CASCADE" -c "CREATE SCHEMA bench_x" \
        -c "GRANT USAGE ON SCHEMA bench_x TO stvs_activity" -c "$FN_BIGRAMS"
    t0=$EPOCHREALTIME
    q -d "$BIG_DB" -c "SET maintenance_work_mem = '256MB'" -c "$IDX_BIGRAMS" -c "ANALYZE activity.activities"
    bg_build=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
    bg_size=$(q -At -d "$BIG_DB" -c "SELECT pg_size_pretty(pg_relation_size('activity.activities_title_bigrams'))")
    {
        session_head
        prepare list_count_bg "$SQL_COUNT_BG"
        prepare list_page_desc_bg "$SQL_DESC_BG"
        for id in q2 q2none; do echo "$(emit_case "$id" list_count_bg list_page_desc_bg)" | sed "s/@@begin $id /@@begin ${id}_bg /"; done
        echo '\echo @@begin end end 0'
    } >"$work/bg.sql"
    run_session "$BIG_DB" "$work/bg.sql" "$X"
    q -d "$BIG_DB" -c "SET client_min_messages = warning" -c "DROP SCHEMA bench_x CASCADE" -c "ANALYZE activity.activities"
else
    say "skipping the bigram index: the title test in LIST_WHERE changed"
fi

# --- reading the measurements -----------------------------------------------------
ms() { { grep -ohE 'Execution Time: [0-9.]+' "$@" 2>/dev/null || true; } | awk '{ print $3 }' | sort -n |
       awk '{ v[NR] = $1 } END { if (NR) printf "%.2f", v[int((NR + 1) / 2)]; else printf "–" }'; }
median_run() { # dir id stmt: the run file with the median time
    local f bt
    bt=$(ms "$1/$2.$3".[0-9])
    for f in "$1/$2.$3".[0-9]; do
        [ "$(ms "$f")" = "$bt" ] && { echo "$f"; return; }
    done
    echo /dev/null
}
# The scans and the indexes used, e.g. "Index Scan Backward using activities_starts".
scans() {
    { grep -oE '(Parallel )?(Seq Scan on [a-z_]+|Index Only Scan( Backward)? using [a-z_]+|Index Scan( Backward)? using [a-z_]+|Bitmap Index Scan on [a-z_]+)' "$1" 2>/dev/null || true; } |
        awk '!seen[$0]++' | paste -sd ';' | sed 's/;/; /g'
}
removed() { { grep -oE 'Rows Removed by (Filter|Index Recheck): [0-9]+' "$1" 2>/dev/null || true; } | awk '{ s += $NF } END { print s + 0 }'; }
# rows the scans of activities returned (all loops)
scan_rows() {
    { grep -E '(Scan|Scan Backward) (using [a-z_]+ )?on activities a ' "$1" 2>/dev/null || true; } |
        { grep -oE 'actual time=[0-9.]+\.\.[0-9.]+ rows=[0-9]+ loops=[0-9]+' || true; } |
        awk '{ split($3, r, "="); split($4, l, "="); s += r[2] * l[2] } END { print s + 0 }'
}
verdict() { # plan file
    local rm rows
    rm=$(removed "$1") rows=$(scan_rows "$1")
    if grep -qE 'Seq Scan on activities' "$1"; then
        echo "**no**: seq scan"
    elif grep -qE 'Bitmap Index Scan on activities_title_trgm' "$1" &&
         [ "$({ grep -oE 'Rows Removed by Index Recheck: [0-9]+' "$1" || echo ': 0'; } | awk '{ s += $NF } END { print s + 0 }')" -gt "$rows" ]; then
        echo "**no**: the trigram index returns every row"
    elif scans "$1" | grep -q 'activities_\|activities_pkey'; then
        if [ "$rm" -gt 1000 ] && [ "$rm" -gt $((3 * rows)) ]; then echo "partly: $rm rows read and filtered out"
        else echo "yes"; fi
    else
        echo "?"
    fi
}
buffers() { { grep -m1 -oE 'Buffers: shared [a-z0-9= ]+' "$1" 2>/dev/null || true; } | awk '{ h = r = 0; for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "hit") h = kv[2]; if (kv[1] == "read") r = kv[2] } print h + r }'; }
total() { grep -m1 -E '^[0-9]+$' "$1" 2>/dev/null || echo "–"; }
trim_plan() { # plan file: the plan as shown in the document
    sed -E -e 's/activity\.status_at\(a\.cancelled_at, a\.starts_at, a\.ends_at, a\.signup_starts_at, a\.signup_ends_at, now\(\)\)/status_at(a.…, now())/g' \
           -e 's/CASE WHEN \(cancelled_at IS NOT NULL\) THEN .* END = /status_at(…) = /' "$1" |
        grep -vE '^ *(Output:|Planning:$)|^ *Buffers: shared hit=[0-9]+$' |
        awk 'length($0) > 160 { $0 = substr($0, 1, 157) "..." } NR <= 40 { print } NR == 41 { print "  ... (trimmed)" }'
}
param() { awk -v k="$2" '$2 == k { $1 = $2 = ""; sub(/^ +/, ""); print }' "$1/params" 2>/dev/null; }
setting() { q -At -d "$BIG_DB" -c "SELECT current_setting('$1')"; }
rows_of() { q -At -d "$1" -c "SELECT count(*) FROM $2"; }
seed_total() { grep -oE 'seed: total [0-9.]+ s' "$work/seed-$1.log" | awk '{ print $3 " s" }' | grep . || echo "(reused)"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b != "" && b != "–") printf (b / a < 10 ? "×%.1f" : "×%.0f"), b / a; else print "–" }'; }

S=$work/$SMALL_DB B=$work/$BIG_DB
declare -A T
for c in "${CASES[@]}"; do
    IFS='|' read -r id _ _ _ _ docount <<<"$c"
    for side in S B; do
        d=${!side}
        T[$id.page.$side]=$(ms "$d/$id.page".[0-9])
        if [ "$docount" = y ]; then
            T[$id.count.$side]=$(ms "$d/$id.count".[0-9])
            T[$id.total.$side]=$(total "$d/$id.count.total")
        fi
    done
done
for id in signup signup_mo; do
    T[$id.S]=$(ms "$S/$id.stmt".[0-9]) T[$id.B]=$(ms "$B/$id.stmt".[0-9])
done
# pages touched by the median run: steadier than times with 128MB of shared buffers
pages() { local b; b=$(buffers "$(median_run "$@")"); echo "${b:-?}"; }
declare -A P
for c in "${CASES[@]}"; do
    id=${c%%|*}
    for st in count page; do P[$id.$st]=$(pages "$B" "$id" "$st"); done
done
for id in none ended recruiting q2; do
    T[x.$id.count]=$(ms "$X/$id.count".[0-9]) T[x.$id.total]=$(total "$X/$id.count.total")
done
for id in q2_bg q2none_bg; do
    for st in count page; do T[x.$id.$st]=$(ms "$X/$id.$st".[0-9]) P[x.$id.$st]=$(pages "$X" "$id" "$st"); done
done
ctype=$(q -At -d "$BIG_DB" -c "SELECT datctype FROM pg_database WHERE datname = current_database()")
trgm_sees_cjk=$(q -At -d "$BIG_DB" -c "SELECT show_trgm('科普讲座') <> '{}'")
# a case's parameters with the psql variables written out (the org id is the 200k one's)
resolve() {
    local v=$1 k
    for k in prov_lo prov_hi city_lo city_hi from_ to_; do
        v=${v//":'$k'"/"'$(psql_var "$k")'"}
    done
    echo "${v//:busy_org/$(param "$B" busy_org)}"
}
psql_var() { param "$B" "$1"; }
# the sum of the count and the page: what one list request costs
add() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "–" || b == "–") print "–"; else printf "%.0f", a + b }'; }
xtimes() { awk -v n="$1" -v a="$2" 'BEGIN { if (a == "–") print "–"; else printf "%.1f", n * a / 1000 }'; }

# The planner's row estimate for a status filter (one process, no parallel
# split) against the true count.
estimate() { # status
    {
        echo "SET plan_cache_mode = force_custom_plan; SET max_parallel_workers_per_gather = 0;"
        printf 'PREPARE e AS %s;\n' "$SQL_COUNT"
        echo "EXPLAIN EXECUTE e('$1', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);"
    } | q -At -d "$BIG_DB" 2>/dev/null | grep -m1 -E ' on activities a ' | grep -oE 'rows=[0-9]+' | head -n 1 | cut -d= -f2
}
est_recruiting=$(estimate recruiting) est_ended=$(estimate ended)
# the total cost of a plan (its first line), as a share of jit_above_cost
cost_share() { grep -m1 -oE 'cost=[0-9.]+\.\.[0-9.]+' "$1" 2>/dev/null | sed 's/.*\.\.//' |
               awk -v j="$(setting jit_above_cost)" '{ printf "%.0f%%", 100 * $1 / j }'; }

analysis() {
cat <<EOF2

### Analysis

**Flat from 2k to 200k** (every page below a couple of milliseconds): \`org_id\`, \`region\`, \`from/to\`,
\`status=ended\` (page ${T[ended.page.B]} ms: its backward scan starts at now()), no filter (page 1 ${T[none.page.B]} ms,
page 50 ${T[none_p50.page.B]} ms: the page picks 20 ids before it builds rows), \`q\` of three or more
characters through \`activities_title_trgm\` (LC_CTYPE $ctype; \`q=量子计算\` ${T[q4none.count.B]} ms), and the
sign-up (${T[signup.B]} ms: primary-key lookups, the conditional \`UPDATE\`, two foreign-key checks; the
members-only test is an index-only probe of \`members_org_status\`).

1. **The count is what grows.** \`list_count\` runs on every list request and counts the whole
   filtered set, so it grows with the matching rows even where the page stays flat: at 200k the
   unfiltered count takes ${T[none.count.B]} ms (${T[none.count.S]} ms at 2k), \`status=ended\` ${T[ended.count.B]} ms,
   \`status=recruiting\` ${T[recruiting.count.B]} ms, \`q=科普讲座\` ${T[q4.count.B]} ms, \`theme\` ${T[theme.count.B]} ms: about a
   hundred times their 2k time, for a hundred times the rows. These already read only indexes
   (\`activities_starts_status\` carries every column \`ACTIVITY_STATUS\` reads; the unfiltered count
   walks \`activities_pkey\`), so no further index makes them flat: counting ${T[ended.total.B]} index
   entries is the floor. Ten times the activities puts \`status=ended\` near $(xtimes 10 "${T[ended.count.B]}") s a
   request on this machine, and past \`jit_above_cost\` (that count's plan costs
   $(cost_share "$(median_run "$B" ended count)") of it now), where JIT compilation adds its own tens of milliseconds; the service's
   statement_timeout is 5 s. The fix is a bounded count — measured above: no filter
   ${T[none.count.B]} → ${T[x.none.count]} ms, \`status=ended\` ${T[ended.count.B]} → ${T[x.ended.count]} ms, \`status=recruiting\`
   ${T[recruiting.count.B]} → ${T[x.recruiting.count]} ms, \`q=科普\` ${T[q2.count.B]} → ${T[x.q2.count]} ms, and those stay put however large
   the table grows. It changes the API: \`total\` becomes "10,000 or more" past the cap (say
   \`total\` capped at 10000 with \`"total_exact": false\`), which no list UI needs more precisely.
2. **Two-character title searches are not index-served.** pg_trgm needs three characters;
   most Chinese words have two. \`q=科普\` counts with a seq scan (${T[q2.count.B]} ms, ${T[q2.count.S]} ms at 2k),
   and a two-character word that few titles contain makes the page a full scan too: \`q=火箭\`
   (in no title) costs ${T[q2none.count.B]} ms for the count and ${T[q2none.page.B]} ms for the page at 200k
   (${T[q2none.count.S]} and ${T[q2none.page.S]} ms at 2k), while four characters that match nothing cost ${T[q4none.count.B]} ms.
   pg_bigm is not packaged for Debian, but a GIN index over each title's array of bigrams does
   the job in core (measured above in a scratch schema; built in ${bg_build:-?} s, ${bg_size:-?}):
   \`q=火箭\` count ${T[q2none.count.B]} → ${T[x.q2none_bg.count]} ms and page ${T[q2none.page.B]} → ${T[x.q2none_bg.page]} ms;
   \`q=科普\` count ${T[q2.count.B]} → ${T[x.q2_bg.count]} ms (it still counts ${T[q2.total.B]} matches: 1. applies).
   The \`char_length(\$7) <> 2\` guard folds away under custom plans, so longer queries keep
   their trigram plan (a recheck that calls \`bigrams()\` on every candidate row would cost
   more than the trigram path); one-character queries stay seq scans, which the bounded count
   keeps bounded.
3. **Row estimates for a status.** \`status_at(…) = \$1\` is opaque to the planner, which gives
   it a default 0.5% selectivity and multiplies it with the bounds: it expects
   ${est_recruiting:-?} recruiting rows (there are ${T[recruiting.total.B]}) and ${est_ended:-?} ended ones
   (${T[ended.total.B]}).$(f=$(median_run "$B" recruiting_asc page); grep -q 'Workers Launched' "$f" &&
   echo " Hence parallel workers for a 20-row page (\`status=recruiting&sort=starts_at\`
   ${T[recruiting_asc.page.B]} ms at 200k against ${T[recruiting_asc.page.S]} ms at 2k, most of it in the Gather Merge, which waits for a first row from every worker).")$(f=$(median_run "$B" recruiting_city count)
   grep -q 'activities_signup_window' "$f" && grep -q 'activities_region_starts' "$f" &&
   echo " The whole \`activities_signup_window\` is ANDed in even for one city (\`status=recruiting&region=410100\`
   count ${T[recruiting_city.count.B]} ms), though \`activities_region_starts\` alone narrows it to a few hundred rows.")
   Small, and not an index matter; if it matters under load, try
   \`ALTER ROLE stvs_activity SET max_parallel_workers_per_gather = 0\` with \`make bench\` (two
   cores serving concurrent requests gain little from intra-query parallelism).
4. **Growing with a season, not with history:** \`theme=science_day\`, page ${T[theme.page.B]} ms, walks
   \`activities_starts_status\` back from the last planned activity to the last September,
   fetching each row for its themes (${P[theme.page]} pages); \`status=recruiting\` (page ${T[recruiting.page.B]} ms) and
   the recruiting filters with a category (${T[category.page.B]} ms) or a province (${T[recruiting_prov.page.B]} ms) follow the
   activities planned ahead or open now. All stay within a few tens of milliseconds at 200k.

Proposed, not applied (no migration added): the bounded count (1., an API change) and, for
two-character searches (2.), in a migration:

\`\`\`sql
$(echo "$FN_BIGRAMS;" | sed 's/bench_x\./ref./g')
$(echo "$IDX_BIGRAMS;" | sed 's/bench_x\./ref./g')
-- LIST_WHERE's title line:
--   AND (\$7::text IS NULL OR $(echo "$LIKE_NEW" | sed 's/bench_x\./ref./g')
\`\`\`
EOF2
}

# --- the document -----------------------------------------------------------------
say "writing ${out#"$ROOT"/}"
mkdir -p "$(dirname "$out")"
{
cat <<EOF
# Activity list and sign-up: query plans

Generated by \`bench/plans.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC') — rerun it rather than edit this file.
$(q -At -d "$BIG_DB" -c "SELECT version()" | sed 's/ on .*//'), $(nproc) cores, $(free -g | awk '/^Mem/ { print $2 }') GB RAM;
the dev cluster as \`scripts/stack.sh\` makes it: shared_buffers $(setting shared_buffers), work_mem $(setting work_mem),
max_parallel_workers_per_gather $(setting max_parallel_workers_per_gather), jit $(setting jit) (above cost $(setting jit_above_cost)),
scratch databases with collation \`C\` and LC_CTYPE \`$ctype\` (\`show_trgm('科普讲座')\` $([ "$trgm_sees_cjk" = t ] && echo "finds trigrams" || echo "is empty")).

## How it was measured

- Data: \`bench/seed.sh --seed $seed\` into two scratch databases of the dev cluster.

  | | $SMALL_DB (scale $SMALL_SCALE) | $BIG_DB (scale $BIG_SCALE) |
  |---|---:|---:|
  | activities | $(rows_of "$SMALL_DB" activity.activities) | $(rows_of "$BIG_DB" activity.activities) |
  | sign-ups | $(rows_of "$SMALL_DB" activity.signups) | $(rows_of "$BIG_DB" activity.signups) |
  | volunteers (= users) | $(rows_of "$SMALL_DB" volunteer.volunteers) | $(rows_of "$BIG_DB" volunteer.volunteers) |
  | orgs | $(rows_of "$SMALL_DB" org.orgs) | $(rows_of "$BIG_DB" org.orgs) |
  | memberships | $(rows_of "$SMALL_DB" org.members) | $(rows_of "$BIG_DB" org.members) |
  | service records | $(rows_of "$SMALL_DB" activity.service_records) | $(rows_of "$BIG_DB" activity.service_records) |
  | seed time | $(seed_total "$SMALL_DB") | $(seed_total "$BIG_DB") |

- Statements: \`list_count\`, \`list_page_desc\` / \`list_page_asc\` and \`signup\` exactly as the service
  prepares them: the text comes from compiling \`services/activity/sql.c\` (\`LIST_WHERE\`, with
  \`ACTIVITY_STATUS\` and \`ACTIVITY_COLUMNS\` from \`common/activity_view.h\`), prepared without
  parameter types as \`PQprepare\` does, and planned for each call's values with
  \`plan_cache_mode = force_custom_plan\`, as the service plans the list statements
  (\`db_stmt.plan_per_call\`: the unnamed statement of \`PQexecParams\`), so absent filters fold
  away; under \`SET ROLE stvs_activity\`.
- A list request runs \`list_count\`, then the page (\`LIMIT 20\`, the default page size).
  Each statement ran once to warm the cache, then $RUNS times under \`EXPLAIN (ANALYZE, BUFFERS)\`;
  the times are the median *Execution Time* (planning excluded; EXPLAIN's own overhead included).
  $(reads=$({ grep -l 'read=' "$S"/* "$B"/* 2>/dev/null || true; } | wc -l); [ "$reads" = 0 ] && echo "No measured run read a page from outside shared buffers: these are CPU costs, not disk waits." || echo "$reads measured runs read pages from outside shared buffers (from the OS cache: the machine's RAM holds the whole database).")
  On two cores the times move between runs by a third or more when anything else runs; the
  pages touched (*buffers*) do not.
- Plans shown are the 200k dataset's, trimmed: \`status_at(…)\` stands for \`ACTIVITY_STATUS\`
  (the planner inlines \`activity.status_at\` into a CASE), Output lines are dropped, long lines cut.
  "Index?" says whether an index on \`activities\` finds the rows: *partly* when it does but a
  filter then throws away most of what it read; *removed* counts those rows (per worker in
  parallel plans), *buffers* the 8 kB pages touched.
- Parameters: region ranges from \`ref.region_range\`; from/to $(param "$B" from_ | sed 's/T.*//') .. $(param "$B" to_ | sed 's/T.*//');
  the org is the one with the most activities ($(param "$S" busy_org_n) of the 2k, $(param "$B" busy_org_n) of the 200k).

## Summary

| request | total 2k | total 200k | count 2k | count 200k | growth | count: index? (200k) | page 2k | page 200k | growth | page: index? (200k) |
|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---|
EOF
for c in "${CASES[@]}"; do
    IFS='|' read -r id what _ _ _ docount <<<"$c"
    if [ "$docount" = y ]; then
        cnt="${T[$id.total.S]} | ${T[$id.total.B]} | ${T[$id.count.S]} ms | ${T[$id.count.B]} ms | $(ratio "${T[$id.count.S]}" "${T[$id.count.B]}") | $(verdict "$(median_run "$B" "$id" count)")"
    else
        cnt="(same count) | | | | | "
    fi
    echo "| $what | $cnt | ${T[$id.page.S]} ms | ${T[$id.page.B]} ms | $(ratio "${T[$id.page.S]}" "${T[$id.page.B]}") | $(verdict "$(median_run "$B" "$id" page)") |"
done
echo "| sign-up (\`signup\`, rolled back) | | | | | | | ${T[signup.S]} ms | ${T[signup.B]} ms | $(ratio "${T[signup.S]}" "${T[signup.B]}") | $(verdict "$(median_run "$B" signup stmt)") |"
echo "| sign-up, members-only activity | | | | | | | ${T[signup_mo.S]} ms | ${T[signup_mo.B]} ms | $(ratio "${T[signup_mo.S]}" "${T[signup_mo.B]}") | $(verdict "$(median_run "$B" signup_mo stmt)") |"
echo
jit_plans=$({ grep -l '^JIT:' "$S"/* "$B"/* 2>/dev/null || true; } | wc -l)
echo "Growth is 200k time / 2k time; the data grew ×100. Plans that JIT-compiled: $jit_plans."
echo
echo "## Per request"
for c in "${CASES[@]}"; do
    IFS='|' read -r id what params offset sort docount <<<"$c"
    echo
    echo "### $what"
    echo
    echo "\$1..\$9 = \`$(resolve "$params")\`, then LIMIT 20 OFFSET $offset (\`list_page_$sort\`)."
    for st in count page; do
        [ "$st" = count ] && [ "$docount" != y ] && continue
        pb=$(median_run "$B" "$id" "$st") ps=$(median_run "$S" "$id" "$st")
        echo
        echo "**$([ $st = count ] && echo list_count || echo "list_page_$sort")**: ${T[$id.$st.S]} ms at 2k → ${T[$id.$st.B]} ms at 200k.
2k: $(scans "$ps"); removed $(removed "$ps"), buffers $(buffers "$ps").
200k: $(scans "$pb"); removed $(removed "$pb"), buffers $(buffers "$pb"); index: $(verdict "$pb")."
        echo
        echo '```'
        trim_plan "$pb"
        echo '```'
    done
done
echo
echo "### Sign-up (\`signup\`)"
for id in signup signup_mo; do
    pb=$(median_run "$B" "$id" stmt)
    echo
    if [ "$id" = signup ]; then
        echo "Activity $(param "$B" su | awk '{ print $1 " (" $2 " of " $3 " places taken)" }'), volunteer $(param "$B" su | awk '{ print $4 }'):"
    else
        echo "A members-only activity ($(param "$B" mo | awk '{ print $1 }')) and a member of its org ($(param "$B" mo | awk '{ print $2 }')):"
    fi
    echo "${T[$id.S]} ms at 2k → ${T[$id.B]} ms at 200k."
    echo
    echo '```'
    trim_plan "$pb"
    echo '```'
done

echo
echo "## Findings"
echo
echo "### What no index serves, or what grows with the table"
echo
echo "Every statement whose 200k plan scans the table or reads rows it then throws away (\"Index?\""
echo "not *yes*), or whose time at 200k is over 5 ms and over ten times its time at 2k."
echo
echo "| request | statement | 2k | 200k | growth | plan at 200k | rows thrown away | pages |"
echo "|---|---|---:|---:|---:|---|---:|---:|"
for c in "${CASES[@]}"; do
    IFS='|' read -r id what _ _ sort docount <<<"$c"
    for st in count page; do
        [ "$st" = count ] && [ "$docount" != y ] && continue
        f=$(median_run "$B" "$id" "$st") v=$(verdict "$(median_run "$B" "$id" "$st")")
        a=${T[$id.$st.S]} b=${T[$id.$st.B]}
        if [ "$v" != yes ] || awk -v a="$a" -v b="$b" 'BEGIN { exit !(b > 5 && a > 0 && b / a > 10) }'; then
            echo "| $what | $([ $st = count ] && echo list_count || echo "list_page_$sort") | $a ms | $b ms | $(ratio "$a" "$b") | $(scans "$f") | $(removed "$f") | ${P[$id.$st]} |"
        fi
    done
done
if [ -n "$cap_ok" ]; then
    echo
    echo "### A bounded count, measured"
    echo
    echo "\`list_count\` with the same \`LIST_WHERE\`, counting at most 10,001 rows:"
    echo "\`SELECT count(*) AS total FROM (SELECT 1 FROM activity.activities a <LIST_WHERE> LIMIT 10001) s\`."
    for id in none ended recruiting q2; do
        f=$(median_run "$X" "$id" count)
        echo
        echo "**$(case_field "$id" 2)**: ${T[x.$id.count]} ms (the full count: ${T[$id.count.B]} ms), result ${T[x.$id.total]};"
        echo "$(scans "$f"); removed $(removed "$f"), buffers $(buffers "$f")."
        echo
        echo '```'
        trim_plan "$f"
        echo '```'
    done
fi
if [ -n "$bg_ok" ]; then
    echo
    echo "### Two-character searches with a bigram index, measured"
    echo
    echo "\`LIST_WHERE\`'s title line as \`AND (\$7::text IS NULL OR $LIKE_NEW\`, with (built in $bg_build s, $bg_size):"
    echo
    echo '```sql'
    echo "$FN_BIGRAMS;"
    echo "$IDX_BIGRAMS;"
    echo '```'
    for spec in "q2none_bg count" "q2none_bg page" "q2_bg count" "q2_bg page"; do
        read -r id st <<<"$spec"
        f=$(median_run "$X" "$id" "$st") base=${id%_bg}
        echo
        echo "**$(case_field "$base" 2), $([ "$st" = count ] && echo list_count || echo list_page_desc)**: ${T[x.$id.$st]} ms (now: ${T[$base.$st.B]} ms);"
        echo "$(scans "$f"); removed $(removed "$f"), buffers $(buffers "$f")."
        echo
        echo '```'
        trim_plan "$f"
        echo '```'
    done
fi
analysis
} >"$out.tmp"
mv "$out.tmp" "$out"
say "done: ${out#"$ROOT"/}"
[ -n "$keep" ] && say "kept $SMALL_DB and $BIG_DB"
exit 0
