#!/usr/bin/env bash
# The list's filter matrix at ten times the activities (issue 15: page 1 of
# every filter combination index-served at 200k and at 2M activities).
#
#   bench/plans_x10.sh OUT.md
#
# Run beside the bench stack (the environment `make bench` uses: STVS_VAR,
# STVS_PG_PORT; scripts/stack.sh paths), on its seeded database. Copies the
# database (CREATE DATABASE ... TEMPLATE, so the bench stack's services must
# not be connected to it: `scripts/stack.sh stop` then `scripts/stack.sh
# pg-start`, in that environment), then adds to the
# copy every activity nine more times, copy k's four times shifted by
# (k - 5) × 90 minutes (so every status and region is ten times as full,
# the clock-moving statuses spread around their edges), ids k × 10^7 apart,
# its listed statuses brought up to date by activity.refresh_listed and its
# kept counts rebuilt; then bench/plans_matrix.py on the copy, and the copy
# dropped. The national seed at scale 10 would take over an hour here; this
# takes about ten minutes. Sign-ups, orgs and volunteers are not copied: the
# list reads none of them but the org's name. PLANS_X10_KEEP=1 keeps the copy
# (database stvs_plans_x10) for a look at its plans; a later run replaces it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT=${1:?usage: bench/plans_x10.sh OUT.md}
eval "$(scripts/stack.sh paths)"
COPY=stvs_plans_x10
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h "$STVS_PGHOST" -p "$STVS_PG_PORT" -U stvs "$@"; }
say() { echo "plans_x10: $(date +%H:%M:%S) $*"; }
cleanup() { [ "${PLANS_X10_KEEP:-}" = 1 ] || psql_ -d postgres -c "DROP DATABASE IF EXISTS $COPY" >/dev/null 2>&1 || true; }
trap cleanup EXIT

if [ -n "$(psql_ -d postgres -At -c "SELECT 1 FROM pg_stat_activity WHERE datname = 'stvs' LIMIT 1")" ]; then
    echo "plans_x10: sessions are connected to stvs (the services?): stop them first" >&2
    exit 1
fi
say "copying the database"
psql_ -d postgres -c "DROP DATABASE IF EXISTS $COPY" -c "CREATE DATABASE $COPY TEMPLATE stvs"

say "adding nine copies of every activity (indexes off, then rebuilt)"
psql_ -d "$COPY" <<'SQL'
SET maintenance_work_mem = '512MB';
BEGIN;
CREATE TEMP TABLE kept_indexes AS
    SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS def
    FROM pg_index WHERE indrelid = 'activity.activities'::regclass AND NOT indisprimary;
DO $$ DECLARE i record; BEGIN
    FOR i IN SELECT name FROM kept_indexes LOOP EXECUTE 'DROP INDEX ' || i.name; END LOOP;
END $$;
ALTER TABLE activity.activities DISABLE TRIGGER USER;
INSERT INTO activity.activities (id, org_id, title, description, service_category, themes, region_code, address,
        starts_at, ends_at, signup_starts_at, signup_ends_at, capacity, signed_up, service_hours, contact_name,
        contact_phone, requirements, members_only, cancelled_at, cancel_reason, created_by, created_at, updated_at,
        version, listed_status, listed_since, listed_until)
    OVERRIDING SYSTEM VALUE
    SELECT a.id + k * 10000000, a.org_id, a.title, a.description, a.service_category, a.themes, a.region_code,
           a.address, a.starts_at + d, a.ends_at + d, a.signup_starts_at + d, a.signup_ends_at + d, a.capacity,
           a.signed_up, a.service_hours, a.contact_name, a.contact_phone, a.requirements, a.members_only,
           a.cancelled_at, a.cancel_reason, a.created_by, a.created_at, a.updated_at, a.version, a.listed_status,
           a.listed_since + d, a.listed_until + d
    FROM activity.activities a, generate_series(1, 9) AS k, LATERAL (SELECT (k - 5) * interval '90 minutes' AS d) s
    WHERE a.id < 10000000;
ALTER TABLE activity.activities ENABLE TRIGGER USER;
DO $$ DECLARE i record; BEGIN
    FOR i IN SELECT def FROM kept_indexes LOOP EXECUTE i.def; END LOOP;
END $$;
COMMIT;
SQL

say "listing the copies' moved statuses and counting them"
psql_ -d "$COPY" <<'SQL'
DO $$ BEGIN PERFORM activity.refresh_listed(2147483647); END $$;
DO $$ BEGIN PERFORM activity.rebuild_listed_counts(); END $$;
VACUUM ANALYZE activity.activities;
VACUUM ANALYZE activity.listed_counts;
SQL
psql_ -d "$COPY" -At -c "SELECT 'plans_x10: ' || count(*) || ' activities' FROM activity.activities"

say "the filter matrix"
PGHOST=$STVS_PGHOST PGPORT=$STVS_PG_PORT PGUSER=stvs PGDATABASE=$COPY \
    python3 bench/plans_matrix.py build/release/bench --out "$OUT" >/dev/null
grep -m1 'combinations index-served' "$OUT"
