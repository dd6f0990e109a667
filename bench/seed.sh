#!/usr/bin/env bash
# Loads a realistic national dataset (bench/seed.sql) for the benchmarks.
#   bench/seed.sh [--scale N] [--seed S] [--fresh]
# Scale 1 = 1,000,000 volunteers and users, 20,000 orgs, 200,000 activities,
# 2,000,000 sign-ups (every count is linear in N: 0.01 gives 2,000
# activities, 0.002 gives 400). The same --seed gives the same data,
# relative to the moment of the run.
#
# The database is the one psql's environment names (PGHOST, PGPORT, PGUSER,
# PGDATABASE). With no PGDATABASE: the scratch database stvs_bench in the dev
# cluster (socket var/run/pg, port 5432, user stvs), dropped and created
# afresh. The database is created if missing (collation C, ctype C.UTF-8, as
# scripts/stack.sh makes clusters) and migrated (db/migrate.sh);
# it must then hold no users, orgs or activities. --fresh drops and
# recreates it first, which only a database named stvs_bench* allows.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
scale=1 seed=1 fresh=''

die() { echo "seed: $*" >&2; exit 1; }
usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
    case $1 in
        --scale) [ $# -ge 2 ] || usage 2; scale=$2; shift 2 ;;
        --seed) [ $# -ge 2 ] || usage 2; seed=$2; shift 2 ;;
        --fresh) fresh=1; shift ;;
        -h | --help) usage 0 ;;
        *) echo "seed: unknown argument $1" >&2; usage 2 ;;
    esac
done
[[ $scale =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--scale must be a positive number"
awk -v s="$scale" 'BEGIN { exit !(s >= 0.0001 && s <= 10) }' || die "--scale must be within 0.0001..10"
[[ $seed =~ ^[0-9]{1,9}$ ]] || die "--seed must be a non-negative integer"

if [ -z "${PGDATABASE:-}" ]; then
    export PGHOST=${PGHOST:-$ROOT/var/run/pg} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-stvs}
    export PGDATABASE=stvs_bench
    fresh=1
fi
export PGUSER=${PGUSER:-stvs}
# Never the dev database itself, never the test stack's cluster.
[ "$PGDATABASE" != stvs ] || die "refusing to seed the database stvs: use a scratch database (stvs_bench*)"
case "${PGHOST:-}" in */var/test/*) die "refusing to touch the test stack's cluster ($PGHOST)" ;; esac

[[ $PGDATABASE =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "PGDATABASE must be a plain identifier (letters, digits, _)"

psql_() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
db_exists() { [ -n "$(psql_ -d postgres -At -c "SELECT 1 FROM pg_database WHERE datname = '$PGDATABASE'")" ]; }

if [ -n "$fresh" ]; then
    case $PGDATABASE in stvs_bench*) ;; *) die "--fresh drops the database: only for stvs_bench* (not $PGDATABASE)" ;; esac
    echo "seed: recreating the scratch database $PGDATABASE on ${PGHOST:-default host}"
    psql_ -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $PGDATABASE WITH (FORCE)"
fi
if ! db_exists; then
    # as scripts/stack.sh's initdb makes clusters: collation C, character
    # classes C.UTF-8 (which pg_trgm needs to see Chinese characters as words)
    psql_ -d postgres -c "CREATE DATABASE $PGDATABASE TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'" 2>/dev/null ||
        { echo "seed: no C.UTF-8 locale here: $PGDATABASE gets the cluster's default locale" >&2
          psql_ -d postgres -c "CREATE DATABASE $PGDATABASE"; }
fi
"$ROOT/db/migrate.sh"
existing=$(psql_ -At -c "SELECT (SELECT count(*) FROM auth.users) + (SELECT count(*) FROM org.orgs)
                                + (SELECT count(*) FROM activity.activities)")
[ "$existing" = 0 ] || die "$PGDATABASE already holds data ($existing users+orgs+activities); use --fresh on a stvs_bench* database"

echo "seed: scale $scale, seed $seed, into $PGDATABASE"
start=$EPOCHREALTIME
# Prints each phase as it starts and the time the previous one took.
phase_timer() {
    local prev="" t0=$EPOCHREALTIME now line
    while IFS= read -r line; do
        case $line in
            @phase\ *)
                now=$EPOCHREALTIME
                [ -n "$prev" ] && printf 'seed:   %-12s %7.1f s\n' "$prev" "$(awk -v a="$t0" -v b="$now" 'BEGIN { print b - a }')"
                prev=${line#@phase }; prev=${prev%%:*}; t0=$now
                printf 'seed: %s\n' "${line#@phase }" ;;
            *) printf '%s\n' "$line" ;;
        esac
    done
    now=$EPOCHREALTIME
    [ -n "$prev" ] && printf 'seed:   %-12s %7.1f s\n' "$prev" "$(awk -v a="$t0" -v b="$now" 'BEGIN { print b - a }')"
    return 0
}
psql_ -v scale="$scale" -v seed="$seed" -f "$ROOT/bench/seed.sql" 2>&1 >/dev/null | phase_timer

echo "seed: vacuum: VACUUM ANALYZE"
t0=$EPOCHREALTIME
psql_ -c "VACUUM (ANALYZE)"
printf 'seed:   %-12s %7.1f s\n' vacuum "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')"
printf 'seed: total %.1f s\n' "$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')"

psql -X -v ON_ERROR_STOP=1 -P footer=off <<'SQL'
SELECT t AS "table", c AS "rows" FROM (
    SELECT 1 AS n, 'auth.users' AS t, count(*) AS c FROM auth.users
    UNION ALL
    SELECT 2 AS n, 'auth.platform_admins' AS t, count(*) AS c FROM auth.platform_admins
    UNION ALL
    SELECT 3 AS n, 'volunteer.volunteers' AS t, count(*) AS c FROM volunteer.volunteers
    UNION ALL
    SELECT 4 AS n, 'org.orgs' AS t, count(*) AS c FROM org.orgs
    UNION ALL
    SELECT 5 AS n, 'org.admins' AS t, count(*) AS c FROM org.admins
    UNION ALL
    SELECT 6 AS n, 'org.members' AS t, count(*) AS c FROM org.members
    UNION ALL
    SELECT 7 AS n, 'activity.activities' AS t, count(*) AS c FROM activity.activities
    UNION ALL
    SELECT 8 AS n, 'activity.signups' AS t, count(*) AS c FROM activity.signups
    UNION ALL
    SELECT 9 AS n, 'activity.service_records' AS t, count(*) AS c FROM activity.service_records
    UNION ALL
    SELECT 10 AS n, 'activity.reports' AS t, count(*) AS c FROM activity.reports
) x ORDER BY n;

SELECT level, count(*) AS orgs, sum(member_count) AS members FROM org.orgs
GROUP BY level ORDER BY array_position(ARRAY['corps', 'detachment', 'brigade', 'team', 'squad'], level);

SELECT activity.status_at(cancelled_at, starts_at, ends_at, signup_starts_at, signup_ends_at, now()) AS status,
       count(*) AS activities, sum(signed_up) AS signed_up, count(*) FILTER (WHERE signed_up = capacity) AS full
FROM activity.activities GROUP BY 1 ORDER BY 1;

SELECT r.name AS province, count(*) AS volunteers, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct
FROM volunteer.volunteers v JOIN ref.regions r ON r.code = left(v.region_code, 2) || '0000'
GROUP BY r.name ORDER BY count(*) DESC LIMIT 8;

SELECT pg_size_pretty(pg_database_size(current_database())) AS database_size;
SQL
