#!/usr/bin/env bash
# The activity list's query plans at two sizes, written to docs/query-plans.md.
#   bench/plans.sh [--keep] [--reuse] [--seed S] [--out FILE]
# Seeds two scratch databases in the dev cluster (bench/seed.sh):
# stvs_bench_small at scale 0.01 (2,000 activities) and stvs_bench at scale 1
# (200,000), then runs the list's statements for its common filters and the
# sign-up statement exactly as the activity service runs them: the SQL is
# taken from the compiled services/activity/sql.c (so it cannot drift),
# prepared as PQprepare does (types inferred), with plan_cache_mode =
# force_custom_plan (the stvs_activity role's setting) under SET ROLE
# stvs_activity. Each statement is run once to warm the cache, then three
# times under EXPLAIN (ANALYZE, BUFFERS); the median execution time is kept.
# The sign-up runs inside transactions that are rolled back.
# Then, on the 200k copy only, the fixes the document proposes are tried
# (indexes created there and removed again, statement variants), and the
# title search is rerun in a third scratch database, stvs_bench_ctype, whose
# LC_CTYPE is C.utf8 (the activities, their orgs and creators copied over).
#   --keep   keep the databases afterwards (default: drop them)
#   --reuse  reuse stvs_bench_small and stvs_bench if already seeded
# The connection is the dev cluster's unless PGHOST/PGPORT/PGUSER say otherwise.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
keep= reuse= seed=1 out=$ROOT/docs/query-plans.md
SMALL_DB=stvs_bench_small SMALL_SCALE=0.01
BIG_DB=stvs_bench BIG_SCALE=1
CTYPE_DB=stvs_bench_ctype
RUNS=5

die() { echo "plans: $*" >&2; exit 1; }
say() { echo "plans: $*"; }
usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
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
        for db in "$SMALL_DB" "$BIG_DB" "$CTYPE_DB"; do drop_db "$db" 2>/dev/null || true; done
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

# The proposals, as variants of the same text. Each is applied only when the
# text it changes is there exactly once; otherwise (the source changed, or
# the proposal is in already) the experiments are skipped and the document
# says so.
COUNT_HEAD="SELECT count(*) AS total FROM activity.activities a"
FROM_JOIN=" FROM activity.activities a JOIN org.orgs o ON o.id = a.org_id"
DESC_TAIL=" ORDER BY a.starts_at DESC, a.id DESC LIMIT \$10 OFFSET \$11"
WHERE=${SQL_COUNT#"$COUNT_HEAD"}
COLS=${SQL_DESC#SELECT }; COLS=${COLS%%"$FROM_JOIN"*}
ENDED_OLD="\$1 <> 'ended' OR a.ends_at <= now())"
ENDED_NEW="\$1 <> 'ended' OR (a.ends_at <= now() AND a.starts_at < now()))"
REC_OLD="\$1 NOT IN ('recruiting', 'signup_closed', 'upcoming') OR a.starts_at > now())"
REC_NEW="$REC_OLD   AND (\$1::text IS NULL OR \$1 <> 'recruiting' OR tstzrange(a.signup_starts_at, a.signup_ends_at) @> now())"
IDX_WINDOW="CREATE INDEX activities_signup_window ON activity.activities USING gist (tstzrange(signup_starts_at, signup_ends_at))"
IDX_COVER="CREATE INDEX activities_starts_status ON activity.activities (starts_at, id) INCLUDE (ends_at, signup_starts_at, signup_ends_at, cancelled_at)"
occurs() { awk -v h="$1" -v n="$2" 'BEGIN { c = 0; while ((i = index(h, n)) > 0) { c++; h = substr(h, i + length(n)) } print c }'; }
exp_ok=y exp_why=""
if [ "$COUNT_HEAD$WHERE" != "$SQL_COUNT" ] || [ "SELECT $COLS$FROM_JOIN$WHERE$DESC_TAIL" != "$SQL_DESC" ]; then
    exp_ok= exp_why="list_count / list_page_desc no longer have the shape the variants are built from"
elif [ "$(occurs "$WHERE" "$ENDED_OLD")" != 1 ] || [ "$(occurs "$WHERE" "$REC_OLD")" != 1 ]; then
    exp_ok= exp_why="LIST_WHERE's status bounds changed (maybe the proposals are in already)"
fi
if [ -n "$exp_ok" ]; then
    WHERE_V=${WHERE/"$ENDED_OLD"/"$ENDED_NEW"}
    WHERE_V=${WHERE_V/"$REC_OLD"/"$REC_NEW"}
    SQL_COUNT_V="$COUNT_HEAD$WHERE_V"
    SQL_DESC_V="SELECT $COLS$FROM_JOIN$WHERE_V$DESC_TAIL"
    SQL_COUNT_CAP="SELECT count(*) AS total FROM (SELECT 1 FROM activity.activities a$WHERE_V LIMIT 10001) s"
    SQL_DESC_DJ="SELECT $COLS FROM (SELECT a.id, a.starts_at FROM activity.activities a$WHERE_V${DESC_TAIL}) p
 JOIN activity.activities a ON a.id = p.id JOIN org.orgs o ON o.id = a.org_id ORDER BY a.starts_at DESC, a.id DESC"
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
"range|from=today-7d&to=today+7d (dates)|NULL, NULL, NULL, NULL, NULL, NULL, NULL, :'from_', :'to_'|0|desc|y"
"none|no filter, page 1|NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL|0|desc|y"
"none_p50|no filter, page 50 (OFFSET 980)|NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL|980|desc|n"
"recruiting|status=recruiting|'recruiting', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL|0|desc|y"
"recruiting_asc|status=recruiting&sort=starts_at|'recruiting', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL|0|asc|n"
"ended|status=ended|'ended', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL|0|desc|y"
)
case_field() { # id field#
    local c
    for c in "${CASES[@]}"; do [ "${c%%|*}" = "$1" ] && { echo "$c" | cut -d'|' -f"$2"; return; }; done
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

# --- the proposals, tried on the 200k database -------------------------------------
X=$work/x C=$work/ctype ctype_ok= ctype_why=""
if [ -n "$exp_ok" ]; then
    say "trying the proposed indexes and statements on $BIG_DB"
    starts_def=$(q -At -d "$BIG_DB" -c "SELECT pg_get_indexdef('activity.activities_starts'::regclass)")
    # activities_starts_status has activities_starts' key and replaces it
    q -d "$BIG_DB" -c "SET maintenance_work_mem = '256MB'" -c "$IDX_WINDOW" -c "$IDX_COVER" \
        -c "DROP INDEX activity.activities_starts" -c "VACUUM (ANALYZE) activity.activities"
    {
        session_head
        prepare list_count_v "$SQL_COUNT_V"
        prepare list_page_desc_v "$SQL_DESC_V"
        prepare list_count_cap "$SQL_COUNT_CAP"
        prepare list_page_desc_dj "$SQL_DESC_DJ"
        for id in recruiting recruiting_prov category ended; do emit_case "$id" list_count_v list_page_desc_v; done
        for id in none ended recruiting q4; do echo "$(emit_case "$id" list_count_cap -)" | sed "s/@@begin $id /@@begin ${id}_cap /"; done
        emit_case none_p50 - list_page_desc_dj
        for id in recruiting category recruiting_prov; do echo "$(emit_case "$id" - list_page_desc_dj)" | sed "s/@@begin $id /@@begin ${id}_dj /"; done
        echo '\echo @@begin end end 0'
    } >"$work/x.sql"
    run_session "$BIG_DB" "$work/x.sql" "$X"
    q -At -d "$BIG_DB" -c "SELECT pg_size_pretty(pg_relation_size('activity.activities_signup_window')) || ' ' ||
                                  pg_size_pretty(pg_relation_size('activity.activities_starts_status')) || ' ' ||
                                  pg_size_pretty(pg_relation_size('activity.activities')) || ' ' ||
                                  pg_size_pretty(pg_relation_size('activity.activities_title_trgm'))" >"$X/sizes"
    # back to the migrations' indexes
    q -d "$BIG_DB" -c "DROP INDEX activity.activities_signup_window" -c "DROP INDEX activity.activities_starts_status" \
        -c "$starts_def" -c "ANALYZE activity.activities"

    # the title search in a database whose LC_CTYPE classifies CJK characters
    say "trying the title search in $CTYPE_DB (LC_CTYPE C.utf8)"
    drop_db "$CTYPE_DB"
    if q -d postgres -c "CREATE DATABASE $CTYPE_DB TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.utf8'" 2>"$work/ctype.err"; then
        PGDATABASE=$CTYPE_DB "$ROOT/db/migrate.sh" >/dev/null
        copy_table() { # table [query]
            q -d "$BIG_DB" -c "\\copy (${2:-SELECT * FROM $1}) TO STDOUT" | q -d "$CTYPE_DB" -c "\\copy $1 FROM STDIN"
        }
        copy_table auth.users "SELECT * FROM auth.users WHERE id IN (SELECT created_by FROM org.orgs UNION SELECT decided_by FROM org.orgs UNION SELECT created_by FROM activity.activities)"
        copy_table org.orgs
        copy_table activity.activities
        q -d "$CTYPE_DB" -c "VACUUM (ANALYZE)"
        {
            session_head
            prepare list_count "$SQL_COUNT"
            prepare list_page_desc "$SQL_DESC"
            for id in q4 q2; do emit_case "$id" list_count list_page_desc; done
            echo '\echo @@begin end end 0'
        } >"$work/ctype.sql"
        run_session "$CTYPE_DB" "$work/ctype.sql" "$C"
        q -At -d "$CTYPE_DB" -c "SELECT pg_size_pretty(pg_relation_size('activity.activities_title_trgm'))" >"$C/sizes"
        ctype_ok=y
    else
        ctype_why="cannot create a C.utf8 database here: $(head -n 1 "$work/ctype.err")"
    fi
else
    say "skipping the experiments: $exp_why"
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
for id in recruiting recruiting_prov category ended q4 none_p50; do
    for st in count page; do P[$id.$st]=$(pages "$B" "$id" "$st"); P[x.$id.$st]=$(pages "$X" "$id" "$st"); done
done
for id in recruiting_dj category_dj recruiting_prov_dj; do P[x.$id.page]=$(pages "$X" "$id" page); done
for id in q4 q2; do P[c.$id.count]=$(pages "$C" "$id" count); done
for id in recruiting recruiting_prov category ended none none_cap ended_cap recruiting_cap q4_cap; do
    T[x.$id.count]=$(ms "$X/$id.count".[0-9]) T[x.$id.page]=$(ms "$X/$id.page".[0-9])
    T[x.$id.total]=$(total "$X/$id.count.total")
done
for id in none_p50 recruiting_dj category_dj recruiting_prov_dj; do T[x.$id.page]=$(ms "$X/$id.page".[0-9]); done
for id in q4 q2; do
    T[c.$id.count]=$(ms "$C/$id.count".[0-9]) T[c.$id.page]=$(ms "$C/$id.page".[0-9]) T[c.$id.total]=$(total "$C/$id.count.total")
done
size_window="?" size_cover="?" size_heap="?" size_trgm="?"
# pg_size_pretty prints "12 MB": rejoin value and unit
if [ -s "$X/sizes" ]; then
    read -r a1 a2 b1 b2 c1 c2 d1 d2 <"$X/sizes"
    size_window="$a1 $a2" size_cover="$b1 $b2" size_heap="$c1 $c2" size_trgm="$d1 $d2"
fi
size_trgm_utf8=$(cat "$C/sizes" 2>/dev/null || echo "?")
# the sum of the count and the page: what one list request costs
add() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "–" || b == "–") print "–"; else printf "%.0f", a + b }'; }
xtimes() { awk -v n="$1" -v a="$2" 'BEGIN { if (a == "–") print "–"; else printf "%.1f", n * a / 1000 }'; }

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
database LC_CTYPE \`$(q -At -d "$BIG_DB" -c "SELECT datctype FROM pg_database WHERE datname = current_database()")\`.

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
  parameter types as \`PQprepare\` does, with \`plan_cache_mode = force_custom_plan\` (the
  \`stvs_activity\` role's setting, so absent filters fold away), under \`SET ROLE stvs_activity\`.
- A list request runs \`list_count\`, then the page (\`LIMIT 20\`, the default page size).
  Each statement ran once to warm the cache, then $RUNS times under \`EXPLAIN (ANALYZE, BUFFERS)\`;
  the times are the median *Execution Time* (planning excluded; EXPLAIN's own overhead included).
  Everything was in shared buffers or the OS cache: these are CPU costs, not disk waits.
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
    echo "\$1..\$9 = \`$params\`, then LIMIT 20 OFFSET $offset (\`list_page_$sort\`)."
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

if [ -n "$exp_ok" ]; then
    echo
    echo "## The proposals, measured"
    echo
    echo "On $BIG_DB with \`activities_signup_window\` and \`activities_starts_status\` created and"
    echo "\`activities_starts\` dropped (all put back afterwards), and the statement variants of the"
    echo "findings below; the title search in $CTYPE_DB (LC_CTYPE C.utf8)."
    for spec in "x recruiting count status=recruiting, list_count with the window line" \
                "x recruiting page status=recruiting, page 1 with the window line" \
                "x recruiting_dj page status=recruiting, page 1 with the window line, ids first" \
                "x category page service_category=lecture&status=recruiting, page 1" \
                "x category_dj page service_category=lecture&status=recruiting, page 1, ids first" \
                "x ended page status=ended, page 1 with the starts_at bound" \
                "x ended count status=ended, list_count (index-only)" \
                "x ended_cap count status=ended, count bounded at 10,001" \
                "x none_p50 page no filter, page 50, ids first" \
                "c q4 count q=科普讲座, list_count, LC_CTYPE C.utf8" \
                "c q2 count q=科普, list_count, LC_CTYPE C.utf8"; do
        read -r where id st what <<<"$spec"
        d=$([ "$where" = x ] && echo "$X" || echo "$C")
        f=$(median_run "$d" "$id" "$st")
        echo
        echo "**$what**: $(ms "$d/$id.$st".[0-9]) ms; $(scans "$f"); removed $(removed "$f"), buffers $(buffers "$f")."
        echo
        echo '```'
        trim_plan "$f"
        echo '```'
    done
fi

cat <<EOF

## Findings

Served well, flat or growing only with the answer: **org_id**, **region** alone, **from/to**,
a **city** with a status, and the **sign-up** (${T[signup.B]} ms: primary-key lookups, the
conditional \`UPDATE\` and two foreign-key checks; the members-only check is an index-only
probe of \`members_org_status\`). Every page of 20 whose filter the \`starts_at\` order meets early
costs 1–4 ms at 200k. What does not hold up:

1. **The count is the culprit.** \`list_count\` runs on every list request and counts the
   whole filtered set, so it grows with the data even where the page does not: at 200k the
   unfiltered count takes ${T[none.count.B]} ms (${T[none.count.S]} ms at 2k), \`status=recruiting\`
   ${T[recruiting.count.B]} ms and \`status=ended\` ${T[ended.count.B]} ms (seq scans over all
   ${T[none.total.B]} rows; ${T[recruiting.count.S]} and ${T[ended.count.S]} ms at 2k), \`q=\` ${T[q4.count.B]} ms.
   All of it is linear in the matching (or scanned) rows: ten times the activities, about
   $(xtimes 10 "${T[ended.count.B]}") s for \`status=ended\` on this machine, and the service's
   statement_timeout is 5 s. No index makes counting 100,000 rows free. What helps:
   - an index-only count: \`$IDX_COVER;\`
     (replacing \`activities_starts\`, same key; $size_cover against $size_heap of heap) carries every
     column \`ACTIVITY_STATUS\` reads, so a status count never touches the heap:
     \`status=ended\` ${T[ended.count.B]} → ${T[x.ended.count]} ms, \`status=recruiting\` → ${T[x.recruiting.count]} ms (with
     the recruiting index below). Still linear, just cheaper.
   - a bounded count, the real fix: \`SELECT count(*) FROM (SELECT 1 FROM activity.activities a
     <LIST_WHERE> LIMIT 10001) s\` and an API \`total\` that says "more than 10,000" past that.
     Measured: no filter ${T[x.none_cap.count]} ms, \`status=ended\` ${T[x.ended_cap.count]} ms,
     \`status=recruiting\` ${T[x.recruiting_cap.count]} ms, \`q=科普讲座\` ${T[x.q4_cap.count]} ms — whatever the table size.
2. **status=ended, page 1: ${T[ended.page.B]} ms** (${T[ended.page.S]} ms at 2k). The default sort walks
   \`activities_starts\` backwards from the last activity and throws away every future one
   ($(removed "$(median_run "$B" ended page)") rows) before it reaches one that has ended; the planner cannot know the
   ended ones all sit at the old end. No index needed: ended implies \`starts_at < ends_at <= now()\`,
   so \`LIST_WHERE\`'s ended line can say so —
   \`AND (\$1::text IS NULL OR \$1 <> 'ended' OR (a.ends_at <= now() AND a.starts_at < now()))\` —
   and the same backward scan starts at now(): ${T[ended.page.B]} → ${T[x.ended.page]} ms
   (${P[ended.page]} → ${P[x.ended.page]} pages).
3. **status=recruiting: count ${T[recruiting.count.B]} ms, page 1 ${T[recruiting.page.B]} ms** (${T[recruiting.count.S]} / ${T[recruiting.page.S]} ms at 2k);
   with \`service_category\` ${T[category.count.B]} / ${T[category.page.B]} ms. The only bound \`LIST_WHERE\` gives is
   \`starts_at > now()\`, which every *upcoming* activity also meets ($(removed "$(median_run "$B" recruiting page)")
   rows read and dropped for page 1). Recruiting means \`now()\` lies in the sign-up window, which a
   GiST index on the window answers directly:
   \`$IDX_WINDOW;\` ($size_window)
   with \`AND (\$1::text IS NULL OR \$1 <> 'recruiting' OR tstzrange(a.signup_starts_at, a.signup_ends_at) @> now())\`
   added to \`LIST_WHERE\` (\`tstzrange\`'s default \`[)\` bounds are exactly the status rule's
   \`signup_starts_at <= now < signup_ends_at\`). Measured: count ${T[recruiting.count.B]} → ${T[x.recruiting.count]} ms
   (${P[recruiting.count]} → ${P[x.recruiting.count]} pages; the planner may prefer the index-only count of 1.).
   For the page the window alone is not enough: ${T[recruiting.page.B]} → ${T[x.recruiting.page]} ms
   (${P[recruiting.page]} → ${P[x.recruiting.page]} pages), because the plan joins every recruiting row
   to \`orgs\` (${T[x.recruiting.total]} lookups) before it sorts and keeps 20. In the ids-first form of 5.
   the join happens for the 20 only: ${T[x.recruiting_dj.page]} ms (${P[x.recruiting_dj.page]} pages). With a category:
   count ${T[category.count.B]} → ${T[x.category.count]} ms, page ${T[category.page.B]} → ${T[x.category.page]} ms, ids first
   ${T[x.category_dj.page]} ms; with a province: count ${T[recruiting_prov.count.B]} → ${T[x.recruiting_prov.count]} ms,
   page ${T[recruiting_prov.page.B]} → ${T[x.recruiting_prov.page]} ms, ids first ${T[x.recruiting_prov_dj.page]} ms.
   The cost then follows the sign-ups open now, not the activities planned ahead.
   (\`sort=starts_at\` is already cheap, ${T[recruiting_asc.page.B]} ms: the forward scan meets recruiting ones first.)
4. **q (title search) is never index-served in this cluster.** \`scripts/stack.sh\` (and
   \`docker/compose.yaml\`) run \`initdb --no-locale\`, so LC_CTYPE is C, under which pg_trgm
   treats CJK characters as non-word characters: \`show_trgm('科普讲座')\` is \`{}\`. The
   \`activities_title_trgm\` scan then returns all ${T[none.total.B]} rows for a recheck: count ${T[q4.count.B]} ms
   (${T[q4.count.S]} ms at 2k), worse than a seq scan (\`volunteers_name_trgm\` and \`orgs_name_trgm\`,
   Chinese names, are as useless). The page is fast (${T[q4.page.B]} ms) only because common words
   match early in \`starts_at\` order; a rare word scans the whole table. The fix is the
   cluster's ctype, not another index: \`initdb --locale=C --lc-ctype=C.UTF-8\` (collation stays
   C), or \`CREATE DATABASE … TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'\` and
   \`REINDEX\` of the three trigram indexes. Measured in $CTYPE_DB (the same 200k activities,
   LC_CTYPE C.utf8; trigram index $size_trgm_utf8 against $size_trgm):
   \`q=科普讲座\` count ${T[q4.count.B]} → ${T[c.q4.count]} ms (${P[q4.count]} → ${P[c.q4.count]} pages; it still
   counts ${T[c.q4.total]} matches), page ${T[q4.page.B]} → ${T[c.q4.page]} ms.
   Trigrams need three characters, so \`q=科普\` (most Chinese words have two) stays a
   full scan even then: ${T[c.q2.count]} ms. For one- and two-character queries only a bigram index
   (the pg_bigm extension, not in Debian's packages) or a bounded count helps.
5. **Deep pages.** Page 50 with no filter takes ${T[none_p50.page.B]} ms (page 1: ${T[none.page.B]} ms):
   \`OFFSET 980\` builds all 1,000 rows of \`ACTIVITY_COLUMNS\` (the org join, \`ref.region_json\`,
   six \`rfc3339\`) and throws 980 away. Not an index matter: pick the ids first, then build 20 rows —
   \`SELECT <ACTIVITY_COLUMNS> FROM (SELECT a.id, a.starts_at FROM activity.activities a <LIST_WHERE>
   ORDER BY a.starts_at DESC, a.id DESC LIMIT \$10 OFFSET \$11) p JOIN activity.activities a ON a.id = p.id
   JOIN org.orgs o ON o.id = a.org_id ORDER BY a.starts_at DESC, a.id DESC\`: ${T[none_p50.page.B]} → ${T[x.none_p50.page]} ms
   (${P[none_p50.page]} → ${P[x.none_p50.page]} pages)
   (or keyset paging on \`(starts_at, id)\`, which the API would have to expose). The same form
   is what makes the recruiting page cheap (3.); for page 1 of every other filter it costs nothing.
6. **Smaller, growing with the matches:** \`theme\` page ${T[theme.page.B]} ms (the backward \`starts_at\` scan
   skips every activity without the theme until it meets one; science_day ones cluster in September),
   \`status=recruiting&region=<province>\` page ${T[recruiting_prov.page.B]} ms (all of the province's future
   activities are fetched and sorted). Both are covered by the fixes above or stay in the tens of ms.

Proposed, none of it applied (no migration added):

\`\`\`sql
-- recruiting: the open sign-up window (with the LIST_WHERE line in 3.)
$IDX_WINDOW;
-- status counts without the heap; replaces activities_starts (same key)
$IDX_COVER;
DROP INDEX activity.activities_starts;
\`\`\`

plus the \`LIST_WHERE\` bound for ended (2.), a bounded count (1.), ids-first paging (5.) and the
C.UTF-8 ctype for the cluster (4.).
EOF
[ -n "$exp_ok" ] || echo "
(The measured effects above are missing: $exp_why.)"
[ -n "$exp_ok" ] && [ -z "$ctype_ok" ] && echo "
(The ctype experiment did not run: $ctype_why.)"
true
} >"$out.tmp"
mv "$out.tmp" "$out"
say "done: ${out#"$ROOT"/}"
[ -n "$keep" ] && say "kept $SMALL_DB, $BIG_DB and $CTYPE_DB"
exit 0
