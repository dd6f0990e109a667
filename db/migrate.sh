#!/bin/sh
# Applies db/migrations/*.sql in order, each once and in one transaction.
# Usage: db/migrate.sh [psql connection arguments...]
# Also the one-shot migration step of docker/compose.yaml.
set -eu
dir=$(cd "$(dirname "$0")" && pwd)/migrations
# psql runs in db/: migrations \copy their data from paths relative to it (data/...).
cd "$dir/.."
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
psql_() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

psql_ "$@" -c "CREATE TABLE IF NOT EXISTS public.schema_migrations (
    version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
for f in "$dir"/*.sql; do
    v=$(basename "$f" .sql)
    case "$v" in
        [0-9][0-9][0-9]_*) ;;
        *) echo "migrate: bad migration name $v" >&2; exit 1 ;;
    esac
    if [ -n "$(psql_ "$@" -At -c "SELECT 1 FROM public.schema_migrations WHERE version = '$v'")" ]; then
        continue
    fi
    echo "migrate: applying $v"
    psql_ "$@" -1 -f "$f" -c "INSERT INTO public.schema_migrations (version) VALUES ('$v')"
done
