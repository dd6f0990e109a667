#!/usr/bin/env bash
# Starts or stops the whole stack: a PostgreSQL cluster, the FastCGI
# services, and nginx on 127.0.0.1:$HTTP_PORT. `make run` and `make test` both
# use it, with different STVS_VAR, ports and MODE, so the test stack never
# touches the one `make run` started.
#   scripts/stack.sh run | stop | migrate | admin PHONE REGION
#   scripts/stack.sh paths              where this stack's files are (NAME=value lines)
#   scripts/stack.sh pg-start | pg-stop PostgreSQL alone (the API tests restart it)
#   scripts/stack.sh purge              stop, then delete the cluster, keys and logs
#
# Where things are (docs/ARCHITECTURE.md draws the map). One stack instance
# per STVS_VAR (default var/); ID = the first 12 hex digits of the SHA-256 of
# STVS_VAR's absolute path, so checkouts and test stacks never share a path.
#   $STVS_VAR/            keys/, log/, nginx/ (config), sms-outbox.jsonl
#   runtime dir           <svc>.sock and <svc>.pid, pg/ (PostgreSQL's socket
#                         directory), nginx/ (nginx's pid and temp files).
#                         root: /run/stvs/ID; others: $XDG_RUNTIME_DIR/stvs/ID,
#                         or /tmp/stvs-UID/ID; STVS_RUN_DIR overrides. Created
#                         by run, removed by stop; $STVS_VAR/run links to it.
#   cluster               $STVS_VAR/pg, or, as root when the postgres user
#                         cannot reach STVS_VAR (a parent with mode 700, as
#                         /root or a mktemp -d folder), /var/lib/stvs/ID/pg with
#                         $STVS_VAR/pg a symlink to it.
# Permissions outside the checkout are never changed: nginx's workers
# (`user nobody <root's group>` as root) reach the services' 0660 sockets
# through the runtime dir (0711), and postgres owns its socket directory.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VAR=$(realpath -m -- "${STVS_VAR:-$ROOT/var}")
HTTP_PORT=${HTTP_PORT:-8080}
PG_PORT=${STVS_PG_PORT:-5432}   # names the socket file only: TCP is off
MODE=${MODE:-release}
SERVICES=(auth volunteer org activity import stats)
LOG=$VAR/log KEYS=$VAR/keys NGX=$VAR/nginx
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
ID=$(printf '%s' "$VAR" | sha256sum | cut -c1-12)
IS_ROOT=""
if [ "$(id -u)" = 0 ]; then IS_ROOT=1; fi
EXT_HOME=/var/lib/stvs          # clusters of checkouts the postgres user cannot reach (root only)
EXT=$EXT_HOME/$ID

say() { echo "stack: $*"; }
die() { echo "stack: $*" >&2; exit 1; }

default_run_dir() {
    if [ -n "${STVS_RUN_DIR:-}" ]; then
        realpath -m -- "$STVS_RUN_DIR"
    elif [ -n "$IS_ROOT" ]; then
        echo "/run/stvs/$ID"
    elif [ -n "${XDG_RUNTIME_DIR:-}" ] && [ -d "$XDG_RUNTIME_DIR" ] && [ -O "$XDG_RUNTIME_DIR" ]; then
        echo "$XDG_RUNTIME_DIR/stvs/$ID"
    else
        echo "/tmp/stvs-$(id -u)/$ID"
    fi
}
RUN=$(default_run_dir)
[[ $RUN =~ ^/[A-Za-z0-9/._+-]+$ ]] || die "runtime dir $RUN: only letters, digits and / . _ + - please"
PGSOCK=$RUN/pg NGX_RUN=$RUN/nginx NGX_PID=$RUN/nginx/nginx.pid
PGLOG=$LOG/postgres/postgres.log
# The cluster: where $VAR/pg points, else $VAR/pg itself.
PGDATA=$VAR/pg
if [ -L "$VAR/pg" ]; then PGDATA=$(readlink -- "$VAR/pg"); fi

# PostgreSQL refuses to run as root: as root, run it as the postgres user,
# from / (the caller's folder may be closed to it).
as_pg() {
    if [ -n "$IS_ROOT" ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}
pg_owned_dir() {
    mkdir -p "$1"
    if [ -n "$IS_ROOT" ]; then chown postgres:postgres "$1"; fi
    chmod 700 "$1"
}
psql_admin() { psql -X -q -v ON_ERROR_STOP=1 -h "$PGSOCK" -p "$PG_PORT" -U stvs "$@"; }
# Whether the postgres user can reach a folder (every parent searchable).
pg_can_reach() {
    if [ -z "$IS_ROOT" ]; then return 0; fi
    as_pg test -x "$1" 2>/dev/null
}
# A folder made here and nowhere else: not a symlink, owned by the caller.
own_dir() { # dir mode
    mkdir -p -- "$1"
    if [ -L "$1" ] || [ ! -O "$1" ]; then die "$1 is not a folder of $(id -un): refusing to use it"; fi
    chmod "$2" -- "$1"
}

# The runtime dir: nginx's workers reach the sockets in it, postgres its pg/.
make_run_dir() {
    if [ -n "$IS_ROOT" ] && [ -z "${STVS_RUN_DIR:-}" ]; then
        own_dir /run/stvs 0755
    elif [ -z "$IS_ROOT" ] && [ -z "${STVS_RUN_DIR:-}" ]; then
        own_dir "$(dirname "$RUN")" 0700
    else
        mkdir -p -- "$(dirname "$RUN")"
    fi
    # 0711 as root: nginx's workers (nobody) and postgres may pass, not list;
    # the sockets themselves are 0660 root:root (nobody's group is root's).
    if [ -n "$IS_ROOT" ]; then own_dir "$RUN" 0711; else own_dir "$RUN" 0700; fi
    echo "$VAR" >"$RUN/instance"
    pg_owned_dir "$PGSOCK"
    if [ -n "$IS_ROOT" ]; then own_dir "$NGX_RUN" 0711; else own_dir "$NGX_RUN" 0700; fi
    mkdir -p "$VAR"
    if [ -d "$VAR/run" ] && [ ! -L "$VAR/run" ]; then stop_legacy; fi
    ln -sfn -- "$RUN" "$VAR/run"
}

# Runtime dirs to look in when stopping: the one recorded by $VAR/run, the
# one this environment would use, and the old layout ($VAR/run a folder).
run_dirs() {
    local rec=""
    if [ -L "$VAR/run" ]; then rec=$(readlink -- "$VAR/run"); echo "$rec"; fi
    if [ "$RUN" != "$rec" ]; then echo "$RUN"; fi
    if [ -d "$VAR/run" ] && [ ! -L "$VAR/run" ]; then echo "$VAR/run"; fi
}
# Removes a runtime dir, if it is one of this stack's (its instance file says so).
remove_run_dir() {
    local d=$1
    [ -d "$d" ] && [ ! -L "$d" ] || return 0
    [ "$(cat "$d/instance" 2>/dev/null)" = "$VAR" ] || return 0
    rm -rf -- "$d"
    case $(basename "$(dirname "$d")") in   # /run/stvs, $XDG_RUNTIME_DIR/stvs, /tmp/stvs-UID, once empty
        stvs | stvs-[0-9]*) rmdir -- "$(dirname "$d")" 2>/dev/null || true ;;
    esac
}
# The layout before the runtime dir: sockets and pid files in $VAR/run, a
# folder. Stops what it names, then makes way for the link.
stop_legacy() {
    say "moving the sockets out of $VAR/run (the old layout): stopping what runs from it"
    stop_pid nginx "$NGX/nginx.pid"
    for s in "${SERVICES[@]}"; do stop_pid "$s" "$VAR/run/$s.pid"; done
    pg_stop
    rm -rf -- "${VAR:?}/run"
}

health_path() {
    case $1 in auth) echo auth ;; volunteer) echo volunteers ;; org) echo orgs ;; activity) echo activities ;; import) echo imports ;; stats) echo stats ;; esac
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

pg_running() {
    if [ -n "$PGBIN" ] && [ -s "$PGDATA/postmaster.pid" ]; then
        as_pg "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1
    else
        return 1
    fi
}

# Where a new cluster goes: $VAR/pg when the postgres user can reach it,
# else (root, a parent folder closed to others) /var/lib/stvs/ID/pg, linked
# from $VAR/pg. An existing cluster stays where it is.
place_cluster() {
    if [ -L "$VAR/pg" ] && [ ! -e "$VAR/pg" ]; then   # its target was deleted
        rm -f -- "$VAR/pg"
        PGDATA=$VAR/pg
    fi
    if [ -L "$VAR/pg" ] || [ -s "$VAR/pg/PG_VERSION" ]; then
        if ! pg_can_reach "$PGDATA"; then
            die "the postgres user cannot reach the cluster in $PGDATA (a parent folder is closed to others).
  Move it out of the checkout:  scripts/stack.sh stop; mkdir -p $EXT; mv $VAR/pg $EXT/pg; ln -s $EXT/pg $VAR/pg
  or start afresh:              scripts/stack.sh purge"
        fi
        return 0
    fi
    if pg_can_reach "$VAR"; then
        PGDATA=$VAR/pg
        return 0
    fi
    # A cluster under $EXT with no link to it is what is left of a deleted
    # $VAR (its keys went with it): deleting $VAR deletes its data, as when the
    # cluster is in the checkout.
    if [ -e "$EXT" ]; then
        [ "$(cat "$EXT/instance" 2>/dev/null)" = "$VAR" ] || die "$EXT exists but is not this stack's ($EXT/instance): move it away"
        say "removing $EXT/pg, the cluster of an earlier $VAR that was deleted"
        PGDATA=$EXT/pg
        pg_stop
        rm -rf -- "$EXT"
    fi
    say "the postgres user cannot reach $VAR (a parent folder is closed to others): the cluster goes to $EXT/pg, linked from $VAR/pg"
    own_dir "$EXT_HOME" 0755
    own_dir "$EXT" 0755
    echo "$VAR" >"$EXT/instance"
    PGDATA=$EXT/pg
    rmdir -- "$VAR/pg" 2>/dev/null || true   # an empty folder left by a failed first run
    ln -sfn -- "$PGDATA" "$VAR/pg"
}

start_pg() {
    [ -n "$PGBIN" ] || die "PostgreSQL server binaries not found under /usr/lib/postgresql"
    mkdir -p "$VAR" "$LOG/postgres"
    make_run_dir
    place_cluster
    if [ ! -s "$PGDATA/PG_VERSION" ]; then
        say "creating the PostgreSQL cluster in $PGDATA"
        pg_owned_dir "$PGDATA"
        # Collation C (byte order, fast), character classes C.UTF-8: pg_trgm
        # sees Chinese characters as word characters only with a UTF-8 ctype.
        as_pg "$PGBIN/initdb" -D "$PGDATA" -U stvs --auth=trust --encoding=UTF8 --locale=C --lc-ctype=C.UTF-8 >/dev/null
        {
            echo "listen_addresses = ''"
            echo "# port and unix_socket_directories: given by scripts/stack.sh at each start (-p, -k)"
            echo "unix_socket_permissions = 0770"
            echo "timezone = 'Asia/Shanghai'"
            echo "max_connections = 200"
            # a throwaway test cluster trades durability for speed (an if, not
            # `[ ... ] && printf`: a false test as the group's last command
            # fails the pipeline, and pipefail + set -e end the script)
            if [ -n "${STVS_PG_FAST:-}" ]; then
                printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n'
            fi
        } | as_pg tee -a "$PGDATA/postgresql.conf" >/dev/null
    fi
    pg_start
    if [ -z "$(psql_admin -d postgres -At -c "SELECT 1 FROM pg_database WHERE datname = 'stvs'")" ]; then
        psql_admin -d postgres -c "CREATE DATABASE stvs"
    fi
}

# The socket directory and port are given at each start, so that they follow
# the runtime dir (older clusters name var/run/pg in postgresql.conf). The
# log is opened here, not by postgres (-l): the checkout may be closed to it.
pg_start() {
    if pg_running; then return 0; fi
    say "starting PostgreSQL"
    if ! as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -o "-k '$PGSOCK' -p $PG_PORT" -w -t 60 start >>"$PGLOG" 2>&1; then
        tail -n 20 "$PGLOG" >&2
        die "PostgreSQL did not start (log: $PGLOG)"
    fi
}
pg_stop() {
    if pg_running; then as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null; fi
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

stop_postmaster_of() { # socket dir
    local lock pid
    for lock in "$1"/.s.PGSQL.*.lock; do
        [ -s "$lock" ] || continue
        pid=$(head -n 1 "$lock")
        [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ] || continue
        say "stopping PostgreSQL $pid (its cluster is not at $PGDATA)"
        kill -INT "$pid" 2>/dev/null || true   # postgres' fast shutdown
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
}

start_services() {
    for s in "${SERVICES[@]}"; do
        stop_pid "$s" "$RUN/$s.pid"
        local extra=()
        if [ "$s" = auth ]; then
            extra=(STVS_JWT_PRIVATE_KEY_FILE="$KEYS/jwt-es256.key" SMS_OUTBOX="${SMS_OUTBOX:-$VAR/sms-outbox.jsonl}")
        fi
        local db="host=$PGSOCK port=$PG_PORT dbname=stvs user=stvs_$s"
        # stats reads through STVS_STATS_DB when it is set in this environment (a
        # standby; inherited), and writes through STVS_DB (docs/stats.md)
        env STVS_DB="$db" \
            STVS_LISTEN="$RUN/$s.sock" \
            STVS_THREADS="${STVS_THREADS:-4}" \
            STVS_JWT_PUBLIC_KEY_FILE="$KEYS/jwt-es256.pub" \
            STVS_DATA_KEY_FILE="$KEYS/data.key" \
            "${extra[@]}" \
            ${STVS_WRAPPER:-} "$ROOT/build/$MODE/bin/stvs-$s" >>"$LOG/$s.log" 2>&1 &
        echo $! >"$RUN/$s.pid"
    done
}

# The PC client: nginx serves a copy of web/dist (built by `make web`) from
# the runtime dir, which nginx's workers reach wherever the checkout is.
sync_web() {
    local dest=$RUN/web src=$ROOT/web/dist
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

# nginx's configuration is in $VAR/nginx (read by the master, root); its pid
# and temp files, which the workers write, are in the runtime dir.
start_nginx() {
    mkdir -p "$NGX"
    local user_line=""
    # as root, workers run as nobody in root's group: enough for the 0660 sockets
    if [ -n "$IS_ROOT" ]; then user_line="user nobody $(id -gn);"; fi
    cp "$ROOT/nginx/fastcgi.conf" "$NGX/fastcgi.conf"
    sync_web
    sed -e "s|@USER_LINE@|$user_line|" -e "s|@NGINX_DIR@|$NGX_RUN|g" -e "s|@LOG_DIR@|$LOG|g" \
        -e "s|@RUN_DIR@|$RUN|g" -e "s|@CONF_DIR@|$NGX|g" -e "s|@HTTP_PORT@|$HTTP_PORT|g" \
        -e "s|@WEB_DIR@|$WEB_DIR|g" \
        "$ROOT/nginx/nginx.conf.in" >"$NGX/nginx.conf"
    local nginx=(/usr/sbin/nginx -p "$NGX" -c "$NGX/nginx.conf" -e "$LOG/nginx-error.log")
    "${nginx[@]}" -t -q
    if [ -s "$NGX_PID" ] && kill -0 "$(cat "$NGX_PID")" 2>/dev/null; then
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
        if [ -z "$ok" ]; then
            tail -n 20 "$LOG/$s.log" "$LOG/nginx-error.log" >&2 2>/dev/null || true
            die "$s is not healthy at $url"
        fi
    done
}

run() {
    # a stack started from another runtime dir (another environment) first
    local d
    while read -r d; do
        if [ "$d" != "$RUN" ]; then stop; break; fi
    done < <(run_dirs)
    make_keys
    start_pg
    migrate
    make -s -C "$ROOT" MODE="$MODE" build
    start_services
    start_nginx
    wait_healthy
    say "up: http://127.0.0.1:$HTTP_PORT/api/v1 (logs in $LOG, sockets in $RUN, cluster in $PGDATA)"
}

stop() {
    local dirs d s
    mapfile -t dirs < <(run_dirs)
    for d in "${dirs[@]}"; do stop_pid nginx "$d/nginx/nginx.pid"; done
    stop_pid nginx "$NGX/nginx.pid"   # the old layout kept it with the config
    for d in "${dirs[@]}"; do
        for s in "${SERVICES[@]}"; do stop_pid "$s" "$d/$s.pid"; done
    done
    pg_stop
    # a postgres whose cluster is no longer where var/pg says (var/ deleted
    # while it ran): its socket lock file names it
    for d in "${dirs[@]}"; do stop_postmaster_of "$d/pg"; done
    for d in "${dirs[@]}"; do remove_run_dir "$d"; done
    if [ -L "$VAR/run" ]; then rm -f -- "$VAR/run"; fi
    if [ -d "$VAR/run" ]; then rm -rf -- "${VAR:?}/run"; fi   # the old layout's folder, in the checkout
    say "stopped"
}

# Stops the stack and deletes its data: the cluster (wherever it is), keys,
# logs, nginx config, SMS outbox. Run it before deleting a checkout whose
# cluster lives under /var/lib/stvs.
purge() {
    stop >/dev/null
    local ext=""
    if [ -L "$VAR/pg" ]; then ext=$(dirname "$(readlink -- "$VAR/pg")"); elif [ -e "$EXT" ]; then ext=$EXT; fi
    if [ -n "$ext" ]; then
        if [ "$ext" = "$EXT" ] || [ "$(cat "$ext/instance" 2>/dev/null)" = "$VAR" ]; then
            rm -rf -- "$ext"
            rmdir -- "$EXT_HOME" 2>/dev/null || true
        else
            say "leaving $ext: its instance file does not name $VAR"
        fi
    fi
    rm -rf -- "$VAR/pg" "$KEYS" "$LOG" "$NGX" "$VAR/sms-outbox.jsonl"
    say "purged $VAR${ext:+ and $ext}"
}

# NAME=value lines (shell-quoted) for scripts that reach this stack.
paths() {
    local n v
    for n in STVS_VAR:VAR STVS_RUN_DIR:RUN STVS_PGHOST:PGSOCK STVS_PG_PORT:PG_PORT STVS_PGDATA:PGDATA \
             STVS_PG_LOG:PGLOG STVS_LOG_DIR:LOG STVS_NGINX_PID:NGX_PID; do
        v=${n#*:}
        printf '%s=%q\n' "${n%%:*}" "${!v}"
    done
    local hp=() s
    for s in "${SERVICES[@]}"; do hp+=("$(health_path "$s")"); done
    printf 'STVS_HEALTH_PATHS=%q\n' "${hp[*]}"
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
    migrate) start_pg; migrate ;; # not `start_pg && migrate`: set -e is off left of &&
    admin) admin "${2:-}" "${3:-}" ;;
    paths) paths ;;
    pg-start) mkdir -p "$LOG/postgres"; make_run_dir; pg_start ;;
    pg-stop) pg_stop ;;
    purge) purge ;;
    *) die "usage: $0 run|stop|migrate|admin PHONE REGION|paths|pg-start|pg-stop|purge" ;;
esac
