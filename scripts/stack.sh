#!/usr/bin/env bash
# Starts or stops the whole stack: a PostgreSQL cluster under $STVS_VAR/pg,
# the FastCGI services, and nginx on 127.0.0.1:$HTTP_PORT. `make run` and
# `make test` both use it, with different STVS_VAR, ports and MODE, so the
# test stack never touches the one `make run` started.
#   scripts/stack.sh run | stop | migrate
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VAR=${STVS_VAR:-$ROOT/var}
HTTP_PORT=${HTTP_PORT:-8080}
PG_PORT=${STVS_PG_PORT:-5432}   # names the socket file only: TCP is off
MODE=${MODE:-release}
SERVICES=(auth volunteer org activity)
RUN=$VAR/run LOG=$VAR/log KEYS=$VAR/keys PGDATA=$VAR/pg NGX=$VAR/nginx
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
PGSOCK=$RUN/pg

say() { echo "stack: $*"; }
die() { echo "stack: $*" >&2; exit 1; }

# PostgreSQL refuses to run as root: as root, run it as the postgres user.
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
pg_owned_dir() {
    mkdir -p "$1"
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$1"; fi
    chmod 700 "$1"
}
psql_admin() { psql -X -q -v ON_ERROR_STOP=1 -h "$PGSOCK" -p "$PG_PORT" -U stvs "$@"; }

health_path() {
    case $1 in auth) echo auth ;; volunteer) echo volunteers ;; org) echo orgs ;; activity) echo activities ;; esac
}

make_keys() {
    mkdir -p "$KEYS"
    chmod 700 "$KEYS"
    if [ ! -s "$KEYS/jwt-es256.key" ]; then
        say "generating the ES256 signing key"
        (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$KEYS/jwt-es256.key")
        openssl pkey -in "$KEYS/jwt-es256.key" -pubout -out "$KEYS/jwt-es256.pub"
    fi
    if [ ! -s "$KEYS/data.key" ]; then
        say "generating the data-encryption key"
        (umask 077 && openssl rand -hex 32 > "$KEYS/data.key")
    fi
}

# The postgres user must be able to reach $VAR through every parent folder.
check_pg_can_reach() {
    [ "$(id -u)" = 0 ] || return 0
    local d=$VAR
    while [ "$d" != / ]; do
        if ! runuser -u postgres -- test -x "$d" 2>/dev/null; then
            say "letting the postgres user traverse $d (o+x)"
            chmod o+x "$d"
        fi
        d=$(dirname "$d")
    done
}

pg_running() { [ -s "$PGDATA/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }

start_pg() {
    [ -n "$PGBIN" ] || die "PostgreSQL server binaries not found under /usr/lib/postgresql"
    mkdir -p "$VAR" "$RUN" "$LOG"
    check_pg_can_reach
    pg_owned_dir "$PGSOCK"
    pg_owned_dir "$LOG/postgres"
    if [ ! -s "$PGDATA/PG_VERSION" ]; then
        say "creating the PostgreSQL cluster in $PGDATA"
        pg_owned_dir "$PGDATA"
        # Collation C (byte order, fast), character classes C.UTF-8: pg_trgm
        # sees Chinese characters as word characters only with a UTF-8 ctype.
        as_pg "$PGBIN/initdb" -D "$PGDATA" -U stvs --auth=trust --encoding=UTF8 --locale=C --lc-ctype=C.UTF-8 >/dev/null
        {
            echo "listen_addresses = ''"
            echo "unix_socket_directories = '$PGSOCK'"
            echo "unix_socket_permissions = 0770"
            echo "port = $PG_PORT"
            echo "timezone = 'Asia/Shanghai'"
            echo "max_connections = 200"
            # a throwaway test cluster trades durability for speed
            [ -n "${STVS_PG_FAST:-}" ] && printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n'
        } | as_pg tee -a "$PGDATA/postgresql.conf" >/dev/null
    fi
    if ! pg_running; then
        say "starting PostgreSQL"
        as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$LOG/postgres/postgres.log" -w -t 60 start >/dev/null
    fi
    if [ -z "$(psql_admin -d postgres -At -c "SELECT 1 FROM pg_database WHERE datname = 'stvs'")" ]; then
        psql_admin -d postgres -c "CREATE DATABASE stvs"
    fi
}

migrate() { "$ROOT/db/migrate.sh" -h "$PGSOCK" -p "$PG_PORT" -U stvs -d stvs; }

stop_pid() { # name pidfile
    local pidfile=$2 pid
    [ -s "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            say "$1 did not stop in 10 s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$pidfile"
}

start_services() {
    for s in "${SERVICES[@]}"; do
        stop_pid "$s" "$RUN/$s.pid"
        local extra=()
        [ "$s" = auth ] && extra=(STVS_JWT_PRIVATE_KEY_FILE="$KEYS/jwt-es256.key"
                                  SMS_OUTBOX="${SMS_OUTBOX:-$VAR/sms-outbox.jsonl}")
        env STVS_DB="host=$PGSOCK port=$PG_PORT dbname=stvs user=stvs_$s" \
            STVS_LISTEN="$RUN/$s.sock" \
            STVS_THREADS="${STVS_THREADS:-4}" \
            STVS_JWT_PUBLIC_KEY_FILE="$KEYS/jwt-es256.pub" \
            STVS_DATA_KEY_FILE="$KEYS/data.key" \
            "${extra[@]}" \
            ${STVS_WRAPPER:-} "$ROOT/build/$MODE/bin/stvs-$s" >>"$LOG/$s.log" 2>&1 &
        echo $! >"$RUN/$s.pid"
    done
}

# The PC client: nginx serves a copy of web/dist (built by `make web`). As
# root its workers run as nobody, who may not be able to enter the checkout:
# then the copy goes to /run/stvs-web/<port> instead of next to nginx.conf.
sync_web() {
    local dest=$NGX/web src=$ROOT/web/dist
    if [ "$(id -u)" = 0 ] && ! runuser -u nobody -- test -x "$NGX" 2>/dev/null; then
        mkdir -p /run/stvs-web
        chmod 755 /run/stvs-web
        dest=/run/stvs-web/$HTTP_PORT
    fi
    rm -rf "$dest.new"
    if [ -s "$src/index.html" ]; then
        cp -R "$src" "$dest.new"
    else
        mkdir -p "$dest.new"
        echo '<!doctype html><meta charset="utf-8"><title>STVS</title><p>PC client not built: run make web (or make run).</p>' \
            >"$dest.new/index.html"
    fi
    chmod -R a+rX "$dest.new"
    rm -rf "$dest"
    mv "$dest.new" "$dest"
    WEB_DIR=$dest
}

start_nginx() {
    mkdir -p "$NGX"
    local user_line=""
    # as root, workers run as nobody in root's group: enough for the 0660 sockets
    [ "$(id -u)" = 0 ] && user_line="user nobody $(id -gn);"
    cp "$ROOT/nginx/fastcgi.conf" "$NGX/fastcgi.conf"
    sync_web
    sed -e "s|@USER_LINE@|$user_line|" -e "s|@NGINX_DIR@|$NGX|g" -e "s|@LOG_DIR@|$LOG|g" \
        -e "s|@RUN_DIR@|$RUN|g" -e "s|@CONF_DIR@|$NGX|g" -e "s|@HTTP_PORT@|$HTTP_PORT|g" \
        -e "s|@WEB_DIR@|$WEB_DIR|g" \
        "$ROOT/nginx/nginx.conf.in" >"$NGX/nginx.conf"
    local nginx=(/usr/sbin/nginx -p "$NGX" -c "$NGX/nginx.conf" -e "$LOG/nginx-error.log")
    "${nginx[@]}" -t -q
    if [ -s "$NGX/nginx.pid" ] && kill -0 "$(cat "$NGX/nginx.pid")" 2>/dev/null; then
        "${nginx[@]}" -s reload
    else
        "${nginx[@]}"
    fi
}

wait_healthy() {
    for s in "${SERVICES[@]}"; do
        local url="http://127.0.0.1:$HTTP_PORT/api/v1/$(health_path "$s")/health" ok=""
        for _ in $(seq 1 300); do
            if [ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" = 200 ]; then ok=1; break; fi
            kill -0 "$(cat "$RUN/$s.pid")" 2>/dev/null || break
            sleep 0.2
        done
        [ -n "$ok" ] || { tail -n 20 "$LOG/$s.log" >&2; die "$s is not healthy at $url"; }
    done
}

run() {
    make_keys
    start_pg
    migrate
    make -s -C "$ROOT" MODE="$MODE" build
    start_services
    start_nginx
    wait_healthy
    say "up: http://127.0.0.1:$HTTP_PORT/api/v1 (logs in $LOG)"
}

stop() {
    if [ -s "$NGX/nginx.pid" ]; then
        stop_pid nginx "$NGX/nginx.pid"
    fi
    for s in "${SERVICES[@]}"; do stop_pid "$s" "$RUN/$s.pid"; done
    if [ -n "$PGBIN" ] && pg_running; then
        as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
    fi
    say "stopped"
}

# Platform admins (科协 staff) are granted here, never over HTTP. The
# account is created if the phone has never logged in.
admin() { # phone region
    local phone=$1 region=$2
    [[ $phone =~ ^1[3-9][0-9]{9}$ ]] || die "PHONE must be a mainland mobile number (1[3-9] + 9 digits)"
    [[ $region =~ ^[0-9]{6}$ ]] || die "REGION must be a six-digit GB/T 2260 code (000000 = whole country)"
    start_pg
    migrate >/dev/null
    if [ "$region" != 000000 ] && [ -z "$(psql_admin -d stvs -At -v region="$region" \
            <<<"SELECT 1 FROM ref.regions WHERE code = :'region'")" ]; then
        die "REGION $region is not a GB/T 2260 code in ref.regions (000000 = whole country)"
    fi
    psql_admin -d stvs -v phone="$phone" -v region="$region" <<'SQL'
WITH u AS (
    INSERT INTO auth.users (phone) VALUES (:'phone')
    ON CONFLICT (phone) DO UPDATE SET phone = EXCLUDED.phone RETURNING id
)
INSERT INTO auth.platform_admins (user_id, region_code) SELECT id, :'region' FROM u
ON CONFLICT DO NOTHING;
SQL
    say "platform admin granted over region $region"
}

case "${1:-}" in
    run) run ;;
    stop) stop ;;
    migrate) start_pg && migrate ;;
    admin) admin "${2:-}" "${3:-}" ;;
    *) die "usage: $0 run|stop|migrate|admin PHONE REGION" ;;
esac
