#!/usr/bin/env bash
# Static and local checks of deploy/ (no systemd as PID 1, no cluster here):
#   1. systemd: every unit of deploy/systemd passes `systemd-analyze verify`
#      in a temp root (the distribution's units copied in, each ExecStart a
#      stub executable), with no warning at all; a unit broken on purpose
#      (an unknown key, a missing ExecStart binary) must fail it; every
#      service template has the same restart, stop and hardening settings;
#      sysusers.d makes the stvs user (systemd-sysusers --root);
#   2. nginx for systemd hosts (deploy/systemd/nginx-stvs.conf): nginx -t,
#      the same front door as nginx/nginx.conf.in (docker/nginx-shape.sh), an
#      upstream per template, STVS's one upstream policy
#      (docker/nginx-policy.sh: nginx/upstream-policy.conf included, no retry
#      rule of its own, the policy's max_fails/fail_timeout on every server,
#      its keepalive in every upstream; a copy with another max_fails or an
#      upstream without the keepalive must fail it), and, with nginx really
#      running on a free loopback port and no service behind it, where each
#      request goes: anonymous GETs to the read pools and then to their
#      backups, token holders and POSTs to the primary ones, at most 4 tries
#      (the policy's), metrics paths to one process's socket;
#   3. Kubernetes: deploy/k8s/validate.mjs (schemas and field names of
#      kubernetes-models, the CloudNativePG Cluster's schema, then STVS's
#      rules), the nginx ConfigMap
#      through nginx -t, the shape check and the upstream policy, and two broken copies (a string
#      where an integer belongs, a CNPG parameter that is not a string) that
#      must fail (and five more: a misspelt Cluster field, a probe period
#      as a word, a misspelt container field, a ConfigMap policy copy that
#      differs from nginx/upstream-policy.conf, retry rules of its own).
# Prints "deploy check: ok" at the end, or names each problem and exits 1.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
D=$ROOT/deploy
TMP=$(mktemp -d)
NGX_PID=""
cleanup() {
    if [ -n "$NGX_PID" ]; then kill "$NGX_PID" 2>/dev/null || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT
failed=0
bad() { echo "deploy check: FAIL: $*" >&2; failed=1; }
say() { echo "deploy check: $*"; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
# the port of the routing test: the stack's HTTP_PORT + 11 (tests/run.sh sets it)
PORT=${DEPLOY_CHECK_PORT:-$((${HTTP_PORT:-8080} + 11))}

read -ra services <<<"$(sed -nE 's/^SERVICES[[:space:]]*:?=[[:space:]]*//p' "$ROOT/Makefile")"
[ ${#services[@]} -gt 0 ] || bad "no SERVICES := line in the Makefile"

# ------------------------------------------------------------------ systemd
S=$D/systemd
if ! command -v systemd-analyze >/dev/null; then
    bad "systemd-analyze is not installed (Debian's systemd): cannot verify deploy/systemd"
else
    R=$TMP/root
    mkdir -p "$R/etc/systemd/system" "$R/usr/lib/systemd" "$R/usr/local/bin"
    # the distribution's units (multi-user.target, sysinit.target, ...), which
    # verify loads as dependencies; then ours
    cp -r /usr/lib/systemd/system "$R/usr/lib/systemd/"
    cp "$S"/*.service "$S"/*.target "$R/etc/systemd/system/"
    stub() { printf '#!/bin/sh\nexit 0\n' >"$R$1"; chmod 755 "$R$1"; }
    verify() { # unit...: verify prints nothing and exits 0 on a clean unit
        local out
        out=$(cd "$R" && systemd-analyze verify --man=no --root="$R" "$@" 2>&1) && [ -z "$out" ] && return 0
        printf '%s\n' "$out" >&2
        return 1
    }
    units=()
    for f in "$S"/stvs-*@.service; do
        u=$(basename "$f")
        exe=$(sed -nE 's/^ExecStart=([^ ]+).*/\1/p' "$f")
        [ -n "$exe" ] || { bad "$u has no ExecStart="; continue; }
        stub "$exe"
        units+=("${u/@./@0.}")
    done
    for s in "${services[@]}"; do
        [ -f "$S/stvs-$s@.service" ] || bad "deploy/systemd has no stvs-$s@.service for the Makefile's $s"
    done
    if verify "${units[@]}" stvs.target; then
        say "systemd-analyze verify: ${#units[@]} templates and stvs.target"
    else
        bad "systemd-analyze verify fails on deploy/systemd"
    fi
    # Negative cases: each must fail, or the check above proves nothing.
    n=$R/etc/systemd/system
    cp "$n/stvs-activity@.service" "$n/stvs-broken@.service"
    sed -i 's/^Restart=on-failure/Restrat=on-failure/' "$n/stvs-broken@.service"
    if verify stvs-broken@0.service 2>/dev/null; then bad "verify passes a unit with an unknown key (Restrat=)"; fi
    sed -i 's/^Restrat=/Restart=/; s#^ExecStart=.*#ExecStart=/usr/local/bin/stvs-nothing#' "$n/stvs-broken@.service"
    if verify stvs-broken@0.service 2>/dev/null; then bad "verify passes a unit whose ExecStart binary does not exist"; fi
    rm -f "$n/stvs-broken@.service"

    # The settings every template must share (deploy/README.md says why).
    for f in "$S"/stvs-*@.service; do
        u=$(basename "$f")
        name=${u#stvs-}; name=${name%@.service}
        for line in "Restart=on-failure" "KillSignal=SIGTERM" "TimeoutStopSec=35s" "NoNewPrivileges=yes" \
                "ProtectSystem=strict" "PrivateTmp=yes" "User=stvs" "RuntimeDirectory=stvs" \
                "RuntimeDirectoryPreserve=yes" "Environment=STVS_LISTEN=/run/stvs/$name.%i.sock" \
                "EnvironmentFile=/etc/stvs/$name.env" "PartOf=stvs.target" "WantedBy=stvs.target" \
                "MemoryMax=128M" "CapabilityBoundingSet="; do
            grep -qxF "$line" "$f" || bad "$u lacks '$line'"
        done
        grep -qE '^RestartSec=[0-9]+' "$f" || bad "$u lacks RestartSec="
        if ! grep -qE '^StartLimitIntervalSec=[0-9]+' "$f" || ! grep -qE '^StartLimitBurst=[0-9]+' "$f"; then
            bad "$u lacks StartLimitIntervalSec=/StartLimitBurst= (a crash loop must stop)"
        fi
        [ -f "$S/env/$name.env" ] || bad "$u reads /etc/stvs/$name.env: no example deploy/systemd/env/$name.env"
    done
    # The example files never set what the units set (EnvironmentFile= wins).
    if grep -nE '^(STVS_LISTEN|STVS_[A-Z_]*KEY_FILE|PGPASSFILE)=' "$S"/env/*.env; then
        bad "an example env file sets STVS_LISTEN, a key file or PGPASSFILE: the units set them"
    fi
    if command -v systemd-sysusers >/dev/null; then
        U=$TMP/sysusers
        mkdir -p "$U/etc"
        printf 'root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n' >"$U/etc/passwd"
        printf 'root:x:0:\nwww-data:x:33:\n' >"$U/etc/group"
        if systemd-sysusers --root="$U" "$S/stvs.sysusers.conf" >/dev/null 2>&1 &&
            grep -q '^stvs:' "$U/etc/passwd" && grep -qE '^stvs:x:[0-9]+:.*www-data' "$U/etc/group"; then
            say "systemd-sysusers: user stvs, www-data in group stvs"
        else
            bad "deploy/systemd/stvs.sysusers.conf does not make the user stvs with www-data in its group"
        fi
    fi
fi

# ------------------------------------------------- nginx for systemd hosts
N=$TMP/nginx
mkdir -p "$N/run" "$N/logs"
cp "$ROOT/nginx/fastcgi.conf" "$N/stvs-fastcgi.conf"
cp "$ROOT/nginx/upstream-policy.conf" "$N/stvs-upstream-policy.conf"
tries=$(sed -nE 's/^fastcgi_next_upstream_tries ([0-9]+);/\1/p' "$ROOT/nginx/upstream-policy.conf")
sed -e "s#/run/stvs/#$N/run/#g" -e "s#/etc/nginx/stvs-fastcgi.conf#$N/stvs-fastcgi.conf#g" \
    -e "s#/etc/nginx/stvs-upstream-policy.conf#$N/stvs-upstream-policy.conf#g" \
    -e "s#^    listen 8080;#    listen 127.0.0.1:$PORT;#" -e '/listen \[::\]:8080;/d' \
    -e "s#listen 127.0.0.1:8180;#listen 127.0.0.1:$((PORT + 1));#" "$S/nginx-stvs.conf" >"$N/stvs.conf"
# activity processes 2 to 4 (5 in all): the policy's tries must still be the bound
for i in 4 3 2; do
    sed -i -E "s#^([[:space:]]*)server unix:$N/run/activity\.1\.sock (.*)#&\n\1server unix:$N/run/activity.$i.sock \2#" "$N/stvs.conf"
done
grep -q "activity\.4\.sock" "$N/stvs.conf" || bad "could not add activity processes 2 to 4 to the test copy"
if [ "${tries:-0}" -lt 3 ] || [ "$tries" -gt 4 ]; then
    bad "the routing test below expects 3 or 4 tries (a read pool of 2 and a backup; 5 processes to bound), the policy says '$tries'"
    tries=4
fi
cat >"$N/nginx.conf" <<NGX
pid $N/nginx.pid;
error_log $N/logs/error.log info;
daemon off;
events { worker_connections 64; }
http {
    access_log $N/logs/access.log;
    client_body_temp_path $N/cb; fastcgi_temp_path $N/f; proxy_temp_path $N/p; uwsgi_temp_path $N/u; scgi_temp_path $N/s;
    include $N/stvs.conf;
}
NGX
if ! "$NGINX" -t -q -p "$N/" -c "$N/nginx.conf" 2>"$N/t.log"; then
    cat "$N/t.log" >&2
    bad "deploy/systemd/nginx-stvs.conf fails nginx -t"
else
    if ! diff <("$ROOT/docker/nginx-shape.sh" "$ROOT/nginx/nginx.conf.in") <("$ROOT/docker/nginx-shape.sh" "$S/nginx-stvs.conf") >"$N/drift"; then
        cat "$N/drift" >&2
        bad "deploy/systemd/nginx-stvs.conf has drifted from nginx/nginx.conf.in (< there, > here)"
    fi
    for f in "$S"/stvs-*@.service; do
        name=$(basename "$f" @.service); name=${name#stvs-}
        grep -qE "^[[:space:]]*server unix:/run/stvs/$name\.0\.sock max_fails=[0-9]+ fail_timeout=[0-9]+s;" "$S/nginx-stvs.conf" ||
            bad "nginx-stvs.conf: upstream stvs_${name//-/_} lacks 'server unix:/run/stvs/$name.0.sock max_fails=N fail_timeout=Ns;'"
    done
    "$ROOT/docker/nginx-policy.sh" "$S/nginx-stvs.conf" || bad "deploy/systemd/nginx-stvs.conf does not keep the upstream policy (above)"
    sed 's/max_fails=3 fail_timeout=5s;/max_fails=2 fail_timeout=5s;/' "$S/nginx-stvs.conf" >"$N/broken.conf"
    if "$ROOT/docker/nginx-policy.sh" "$N/broken.conf" 2>/dev/null; then bad "the policy check passes a copy with max_fails=2"; fi
    sed '0,/^    keepalive 16;$/{/^    keepalive 16;$/d}' "$S/nginx-stvs.conf" >"$N/broken.conf"
    if "$ROOT/docker/nginx-policy.sh" "$N/broken.conf" 2>/dev/null; then bad "the policy check passes a copy with an upstream lacking keepalive"; fi
    # Routing, seen from nginx's error log: no process listens, so every try
    # is a "connect() ... failed" naming the socket it went to.
    "$NGINX" -p "$N/" -c "$N/nginx.conf" 2>>"$N/logs/stderr" &
    NGX_PID=$!
    for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done
    route() { # "pool pool ..." method path [curl args...]: the pools of the tries, in order
        local want=$1 method=$2 p=$3 before got status
        shift 3
        before=$(wc -l <"$N/logs/error.log")
        status=$(curl -s -o /dev/null -w '%{http_code}' -X "$method" "$@" "http://127.0.0.1:$PORT$p")
        sleep 0.1
        got=$(tail -n +"$((before + 1))" "$N/logs/error.log" | grep -oE 'connect\(\) to unix:[^ ]+ failed' |
            sed -E 's#.*/run/([a-z-]+)\.[0-9]+\.sock.*#\1#' | tr '\n' ' ' || true)
        if [ "$status" != 503 ]; then bad "$method $p: $status, not 503 problem+json with no process up"; fi
        if [ "${got% }" != "$want" ]; then bad "$method $p $*: tried [${got% }], expected [$want]"; fi
    }
    n() { # pool count: the pool's name count times
        local i out=""
        for ((i = 0; i < $2; i++)); do out+="$1 "; done
        echo "${out% }"
    }
    # a read pool of 2: both, then the primary's processes (its backups) up to the bound
    route "$(n activity-read 2) $(n activity $((tries - 2)))" GET /api/v1/activities
    route "$(n activity-read 2) $(n activity $((tries - 2)))" GET /api/v1/activities/7
    # 5 activity processes: the bound stops at $tries, for a GET and for a POST nothing reached
    route "$(n activity "$tries")" GET /api/v1/activities -H 'Authorization: Bearer x.y.z'
    route "$(n activity "$tries")" POST /api/v1/activities/7/signups -H 'Authorization: Bearer x.y.z' --data '{}'
    route "$(n org-read 2) $(n org $((tries - 2)))" GET /api/v1/orgs
    route "$(n volunteer-read 2) $(n volunteer $((tries - 2)))" GET /api/v1/meta/regions
    route "$(n volunteer 2)" GET /api/v1/volunteers/me -H 'Authorization: Bearer x.y.z'
    route "$(n auth 2)" POST /api/v1/auth/sms-codes --data '{}'
    route "$(n stats 2)" GET /api/v1/stats/public
    # the public server never passes a metrics path to a process
    for p in /metrics /metrics/activity/0; do
        before=$(wc -l <"$N/logs/error.log")
        status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT$p")
        sleep 0.1
        if [ "$status" != 404 ] || tail -n +"$((before + 1))" "$N/logs/error.log" | grep -q 'connect()'; then
            bad "public GET $p: $status, or passed to a process: it must be a 404 of nginx's own"
        fi
    done
    # metrics: exactly the process named, once
    before=$(wc -l <"$N/logs/error.log")
    curl -s -o /dev/null "http://127.0.0.1:$((PORT + 1))/metrics/activity/1"
    sleep 0.1
    tail -n +"$((before + 1))" "$N/logs/error.log" | grep -qE "connect\(\) to unix:$N/run/activity\.1\.sock failed" ||
        bad "metrics: /metrics/activity/1 does not go to activity.1.sock"
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$((PORT + 1))/metrics/nosuch/1")" = 404 ] ||
        bad "metrics: an unknown service is not a 404"
    kill "$NGX_PID" 2>/dev/null || true
    wait "$NGX_PID" 2>/dev/null || true
    NGX_PID=""
    [ "$failed" = 0 ] && say "nginx-stvs.conf: nginx -t, shape, upstream policy, routing of 9 requests ($tries tries at most), metrics internal only"
fi

# --------------------------------------------------------------- Kubernetes
K=$D/k8s
if ! command -v node >/dev/null; then
    bad "node is not installed: cannot validate deploy/k8s"
else
    if [[ ! -d $ROOT/node_modules/kubernetes-models || $ROOT/package-lock.json -nt $ROOT/node_modules/.package-lock.json ]]; then
        say "installing the validators (npm ci)"
        (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || bad "npm ci failed"
    fi
    mkdir -p "$TMP/k8s-nginx"
    if node "$K/validate.mjs" "$K" "$TMP/k8s-nginx"; then
        # the ConfigMap's nginx.conf: nginx -t (names -> 127.0.0.1, paths -> temp) and the shape
        KN=$TMP/k8s-nginx
        mkdir -p "$KN/tmp"
        sed -E -e "s#([[:space:]])/tmp/#\1$KN/tmp/#g" -e "s#/etc/nginx/stvs-fastcgi\.conf#$KN/stvs-fastcgi.conf#g" \
            -e "s#/etc/nginx/stvs-upstream-policy\.conf#$KN/stvs-upstream-policy.conf#g" \
            -e "s#access_log /dev/stdout#access_log $KN/access.log#" \
            -e 's/stvs-[a-z-]+\.stvs\.svc\.cluster\.local:9000/127.0.0.1:9000/g' \
            -e 's/resolver kube-dns\.kube-system\.svc\.cluster\.local/resolver 127.0.0.1/' \
            -e "s#listen 8080;#listen 127.0.0.1:$PORT;#; s#listen 9100;#listen 127.0.0.1:$((PORT + 1));#" \
            -e 's/ resolve( |;)/\1/g' "$KN/nginx.conf" >"$KN/test.conf"
        if ! "$NGINX" -t -q -p "$KN/" -c "$KN/test.conf" -e "$KN/error.log" 2>"$KN/t.log"; then
            cat "$KN/t.log" >&2
            bad "deploy/k8s/nginx.yaml: its nginx.conf fails nginx -t"
        fi
        if ! diff <("$ROOT/docker/nginx-shape.sh" "$ROOT/nginx/nginx.conf.in") <("$ROOT/docker/nginx-shape.sh" "$KN/nginx.conf") >"$KN/drift"; then
            cat "$KN/drift" >&2
            bad "deploy/k8s/nginx.yaml's nginx.conf has drifted from nginx/nginx.conf.in (< there, > here)"
        fi
        # the ConfigMap's copy of the policy is the repo's (validate.mjs): check against it
        "$ROOT/docker/nginx-policy.sh" "$KN/nginx.conf" "$KN/stvs-upstream-policy.conf" ||
            bad "deploy/k8s/nginx.yaml's nginx.conf does not keep the upstream policy (above)"
    else
        bad "deploy/k8s does not validate"
    fi
    # Negative cases: a wrong type must fail, in a Deployment and in the Cluster.
    broken() { # name sed-expression file
        local b=$TMP/broken-$1
        mkdir -p "$b"
        cp -r "$K"/. "$b/"
        sed -i -E "$2" "$b/$3"
        if node "$K/validate.mjs" "$b" >/dev/null 2>&1; then bad "validate.mjs passes $1"; fi
    }
    broken "replicas as a string" '0,/^  replicas: 3$/s//  replicas: "3"/' activity.yaml
    broken "a CNPG parameter as a number" 's/^      max_connections: "300"$/      max_connections: 300/' postgres.yaml
    broken "a misspelt CNPG field" 's/^  instances: 3$/  instance: 3/' postgres.yaml
    broken "a probe period as a word" '0,/periodSeconds: 5$/s//periodSeconds: five/' auth.yaml
    broken "a misspelt container field" 's/^        readinessProbe:$/        readinesProbe:/' auth.yaml
    broken "a policy copy that differs from nginx/upstream-policy.conf" 's/^    fastcgi_next_upstream_tries [0-9]+;$/    fastcgi_next_upstream_tries 9;/' nginx.yaml
    broken "retry rules of its own in the ConfigMap's nginx.conf" 's#^        include /etc/nginx/stvs-upstream-policy.conf;$#&\n        fastcgi_next_upstream_tries 2;#' nginx.yaml
fi

if command -v shellcheck >/dev/null; then
    shellcheck -s bash "$0" || bad "shellcheck: tests/deploy_check.sh"
fi

[ "$failed" = 0 ] || { echo "deploy check: failed" >&2; exit 1; }
echo "deploy check: ok"
