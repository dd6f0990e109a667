#!/bin/sh
# The `migrate` one-shot of docker/compose.yaml (image postgres:15-bookworm,
# run as root). In order:
#   1. waits for PostgreSQL, then applies db/migrations with db/migrate.sh as
#      the superuser stvs (password: secret postgres_password);
#   2. for every secret <service>_db_password it was given: sets the password
#      of the role stvs_<service> (the migrations create the roles without
#      one), and writes $PRIVATE_DIR/<service>/pgpass, owned by $STVS_UID,
#      mode 0400: the service's STVS_DB names it with passfile=, so no
#      password is ever in a service's environment. WRITE_PGPASS=0 (the
#      migration Job of deploy/k8s, whose services read the Secret) skips
#      the pgpass files.
# Idempotent: `docker compose up` runs it every time.
set -eu
SECRETS_DIR=${SECRETS_DIR:-/run/secrets}
PRIVATE_DIR=${PRIVATE_DIR:-/private}
DB_DIR=${DB_DIR:-/db}
STVS_UID=${STVS_UID:-10001}
WRITE_PGPASS=${WRITE_PGPASS:-1}
PGHOST=${PGHOST:-postgres} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-stvs} PGDATABASE=${PGDATABASE:-stvs}
export PGHOST PGPORT PGUSER PGDATABASE

say() { echo "migrate: $*"; }
die() { echo "migrate: $*" >&2; exit 1; }

# $(cat) drops trailing newlines; anything else multi-line is refused.
read_secret() { # file
    [ -r "$1" ] || die "secret $1 is missing"
    s=$(cat "$1")
    [ -n "$s" ] || die "secret $1 is empty"
    [ "$(printf '%s' "$s" | wc -l)" -eq 0 ] || die "secret $1 must be one line"
    printf '%s' "$s"
}

PGPASSWORD=$(read_secret "$SECRETS_DIR/postgres_password")
export PGPASSWORD

i=0
until pg_isready -q; do
    i=$((i + 1))
    [ "$i" -lt 60 ] || die "PostgreSQL at $PGHOST:$PGPORT is not ready after 60 s"
    sleep 1
done

sh "$DB_DIR/migrate.sh" -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d "$PGDATABASE"

n=0
for f in "$SECRETS_DIR"/*_db_password; do
    [ -e "$f" ] || continue
    svc=$(basename "$f" _db_password)
    role=stvs_$svc
    out=$PRIVATE_DIR/$svc
    [ "$WRITE_PGPASS" = 0 ] || [ -d "$out" ] || die "no volume mounted at $out for $role's pgpass"
    pw=$(read_secret "$f")
    # The password reaches psql through its environment (\getenv, psql 15),
    # never through argv, and psql quotes it.
    STVS_ROLE_PASSWORD=$pw psql -X -q -v ON_ERROR_STOP=1 -v role="$role" <<'SQL'
\getenv pw STVS_ROLE_PASSWORD
ALTER ROLE :"role" PASSWORD :'pw';
SQL
    if [ "$WRITE_PGPASS" = 0 ]; then
        say "password of $role set"
        n=$((n + 1))
        continue
    fi
    # pgpass: host:port:database:user:password, with \ and : escaped
    (
        umask 077
        printf '*:*:*:%s:%s\n' "$role" "$(printf '%s' "$pw" | sed 's/[\\:]/\\&/g')" >"$out/.pgpass.new"
    )
    chown "$STVS_UID:$STVS_UID" "$out/.pgpass.new"
    chmod 0400 "$out/.pgpass.new"
    mv -f "$out/.pgpass.new" "$out/pgpass"
    say "password of $role set; $out/pgpass written"
    n=$((n + 1))
done
[ "$n" -gt 0 ] || die "no <service>_db_password secret given: no service could log in"
say "done"
