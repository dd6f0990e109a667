#!/usr/bin/env bash
# Starts or stops the whole stack: a PostgreSQL cluster, the FastCGI
# services, and nginx on 127.0.0.1:$HTTP_PORT. `make run` and `make test` both
# use it, with different STVS_VAR, ports and MODE, so the test stack never
# touches the one `make run` started.
#   scripts/stack.sh run | stop | migrate | admin PHONE REGION
#   scripts/stack.sh paths              where this stack's files are (NAME=value lines)
#   scripts/stack.sh pg-start | pg-stop PostgreSQL alone (the API tests restart it)
#   scripts/stack.sh purge              stop, then delete the cluster, keys and logs
#   scripts/stack.sh status             every process, nginx, PostgreSQL and the standby's lag
#   scripts/stack.sh replica-start | replica-stop   the standby alone (tests/scale stops it)
#   scripts/stack.sh upstreams          the nginx upstreams this environment gets, on
#                                       stdout; nothing started (docker/check.sh reads them)
#
# Scale-out (docs/SCALING.md): STVS_PROCS=N (or STVS_PROCS_<SVC>=N, e.g.
# STVS_PROCS_ACTIVITY=3) processes per service, each with its own socket, pid
# file, log and health check, restarted by a supervisor when they die;
# STVS_REPLICA=1 adds a hot standby (pg_basebackup -R, a replication slot) and
# read-only pools of volunteer/org/activity that connect standby-first, which
# nginx gives the anonymous GETs of public lists and details.
#
# Where things are (docs/ARCHITECTURE.md draws the map). One stack instance
# per STVS_VAR (default var/); ID = the first 12 hex digits of the SHA-256 of
# STVS_VAR's absolute path, so checkouts and test stacks never share a path.
#   $STVS_VAR/            keys/, log/, nginx/ (config), sms-outbox.jsonl
#   runtime dir           <slot>.sock, <slot>.pid (the service), <slot>.sup (its
#                         supervisor), <slot>.restarts; a slot is <svc> when the
#                         service runs one process, else <svc>.1 .. <svc>.N, and
#                         <svc>-ro[.i] for a read pool. pg/ (PostgreSQL's socket
#                         directory), pg-replica/ (the standby's), nginx/
#                         (nginx's pid and temp files).
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
# The standby (STVS_REPLICA=1): its cluster next to the primary's, its socket
# directory in the runtime dir, its port (the socket file's name) the
# primary's + 1 unless STVS_REPLICA_PORT says otherwise.
REPLICA=${STVS_REPLICA:-}
case $REPLICA in "" | 0) REPLICA="" ;; 1) ;; *) die "STVS_REPLICA: 1 or nothing, not '$REPLICA'" ;; esac
R_PORT=${STVS_REPLICA_PORT:-$((PG_PORT + 1))}
R_SOCK=$RUN/pg-replica R_LOG=$LOG/postgres/replica.log R_SLOT=stvs_replica
r_data() { echo "$(dirname "$PGDATA")/pg-replica"; }
# The services whose public reads (anonymous GETs) a read pool may serve.
READ_SERVICES=(volunteer org activity)
# The internal server (127.0.0.1 only): /metrics/<svc>/<i> and /health/<svc>/<i>.
METRICS_PORT=${STVS_METRICS_PORT:-$((HTTP_PORT + 100))}
for _p in "$HTTP_PORT" "$METRICS_PORT" "$PG_PORT" "$R_PORT"; do
    [[ $_p =~ ^[0-9]{1,5}$ ]] || die "ports must be numbers: '$_p'"
done

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

# ------------------------------------------------------------- the standby
psql_replica() { psql -X -q -v ON_ERROR_STOP=1 -h "$R_SOCK" -p "$R_PORT" -U stvs "$@"; }
replica_running() {
    local d
    d=$(r_data)
    [ -n "$PGBIN" ] && [ -s "$d/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$d" status >/dev/null 2>&1
}
slot_exists() {
    [ -n "$(psql_admin -d postgres -At -c "SELECT 1 FROM pg_replication_slots WHERE slot_name = '$R_SLOT'")" ]
}
# A hot standby streaming from the primary through its own slot: made by
# pg_basebackup -R the first time (or when its slot is gone: the WAL it needs
# may be too), then started with the primary's socket given afresh (the
# runtime dir may have moved since pg_basebackup wrote it down).
replica_start() {
    local d
    d=$(r_data)
    if [ ! -s "$d/PG_VERSION" ] || ! slot_exists; then
        replica_stop
        rm -rf -- "$d"
        if slot_exists; then psql_admin -d postgres -c "SELECT pg_drop_replication_slot('$R_SLOT')" >/dev/null; fi
        say "making the standby in $d (pg_basebackup, slot $R_SLOT)"
        pg_owned_dir "$d"
        if ! as_pg "$PGBIN/pg_basebackup" -h "$PGSOCK" -p "$PG_PORT" -U stvs -D "$d" -R -X stream \
                --checkpoint=fast -C -S "$R_SLOT" >>"$R_LOG" 2>&1; then
            tail -n 20 "$R_LOG" >&2
            die "pg_basebackup failed (log: $R_LOG)"
        fi
    fi
    pg_owned_dir "$R_SOCK"
    if replica_running; then return 0; fi
    say "starting the standby"
    if ! as_pg "$PGBIN/pg_ctl" -D "$d" -w -t 60 start -o "-k '$R_SOCK' -p $R_PORT -c hot_standby=on \
            -c hot_standby_feedback=on -c primary_slot_name=$R_SLOT \
            -c primary_conninfo='host=$PGSOCK port=$PG_PORT user=stvs application_name=$R_SLOT'" >>"$R_LOG" 2>&1; then
        tail -n 20 "$R_LOG" >&2
        die "the standby did not start (log: $R_LOG)"
    fi
    for _ in $(seq 1 100); do
        if [ "$(psql_replica -d stvs -At -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = t ]; then return 0; fi
        sleep 0.1
    done
    die "the standby does not answer as a standby (log: $R_LOG)"
}
replica_stop() {
    if replica_running; then as_pg "$PGBIN/pg_ctl" -D "$(r_data)" -m fast -w stop >/dev/null; fi
}
# Without STVS_REPLICA: no standby, and no slot holding the primary's WAL for one.
replica_drop() {
    replica_stop
    if slot_exists; then
        say "no STVS_REPLICA: dropping the standby's slot and its copy in $(r_data) (STVS_REPLICA=1 makes a new one)"
        psql_admin -d postgres -c "SELECT pg_drop_replication_slot('$R_SLOT')" >/dev/null
        rm -rf -- "$(r_data)"
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

# How many processes a service runs: STVS_PROCS_<SVC>, else STVS_PROCS, else 1.
procs_of() { # svc
    local v="STVS_PROCS_${1^^}" n
    n=${!v:-${STVS_PROCS:-1}}
    [[ $n =~ ^[1-9][0-9]?$ ]] || die "$v (or STVS_PROCS) must be a number from 1 to 99, not '$n'"
    echo "$n"
}
# The processes this environment asks for, one "pool svc index slot" line
# each: pool is the upstream's name (<svc>, or <svc>-ro for a read pool), slot
# the files' stem (<pool> alone when the pool has one process: the layout of a
# single-process stack is the one it always was).
plan() {
    local s n i v
    for s in "${SERVICES[@]}"; do
        n=$(procs_of "$s")
        for ((i = 1; i <= n; i++)); do
            if [ "$n" = 1 ]; then echo "$s $s $i $s"; else echo "$s $s $i $s.$i"; fi
        done
    done
    [ -n "$REPLICA" ] || return 0
    for s in "${READ_SERVICES[@]}"; do
        v="STVS_READ_PROCS_${s^^}"
        n=${!v:-${STVS_READ_PROCS:-$(procs_of "$s")}}
        [[ $n =~ ^[1-9][0-9]?$ ]] || die "$v (or STVS_READ_PROCS) must be a number from 1 to 99, not '$n'"
        for ((i = 1; i <= n; i++)); do
            if [ "$n" = 1 ]; then echo "$s-ro $s $i $s-ro"; else echo "$s-ro $s $i $s-ro.$i"; fi
        done
    done
}

# conninfo of a pool: the primary, or (a read pool) the standby first, the
# primary when the standby is down (libpq's prefer-standby; it does not fail
# back by itself: common/db.c tries the standby again every
# STVS_DB_FAILBACK_SECONDS, docs/SCALING.md).
conninfo_of() { # pool svc
    local db="host=$PGSOCK port=$PG_PORT dbname=stvs user=stvs_$2"
    # stats' STVS_DB stays the primary (its writes); it reads through
    # STVS_STATS_DB, inherited from this environment when set (docs/stats.md)
    if [ "$1" != "$2" ]; then
        db="host=$R_SOCK,$PGSOCK port=$R_PORT,$PG_PORT dbname=stvs user=stvs_$2 target_session_attrs=prefer-standby"
    fi
    echo "$db"
}

# The supervisor of one process (a background bash loop): starts it, and when
# it dies restarts it after 0.5 s, doubling to 30 s, back to 0.5 s once it has
# run 60 s. A process that exits 0 (a SIGTERM: stopped on purpose, by `make
# stop` or by hand) is not restarted, nor one whose pid file now names another
# process (someone started their own in its place). SIGTERM to the supervisor
# passes it on to the process, waits for it and ends the loop.
supervise() { # slot log command...
    set +e
    local slot=$1 log=$2 child="" stopping="" rc started backoff=500 restarts=0 gone
    shift 2
    note() { echo "{\"ts\":\"$(date -u +%FT%TZ)\",\"svc\":\"supervisor\",\"slot\":\"$slot\",\"msg\":\"$*\"}"; }
    trap 'stopping=1; if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null; fi' TERM INT
    echo 0 >"$RUN/$slot.restarts"
    while :; do
        "$@" >>"$log" 2>&1 </dev/null &
        child=$!
        echo "$child" >"$RUN/$slot.pid"
        started=$SECONDS
        wait "$child"
        rc=$?
        while kill -0 "$child" 2>/dev/null; do wait "$child"; rc=$?; done   # a trapped TERM ended the wait early
        gone=$child child=""
        if [ -n "$stopping" ]; then break; fi
        if [ "$rc" = 0 ]; then note "pid $gone exited 0 (stopped on purpose): not restarting"; break; fi
        if ((SECONDS - started >= 60)); then backoff=500; fi
        note "pid $gone died (status $rc): restarting in $((backoff / 1000)).$(printf %03d $((backoff % 1000))) s"
        sleep "$((backoff / 1000)).$(printf %03d $((backoff % 1000)))" &
        wait $!
        if [ -n "$stopping" ]; then break; fi
        if [ "$(cat "$RUN/$slot.pid" 2>/dev/null)" != "$gone" ]; then
            note "the pid file names another process now: leaving the slot to it"
            break
        fi
        restarts=$((restarts + 1))
        echo "$restarts" >"$RUN/$slot.restarts"
        backoff=$((backoff * 2 > 30000 ? 30000 : backoff * 2))
    done
    rm -f "$RUN/$slot.sup"
}

start_services() {
    stop_services "$RUN"
    local pool s i slot extra
    while read -r pool s i slot; do
        extra=()
        if [ "$s" = auth ]; then
            extra=(STVS_JWT_PRIVATE_KEY_FILE="$KEYS/jwt-es256.key" SMS_OUTBOX="${SMS_OUTBOX:-$VAR/sms-outbox.jsonl}")
        fi
        # with a standby, stats reads standby-first (its writes stay on STVS_DB),
        # unless STVS_STATS_DB was given (then it is inherited as it is)
        if [ "$s" = stats ] && [ -n "$REPLICA" ] && [ -z "${STVS_STATS_DB:-}" ]; then
            extra=(STVS_STATS_DB="$(conninfo_of stats-ro stats)")
        fi
        # shellcheck disable=SC2086 # STVS_WRAPPER is words (valgrind and its options)
        supervise "$slot" "$LOG/$slot.log" env STVS_DB="$(conninfo_of "$pool" "$s")" \
            STVS_LISTEN="$RUN/$slot.sock" \
            STVS_THREADS="${STVS_THREADS:-256}" STVS_DB_CONNECTIONS="${STVS_DB_CONNECTIONS:-4}" \
            STVS_JWT_PUBLIC_KEY_FILE="$KEYS/jwt-es256.pub" \
            STVS_DATA_KEY_FILE="$KEYS/data.key" \
            "${extra[@]}" \
            ${STVS_WRAPPER:-} "$ROOT/build/$MODE/bin/stvs-$s" </dev/null >>"$LOG/supervisor.log" 2>&1 &
        echo $! >"$RUN/$slot.sup"
    done < <(plan)
    # each supervisor writes its process's pid file: wait for them all
    local n
    for n in $(seq 1 100); do
        local missing=""
        while read -r pool s i slot; do [ -s "$RUN/$slot.pid" ] || missing=1; done < <(plan)
        [ -z "$missing" ] && break
        sleep 0.05
    done
}

# Sends SIGTERM to every pid named by the files, waits up to 10 s for them all,
# then SIGKILLs what is left; removes the files.
stop_pids() { # pidfile...
    local f pid pids=() left
    for f in "$@"; do
        [ -s "$f" ] || { rm -f "$f"; continue; }
        pid=$(cat "$f")
        if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid")
        fi
    done
    for _ in $(seq 1 100); do
        left=()
        for pid in "${pids[@]}"; do if kill -0 "$pid" 2>/dev/null; then left+=("$pid"); fi; done
        [ ${#left[@]} = 0 ] && break
        sleep 0.1
    done
    for pid in "${left[@]}"; do
        say "pid $pid did not stop in 10 s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    done
    rm -f "$@"
}
# Every service process of a runtime dir, whatever layout started it: the
# supervisors first (each passes the SIGTERM on and waits for its process),
# then any process left without one.
stop_services() { # run dir
    shopt -s nullglob
    local sups=("$1"/*.sup) pids=("$1"/*.pid)
    shopt -u nullglob
    if [ ${#sups[@]} -gt 0 ]; then stop_pids "${sups[@]}"; fi
    if [ ${#pids[@]} -gt 0 ]; then stop_pids "${pids[@]}"; fi
    rm -f "$1"/*.restarts
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

# The upstreams nginx/nginx.conf.in includes: one per pool, from plan(), and
# the maps that pick a service's pool per request ($stvs_<svc>). Only GET and
# HEAD without an Authorization header, of the public lists and details, go to
# a read pool (an async standby misses reads made right after a commit:
# whoever holds a token reads the primary); the primary's processes are the
# read pool's backups. The retry rules and each server's max_fails and
# fail_timeout are nginx/upstream-policy.conf's, the one policy of every
# nginx config (docs/SCALING.md, "Upstream policy").
server_params() { sed -nE 's/^# @server (.+)$/\1/p' "$ROOT/nginx/upstream-policy.conf"; }
upstream_params() { sed -nE 's/^# @upstream (.+)$/\1/p' "$ROOT/nginx/upstream-policy.conf"; }
# shellcheck disable=SC2016 # the $ are nginx's variables
write_upstreams() { # file
    local pool s i slot params keep
    params=$(server_params)
    [ -n "$params" ] || die "nginx/upstream-policy.conf has no '# @server max_fails=N fail_timeout=Ns' line"
    keep=$(upstream_params)
    [ -n "$keep" ] || die "nginx/upstream-policy.conf has no '# @upstream keepalive N' line"
    declare -A members=() ro=()
    while read -r pool s i slot; do
        members[$pool]+="        server unix:$RUN/$slot.sock $params;"$'\n'
        if [ "$pool" != "$s" ]; then ro[$s]=1; fi
    done < <(plan)
    {
        echo "# Made by scripts/stack.sh from its process plan: do not edit."
        echo "include $NGX/upstream-policy.conf;"
        for s in "${SERVICES[@]}"; do
            printf 'upstream stvs_%s {\n%s        %s;\n}\n' "$s" "${members[$s]}" "$keep"
            if [ -n "${ro[$s]:-}" ]; then
                printf 'upstream stvs_%s_ro {\n%s%s        %s;\n}\n' "$s" "${members[$s-ro]}" \
                    "${members[$s]// $params;/ backup;}" "$keep"
            fi
        done
        echo 'map $http_authorization $stvs_anonymous { "" 1; default 0; }'
        echo 'map "$stvs_anonymous $request_method $uri" $stvs_public_read {'
        echo '    "~^1 (GET|HEAD) /api/v1/meta/(codes|regions)$"              volunteer;'
        echo '    "~^1 (GET|HEAD) /api/v1/orgs(/[0-9]+(/children)?)?$"        org;'
        echo '    "~^1 (GET|HEAD) /api/v1/activities(/[0-9]+(/report)?)?$"    activity;'
        echo '    default "";'
        echo '}'
        for s in "${SERVICES[@]}"; do
            if [ -n "${ro[$s]:-}" ]; then
                printf 'map $stvs_public_read $stvs_%s { %s stvs_%s_ro; default stvs_%s; }\n' "$s" "$s" "$s" "$s"
            else
                printf 'map $stvs_public_read $stvs_%s { default stvs_%s; }\n' "$s" "$s"
            fi
        done
    } >"$1"
}

# The internal server: 127.0.0.1:$METRICS_PORT, never the public one.
# /metrics/<svc>/<i> is that process's own /metrics (Prometheus text format),
# /health/<svc>/<i> its health check (<svc>-ro for a read pool); / lists them.
write_internal() { # file
    local pool s i slot list=""
    {
        echo "# Made by scripts/stack.sh from its process plan: do not edit."
        echo "server {"
        echo "    listen 127.0.0.1:$METRICS_PORT;"
        echo "    server_name _;"
        echo "    access_log off;"
        echo "    default_type text/plain;"
        while read -r pool s i slot; do
            echo "    location = /metrics/$pool/$i { rewrite ^ /metrics break; fastcgi_pass unix:$RUN/$slot.sock; include $NGX/fastcgi.conf; fastcgi_next_upstream off; }"
            echo "    location = /health/$pool/$i { rewrite ^ /api/v1/$(health_path "$s")/health break; fastcgi_pass unix:$RUN/$slot.sock; include $NGX/fastcgi.conf; fastcgi_next_upstream off; }"
            list+="/metrics/$pool/$i"$'\n'
        done < <(plan)
        echo "    location = / { return 200 \"$list\"; }"
        echo "    location / { return 404; }"
        echo "}"
    } >"$1"
}

# nginx's configuration is in $VAR/nginx (read by the master, root); its pid
# and temp files, which the workers write, are in the runtime dir.
start_nginx() {
    mkdir -p "$NGX"
    local user_line=""
    # as root, workers run as nobody in root's group: enough for the 0660 sockets
    if [ -n "$IS_ROOT" ]; then user_line="user nobody $(id -gn);"; fi
    cp "$ROOT/nginx/fastcgi.conf" "$NGX/fastcgi.conf"
    cp "$ROOT/nginx/upstream-policy.conf" "$NGX/upstream-policy.conf"
    sync_web
    write_upstreams "$NGX/upstreams.conf"
    write_internal "$NGX/internal.conf"
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

# Each process answers its own health check (through the internal server);
# then each service answers through the public server.
wait_healthy() {
    local pool s i slot url ok
    while read -r pool s i slot; do
        url="http://127.0.0.1:$METRICS_PORT/health/$pool/$i" ok=""
        for _ in $(seq 1 300); do
            if [ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" = 200 ]; then ok=1; break; fi
            kill -0 "$(cat "$RUN/$slot.pid" 2>/dev/null)" 2>/dev/null || [ -s "$RUN/$slot.sup" ] || break
            sleep 0.2
        done
        if [ -z "$ok" ]; then
            tail -n 20 "$LOG/$slot.log" "$LOG/nginx-error.log" >&2 2>/dev/null || true
            die "$slot is not healthy at $url"
        fi
    done < <(plan)
    for s in "${SERVICES[@]}"; do
        url="http://127.0.0.1:$HTTP_PORT/api/v1/$(health_path "$s")/health"
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" = 200 ] || die "$s is not healthy at $url"
    done
}

run() {
    # a stack started from another runtime dir (another environment) first
    local d
    while read -r d; do
        if [ "$d" != "$RUN" ]; then stop; break; fi
    done < <(run_dirs)
    make_keys
    plan >/dev/null   # a bad STVS_PROCS dies here, before anything starts
    start_pg
    migrate
    if [ -n "$REPLICA" ]; then replica_start; else replica_drop; fi
    make -s -C "$ROOT" MODE="$MODE" build
    start_services
    start_nginx
    wait_healthy
    say "up: http://127.0.0.1:$HTTP_PORT/api/v1 (logs in $LOG, sockets in $RUN, cluster in $PGDATA$([ -n "$REPLICA" ] && echo ", standby in $(r_data)"); metrics on 127.0.0.1:$METRICS_PORT)"
}

stop() {
    local dirs d s
    mapfile -t dirs < <(run_dirs)
    for d in "${dirs[@]}"; do stop_pid nginx "$d/nginx/nginx.pid"; done
    stop_pid nginx "$NGX/nginx.pid"   # the old layout kept it with the config
    for d in "${dirs[@]}"; do stop_services "$d"; done
    replica_stop
    pg_stop
    # a postgres whose cluster is no longer where var/pg says (var/ deleted
    # while it ran): its socket lock file names it
    for d in "${dirs[@]}"; do stop_postmaster_of "$d/pg"; stop_postmaster_of "$d/pg-replica"; done
    for d in "${dirs[@]}"; do remove_run_dir "$d"; done
    if [ -L "$VAR/run" ]; then rm -f -- "$VAR/run"; fi
    if [ -d "$VAR/run" ]; then rm -rf -- "${VAR:?}/run"; fi   # the old layout's folder, in the checkout
    say "stopped"
}

# Every process of the stack, whatever environment started it (read from the
# runtime dir's files, not from this environment's STVS_PROCS), nginx, the
# primary, the standby and how far behind it is.
status() {
    local d=$RUN f slot pid alive sup svc pool idx restarts
    if [ -L "$VAR/run" ]; then d=$(readlink -- "$VAR/run"); fi
    echo "stack $VAR (runtime dir $d)"
    printf '%-20s %-10s %-5s %4s %8s %-5s %8s %10s  %s\n' SLOT SERVICE POOL IDX PID ALIVE RESTARTS SUPERVISOR SOCKET
    shopt -s nullglob
    for f in "$d"/*.pid; do
        slot=$(basename "$f" .pid)
        pid=$(cat "$f" 2>/dev/null)
        alive=no
        if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]; then alive=yes; fi
        sup=-
        if [ -s "$d/$slot.sup" ] && kill -0 "$(cat "$d/$slot.sup")" 2>/dev/null; then sup=$(cat "$d/$slot.sup"); fi
        restarts=$(cat "$d/$slot.restarts" 2>/dev/null || echo -)
        svc=${slot%%.*} idx=1
        if [ "$svc" != "$slot" ]; then idx=${slot#*.}; fi
        pool=rw
        if [ "${svc%-ro}" != "$svc" ]; then pool=ro svc=${svc%-ro}; fi
        printf '%-20s %-10s %-5s %4s %8s %-5s %8s %10s  %s\n' "$slot" "$svc" "$pool" "$idx" "$pid" "$alive" \
            "$restarts" "$sup" "$d/$slot.sock$([ -S "$d/$slot.sock" ] || echo ' (missing)')"
    done
    shopt -u nullglob
    pid=$(cat "$d/nginx/nginx.pid" 2>/dev/null || true)
    alive=no
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then alive=yes; fi
    echo "nginx      pid ${pid:--} alive $alive: http://127.0.0.1:$HTTP_PORT (internal: http://127.0.0.1:$METRICS_PORT)"
    pid=$(head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null || true)
    alive=no
    if pg_running; then alive=yes; fi
    echo "primary    pid ${pid:--} alive $alive: $PGDATA, socket $d/pg/.s.PGSQL.$PG_PORT"
    pid=$(head -n 1 "$(r_data)/postmaster.pid" 2>/dev/null || true)
    alive=no
    if replica_running; then alive=yes; fi
    if [ ! -e "$(r_data)" ]; then echo "replica    none (STVS_REPLICA=1 makes one)"; return 0; fi
    echo "replica    pid ${pid:--} alive $alive: $(r_data), socket $d/pg-replica/.s.PGSQL.$R_PORT"
    if [ "$alive" = yes ]; then
        psql -X -q -At -F ' ' -h "$d/pg-replica" -p "$R_PORT" -U stvs -d postgres -c "SELECT
            'replica    replayed up to ' || coalesce(pg_last_wal_replay_lsn()::text, '-') ||
            ', last replayed commit ' || coalesce(round(extract(epoch FROM now() - pg_last_xact_replay_timestamp())::numeric, 3)::text || ' s ago', 'none yet') ||
            ' (grows while the primary commits nothing)'" 2>/dev/null || echo "replica    does not answer"
    fi
    if pg_running; then
        psql -X -q -At -F ' ' -h "$d/pg" -p "$PG_PORT" -U stvs -d postgres -c "SELECT
            'replication ' || application_name || ' ' || state || ' (' || sync_state || '): ' ||
            pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) || ' bytes behind, replay lag ' ||
            coalesce(round(extract(epoch FROM replay_lag)::numeric * 1000, 1)::text || ' ms', '0 ms (idle)')
            FROM pg_stat_replication" 2>/dev/null | grep . || echo "replication none streaming (pg_stat_replication is empty)"
    fi
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
    rm -rf -- "$VAR/pg" "$VAR/pg-replica" "$KEYS" "$NGX" "$VAR/sms-outbox.jsonl" # logs stay (README)
    say "purged $VAR${ext:+ and $ext}"
}

# NAME=value lines (shell-quoted) for scripts that reach this stack.
paths() {
    local n v
    for n in STVS_VAR:VAR STVS_RUN_DIR:RUN STVS_PGHOST:PGSOCK STVS_PG_PORT:PG_PORT STVS_PGDATA:PGDATA \
             STVS_PG_LOG:PGLOG STVS_LOG_DIR:LOG STVS_NGINX_PID:NGX_PID STVS_REPLICA_PGHOST:R_SOCK \
             STVS_REPLICA_PORT:R_PORT STVS_METRICS_PORT:METRICS_PORT; do
        v=${n#*:}
        printf '%s=%q\n' "${n%%:*}" "${!v}"
    done
    local hp=() s
    for s in "${SERVICES[@]}"; do hp+=("$(health_path "$s")"); done
    printf 'STVS_HEALTH_PATHS=%q\n' "${hp[*]}"
    printf 'STVS_REPLICA_PGDATA=%q\n' "$(r_data)"
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
    status) status ;;
    replica-start) pg_start; replica_start ;;
    replica-stop) replica_stop ;;
    upstreams) NGX='$NGX' write_upstreams /dev/stdout ;; # the include's path as a placeholder
    *) die "usage: $0 run|stop|status|migrate|admin PHONE REGION|paths|pg-start|pg-stop|replica-start|replica-stop|upstreams|purge" ;;
esac
