#!/usr/bin/env bash
# Static checks of docker/ that need no Docker engine (none runs here):
#   1. Dockerfiles: >= 2 stages, a non-root USER in the final stage, no secret
#      in ARG/ENV/COPY, apt lists removed, a deny-all .dockerignore that lets
#      in every COPY source;
#   2. every Debian package they install exists in Debian 12 (apt-cache);
#   3. the build stage's COPY set really builds each service (make, in a temp
#      dir), the build stage's SERVICE check accepts each, and the runtime
#      stage installs the package of every shared library the binary needs;
#   4. compose.yaml parses (python3-yaml; skipped without it), and every
#      environment variable it gives an STVS service is in README.md's
#      configuration table; mounts, secrets, volumes, networks, build files
#      and file paths agree with each other; it runs every service the
#      Makefile builds, each with deploy.replicas and no fixed container name
#      or published port (replicas could not share them), listening on
#      0.0.0.0:<port>; depends_on entries carry a condition;
#   5. docker/nginx.conf passes `nginx -t` (service names -> 127.0.0.1, paths
#      -> a temp dir; `resolve` dropped where the local nginx predates 1.27.3)
#      and keeps nginx/nginx.conf.in's locations, error pages, log format and
#      limits (docker/nginx-shape.sh); each service's upstream names its
#      compose service and port with resolve, max_fails and fail_timeout;
#      and it keeps STVS's one upstream policy (docker/nginx-policy.sh:
#      includes nginx/upstream-policy.conf, which compose mounts, sets no
#      retry rule of its own, the policy's max_fails/fail_timeout on every
#      server, its keepalive in every upstream), as do the upstreams
#      scripts/stack.sh generates (`stack.sh upstreams`, 3 processes and read
#      pools); broken copies (another max_fails, retry rules of its own, a
#      policy with non_idempotent or unbounded tries, an upstream without the
#      keepalive or with another) must fail that check;
#   6. shellcheck on docker/*.sh, when shellcheck is installed.
# Prints "docker check: ok" at the end, or names each problem and exits 1.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
D=$ROOT/docker
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failed=0
bad() { echo "docker check: FAIL: $*" >&2; failed=1; }
say() { echo "docker check: $*"; }

# Dockerfile logical lines: comments dropped, continuations joined.
logical() {
    awk '
        /^[[:space:]]*#/ { next }
        { line = line $0 }
        line ~ /\\[[:space:]]*$/ { sub(/\\[[:space:]]*$/, " ", line); next }
        { if (line ~ /[^[:space:]]/) print line; line = "" }
        END { if (line ~ /[^[:space:]]/) print line }
    ' "$1" | sed -E 's/^[[:space:]]+//; s/[[:space:]]+/ /g'
}

# Names in the Configuration table of README.md.
# shellcheck disable=SC2016 # the backquotes are README's, not the shell's
readme_vars() {
    awk '/^## Configuration/ { on = 1; next } /^## / { on = 0 } on && /^\|/' "$ROOT/README.md" |
        grep -oE '`[A-Z][A-Z0-9_]+`' | tr -d '`' | sort -u
}
readme_vars >"$TMP/readme-vars"
[ -s "$TMP/readme-vars" ] || bad "README.md has no configuration table"

# ---------------------------------------------------------------- Dockerfiles
shopt -s nullglob
dockerfiles=()
for f in "$D"/Dockerfile* "$D"/*.Dockerfile; do
    case $f in *.dockerignore) continue ;; esac
    dockerfiles+=("$f")
done
[ ${#dockerfiles[@]} -gt 0 ] || bad "no Dockerfile in docker/"

: >"$TMP/packages"
: >"$TMP/runtime-packages"
: >"$TMP/env-names"
user_uid=""
secretish='PASS|SECRET|TOKEN|PRIVATE|CREDENTIAL|ACCESS_KEY|API_KEY'
for df in "${dockerfiles[@]}"; do
    name=${df#"$ROOT"/}
    logical "$df" >"$TMP/lines"
    nfrom=$(grep -ciE '^FROM ' "$TMP/lines" || true)
    [ "$nfrom" -ge 2 ] || bad "$name: $nfrom FROM stage(s); a multi-stage build needs at least 2"
    last_from=$(grep -niE '^FROM ' "$TMP/lines" | tail -n 1 | cut -d: -f1)
    final_user=$(tail -n +"${last_from:-1}" "$TMP/lines" | grep -iE '^USER ' | tail -n 1 | cut -d' ' -f2 || true)
    case ${final_user%%:*} in
        "") bad "$name: the final stage has no USER: it would run as root" ;;
        root | 0) bad "$name: the final stage runs as root (USER $final_user)" ;;
        \$*) bad "$name: USER $final_user: use a literal uid, so that it can be checked" ;;
        *) user_uid=${final_user%%:*} ;;
    esac

    # No secret baked into a layer: no ARG/ENV that looks like one, no copy of
    # the whole context or of a key, secret, env or var/ file.
    while read -r ins rest; do
        case ${ins^^} in
            ARG | ENV)
                read -ra words <<<"$rest"
                for w in "${words[@]}"; do
                    n=${w%%=*}
                    [ "${ins^^}" = ENV ] && echo "$n" >>"$TMP/env-names"
                    if [[ ${n^^} =~ $secretish ]]; then bad "$name: $ins $n looks like a build-time secret"; fi
                    [ "${ins^^}" = ENV ] && [[ $w != *=* ]] && break # ENV NAME value
                done
                ;;
            COPY | ADD)
                [[ $rest == *--from=* ]] && continue
                read -ra words <<<"$rest"
                srcs=()
                for w in "${words[@]}"; do [[ $w == --* ]] || srcs+=("$w"); done
                unset 'srcs[${#srcs[@]}-1]' # the destination
                for s in "${srcs[@]}"; do
                    case $s in
                        . | ./ | \* | *..*) bad "$name: $ins $s copies the whole context" ;;
                        var | var/* | */var/* | *secrets* | *.key | *.pem | *pgpass* | *.env | .git*)
                            bad "$name: $ins $s copies secret material into the image" ;;
                    esac
                    echo "${s%/}" >>"$TMP/copy-sources"
                done
                ;;
            RUN)
                if [[ $rest == *"apt-get install"* ]]; then
                    [[ $rest == *--no-install-recommends* ]] || bad "$name: apt-get install without --no-install-recommends"
                    [[ $rest == *"rm -rf /var/lib/apt/lists"* ]] || bad "$name: a RUN installs packages but leaves /var/lib/apt/lists"
                fi
                ;;
        esac
    done <"$TMP/lines"

    # Packages: the words after `apt-get install` up to the next && or ;,
    # options left out. The final stage's are the runtime set.
    awk -v last="${last_from:-1}" '
        /^RUN / {
            n = split($0, seg, /&&|;/)
            for (i = 1; i <= n; i++) {
                if (seg[i] !~ /apt-get install/) continue
                sub(/.*apt-get install/, "", seg[i])
                m = split(seg[i], w, " ")
                for (j = 1; j <= m; j++) if (w[j] !~ /^-/) print (NR >= last ? "R " : "B ") w[j]
            }
        }' "$TMP/lines" >"$TMP/pk"
    cut -d' ' -f2 "$TMP/pk" | sed 's/=.*//' >>"$TMP/packages"
    awk '$1 == "R" { print $2 }' "$TMP/pk" | sed 's/=.*//' >>"$TMP/runtime-packages"

    # The build context is cut down by <Dockerfile>.dockerignore: deny all,
    # then let in each COPY source, and never var/ or docker/secrets/.
    ign=$df.dockerignore
    if [ ! -f "$ign" ]; then
        bad "$name: no ${ign#"$ROOT"/} (deny-all build context filter)"
    else
        first=$(grep -vE '^[[:space:]]*(#|$)' "$ign" | head -n 1)
        [ "$first" = "*" ] || bad "${ign#"$ROOT"/}: must start with * (deny all), then let in what COPY needs"
        if grep -qE '^!(var|build|node_modules|docker/secrets|\.git)' "$ign"; then
            bad "${ign#"$ROOT"/} lets in var/, build/, node_modules/, .git or docker/secrets/"
        fi
        if [ -f "$TMP/copy-sources" ]; then
            while read -r s; do
                grep -qxF "!$s" "$ign" || bad "$name: COPY $s is not let in by ${ign#"$ROOT"/}"
                [ -e "$ROOT/$s" ] || bad "$name: COPY $s: no such file in the repository"
            done <"$TMP/copy-sources"
        fi
    fi
    rm -f "$TMP/copy-sources"
done
sort -u -o "$TMP/packages" "$TMP/packages"
sort -u -o "$TMP/runtime-packages" "$TMP/runtime-packages"

# Every ENV a Dockerfile sets is configuration the README documents.
while read -r n; do
    grep -qxF "$n" "$TMP/readme-vars" || bad "Dockerfile ENV $n is not in README.md's configuration table"
done < <(sort -u "$TMP/env-names")

# ------------------------------------------------------- Debian 12 packages
if ! grep -qs '^VERSION_CODENAME=bookworm' /etc/os-release || ! command -v apt-cache >/dev/null; then
    say "skipped: package names (this machine is not Debian 12 with apt-cache)"
else
    if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
        say "skipped: package names (no apt lists: run apt-get update)"
    else
        while read -r p; do
            apt-cache show --no-all-versions "$p" >/dev/null 2>&1 || bad "package $p does not exist in Debian 12"
        done <"$TMP/packages"
    fi
fi

# ---------------------------------------- the build stage builds each service
# The services are the Makefile's (what `make run` starts); compose.yaml must
# run each of them too (checked below).
read -ra make_services <<<"$(sed -nE 's/^SERVICES[[:space:]]*:?=[[:space:]]*//p' "$ROOT/Makefile")"
[ ${#make_services[@]} -gt 0 ] || bad "no SERVICES := line in the Makefile"
# The build stage refuses a SERVICE outside its case list: it must take each.
for df in "${dockerfiles[@]}"; do
    # shellcheck disable=SC2016 # the Dockerfile's $SERVICE, matched literally
    cases=$(logical "$df" | grep -oE 'case "\$SERVICE" in [a-z|]+\)' | sed -E 's/.* in ([a-z|]+)\)/\1/' || true)
    [ -n "$cases" ] || continue
    for s in "${make_services[@]}"; do
        [[ "|$cases|" == *"|$s|"* ]] || bad "${df#"$ROOT"/}: its SERVICE check refuses $s, which the Makefile builds"
    done
done
# The same make command as the build stage, on a copy of only what it COPYs.
mkdir -p "$TMP/src"
(cd "$ROOT" && cp -r Makefile common services "$TMP/src/")
for s in "${make_services[@]}"; do
    bin=$TMP/src/build/release/bin/stvs-$s
    if ! make -s -C "$TMP/src" -j"$(nproc)" MODE=release CC=gcc SERVICES="$s" "build/release/bin/stvs-$s" \
        >"$TMP/make-$s.log" 2>&1; then
        cat "$TMP/make-$s.log" >&2
        bad "stvs-$s does not build from Makefile, common/ and services/ alone"
        continue
    fi
    # Each library it links must come from a package the runtime stage installs.
    if command -v dpkg >/dev/null && command -v ldd >/dev/null; then
        while read -r soname path; do
            real=$(readlink -f "$path")
            pkg=$(dpkg -S "$real" 2>/dev/null || dpkg -S "${real#/usr}" 2>/dev/null || dpkg -S "/usr$real" 2>/dev/null || true)
            pkg=${pkg%%:*}
            [ -n "$pkg" ] || { bad "stvs-$s: $soname belongs to no Debian package"; continue; }
            readelf -d "$bin" | grep -qF "[$soname]" || continue # only what it names itself
            [ "$pkg" = libc6 ] && continue
            grep -qxF "$pkg" "$TMP/runtime-packages" || bad "stvs-$s needs $soname from $pkg, which the runtime stage does not install"
        done < <(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }')
    fi
done

# -------------------------------------------------------------- compose.yaml
if ! python3 -c 'import yaml' 2>/dev/null; then
    say "skipped: compose.yaml parsing (python3 has no yaml module: apt-get install python3-yaml)"
else
    STVS_CHECK_TMP=$TMP python3 - "$D/compose.yaml" "$TMP/readme-vars" "$user_uid" "$ROOT" "${make_services[*]}" <<'PY' || failed=1
import os, re, sys, yaml

path, readme_file, uid, root, make_services = sys.argv[1:6]
here = os.path.dirname(path)
readme = set(open(readme_file).read().split())
errors = []
def bad(msg):
    errors.append(msg)

try:
    doc = yaml.safe_load(open(path))
except yaml.YAMLError as e:
    print(f"docker check: FAIL: compose.yaml does not parse: {e}", file=sys.stderr)
    sys.exit(1)
if not isinstance(doc, dict) or not isinstance(doc.get("services"), dict):
    print("docker check: FAIL: compose.yaml has no services", file=sys.stderr)
    sys.exit(1)

services = doc["services"]
upstreams = []  # (compose name, service, port) that nginx.conf must list
top = {k: set((doc.get(k) or {}).keys()) for k in ("volumes", "secrets", "networks")}

def env_of(svc):
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) if "=" in e else (e, None) for e in env)
    return {k: ("" if v is None else str(v)) for k, v in env.items()}

def mounts_of(svc):
    out = []
    for v in svc.get("volumes") or []:
        if isinstance(v, dict):
            out.append((v.get("source", ""), v.get("target", ""), v.get("read_only", False)))
        else:
            parts = v.split(":")
            out.append((parts[0], parts[1] if len(parts) > 1 else parts[0], len(parts) > 2 and "ro" in parts[2].split(",")))
    return out

def names(x):
    if isinstance(x, dict):
        return list(x.keys())
    return [e if isinstance(e, str) else e.get("source") for e in (x or [])]

for sname, svc in services.items():
    svc = svc or {}
    env = env_of(svc)
    mounts = mounts_of(svc)
    for src, tgt, ro in mounts:
        if src.startswith((".", "/")):
            if not os.path.exists(os.path.normpath(os.path.join(here, src))):
                bad(f"{sname}: bind mount {src}: no such path")
        elif src not in top["volumes"]:
            bad(f"{sname}: volume {src} is not declared under volumes:")
    for s in names(svc.get("secrets")):
        if s not in top["secrets"]:
            bad(f"{sname}: secret {s} is not declared under secrets:")
    for n in names(svc.get("networks")):
        if n not in top["networks"]:
            bad(f"{sname}: network {n} is not declared under networks:")
    for dep in names(svc.get("depends_on")):
        if dep not in services:
            bad(f"{sname}: depends on {dep}, which is no service")
    if isinstance(svc.get("depends_on"), dict):
        for dep, cond in svc["depends_on"].items():
            if not isinstance(cond, dict) or "condition" not in cond:
                bad(f"{sname}: depends_on {dep} needs a condition (service_started, service_healthy, ...)")
    if "STVS_UID" in env and env["STVS_UID"] != uid:
        bad(f"{sname}: STVS_UID={env['STVS_UID']} but the Dockerfile's USER is {uid}")

    build = svc.get("build")
    if build is None:
        continue
    if isinstance(build, str):
        build = {"context": build}
    ctx = os.path.normpath(os.path.join(here, build.get("context", ".")))
    dfile = os.path.join(ctx, build.get("dockerfile", "Dockerfile"))
    if not os.path.isfile(dfile):
        bad(f"{sname}: dockerfile {dfile} does not exist")
        continue
    text = open(dfile).read()
    stages = re.findall(r"(?im)^FROM\s+\S+\s+AS\s+(\S+)", text)
    if build.get("target") and build["target"] not in stages:
        bad(f"{sname}: build target {build['target']} is no stage of {os.path.relpath(dfile, root)}")
    service = (build.get("args") or {}).get("SERVICE")
    if build.get("target"):
        continue  # a tool stage (keygen), not an STVS service

    # An STVS service: its configuration is README.md's, nothing else.
    for k in env:
        if k not in readme:
            bad(f"{sname}: environment {k} is not in README.md's configuration table")
    if not service or not os.path.isdir(os.path.join(root, "services", service)):
        bad(f"{sname}: build arg SERVICE={service!r} names no services/ directory")
        continue
    for k in ("STVS_DB", "STVS_LISTEN", "STVS_JWT_PUBLIC_KEY_FILE"):
        if not env.get(k):
            bad(f"{sname}: {k} is required and not set")
    if env.get("STVS_LISTEN") != "0.0.0.0:9000":
        bad(f"{sname}: STVS_LISTEN must be 0.0.0.0:9000 (port 9000, where nginx.conf looks for it, on every "
            "interface of the container: :9000 is loopback only)")
    reps = (svc.get("deploy") or {}).get("replicas")
    if not isinstance(reps, int) or isinstance(reps, bool) or reps < 1:
        bad(f"{sname}: deploy.replicas must be an integer >= 1 (got {reps!r})")
    for k in ("container_name", "ports"):
        if k in svc:
            bad(f"{sname}: {k} cannot be shared by replicas; nginx reaches them through the backend network")
    upstreams.append((sname, service, "9000"))
    db = env.get("STVS_DB", "")
    if f"user=stvs_{service}" not in db.split():
        bad(f"{sname}: STVS_DB must log in as stvs_{service}")
    if re.search(r"(^|\s)password=", db):
        bad(f"{sname}: STVS_DB carries a password; use passfile=")
    # Every file the service is told to read lies under one of its mounts.
    files = {k: v for k, v in env.items() if k.endswith("_FILE") or k == "SMS_OUTBOX"}
    m = re.search(r"passfile=(\S+)", db)
    if m:
        files["STVS_DB passfile"] = m.group(1)
    for k, v in files.items():
        if not v.startswith("/"):
            continue
        if not any(v.startswith(t.rstrip("/") + "/") for _, t, _ in mounts):
            bad(f"{sname}: {k}={v} is on no mounted volume")
    for src, tgt, ro in mounts:
        if tgt.startswith("/etc/stvs") and not ro:
            bad(f"{sname}: {src} at {tgt} must be mounted read-only")
    # migrate sets its role's password and writes its pgpass.
    mig = services.get("migrate") or {}
    if f"{service}_db_password" not in names(mig.get("secrets")):
        bad(f"migrate is not given the secret {service}_db_password for stvs_{service}")
    if not any(t == f"/private/{service}" for _, t, _ in mounts_of(mig)):
        bad(f"migrate does not mount {service}'s private volume at /private/{service}")

# Every service `make run` starts runs here too.
built = {((svc or {}).get("build") or {}).get("args", {}).get("SERVICE")
         for svc in services.values() if isinstance((svc or {}).get("build"), dict)}
for s in make_services.split():
    if s not in built:
        bad(f"the Makefile builds {s} but no service builds it (SERVICE: {s}): enable its block")

with open(os.path.join(os.environ["STVS_CHECK_TMP"], "upstreams"), "w") as f:
    for u in upstreams:
        print(*u, file=f)

for e in errors:
    print(f"docker check: FAIL: compose.yaml: {e}", file=sys.stderr)
sys.exit(1 if errors else 0)
PY
fi

# ---------------------------------------------------------------- nginx.conf
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
    bad "nginx is not installed (scripts/deps.sh installs it): cannot test docker/nginx.conf"
else
    NGINX=$(command -v nginx || echo /usr/sbin/nginx)
    N=$TMP/nginx
    mkdir -p "$N/tmp"
    cp "$ROOT/nginx/fastcgi.conf" "$N/stvs-fastcgi.conf"
    cp "$ROOT/nginx/upstream-policy.conf" "$N/stvs-upstream-policy.conf"
    # `resolve` in an upstream server needs nginx >= 1.27.3 (the image's);
    # an older local nginx checks the rest without it.
    drop_resolve=""
    if ! printf '%s\n' 1.27.3 "$("$NGINX" -v 2>&1 | sed -nE 's#.*nginx/([0-9.]+).*#\1#p')" | sort -C -V; then
        drop_resolve=1
        say "nginx $("$NGINX" -v 2>&1 | sed -nE 's#.*nginx/([0-9.]+).*#\1#p') predates upstream \`resolve\`: nginx -t runs without it"
    fi
    sed -E -e "s#([[:space:]])/tmp/#\1$N/tmp/#g" \
        -e "s#/etc/nginx/stvs-fastcgi\.conf#$N/stvs-fastcgi.conf#g" \
        -e "s#/etc/nginx/stvs-upstream-policy\.conf#$N/stvs-upstream-policy.conf#g" \
        -e "s#access_log /dev/stdout#access_log $N/access.log#" \
        -e 's/(^|[^[:alnum:]_.-])(auth|volunteer|org|activity|import|stats):9000/\1127.0.0.1:9000/g' \
        -e "s#listen 9100;#listen 127.0.0.1:9100;#" \
        ${drop_resolve:+-e 's/ resolve( |;)/\1/g'} \
        "$D/nginx.conf" >"$N/nginx.conf"
    if ! "$NGINX" -t -q -p "$N/" -c "$N/nginx.conf" -e "$N/error.log" 2>"$N/t.log"; then
        cat "$N/t.log" "$N/error.log" >&2 2>/dev/null || true
        bad "docker/nginx.conf fails nginx -t"
    fi
    # The same front door as nginx/nginx.conf.in: locations, services, error
    # pages, problem+json bodies, log format, limits. Only how a service is
    # reached (variable, include path) may differ.
    if ! diff <("$D/nginx-shape.sh" "$ROOT/nginx/nginx.conf.in") <("$D/nginx-shape.sh" "$D/nginx.conf") >"$N/drift"; then
        cat "$N/drift" >&2
        bad "docker/nginx.conf has drifted from nginx/nginx.conf.in (< there, > here)"
    fi
    # Every replicated service is an upstream of its compose name and port,
    # re-resolved (resolve, in a shared zone) and with failure accounting.
    if [ -f "$TMP/upstreams" ]; then
        while read -r name svc port; do
            block=$(sed -nE "/^[[:space:]]*upstream[[:space:]]+stvs_${svc}[[:space:]]*\{/,/\}/p" "$D/nginx.conf" | tr '\n' ' ')
            if [ -z "$block" ]; then
                bad "docker/nginx.conf has no upstream stvs_$svc for compose service $name"
                continue
            fi
            [[ $block =~ zone[[:space:]]+[a-z_]+[[:space:]]+[0-9]+k ]] || bad "docker/nginx.conf: upstream stvs_$svc has no zone (resolve needs one)"
            [[ $block =~ server[[:space:]]+${name}:${port}[[:space:]]+resolve[[:space:]]+max_fails=[0-9]+[[:space:]]+fail_timeout=[0-9]+s\; ]] ||
                bad "docker/nginx.conf: upstream stvs_$svc must be 'server $name:$port resolve max_fails=N fail_timeout=Ns;'"
            grep -qE "fastcgi_pass[[:space:]]+stvs_$svc;" "$D/nginx.conf" || bad "docker/nginx.conf never passes to stvs_$svc"
        done <"$TMP/upstreams"
    fi
    # STVS's one upstream policy (nginx/upstream-policy.conf), here and in the
    # upstreams scripts/stack.sh writes for `make run` and the scale test.
    grep -qE '^[[:space:]]*-[[:space:]]*\.\./nginx/upstream-policy\.conf:/etc/nginx/stvs-upstream-policy\.conf:ro' "$D/compose.yaml" ||
        bad "compose.yaml does not mount ../nginx/upstream-policy.conf at /etc/nginx/stvs-upstream-policy.conf (read-only)"
    "$D/nginx-policy.sh" "$D/nginx.conf" || bad "docker/nginx.conf does not keep the upstream policy (above)"
    if STVS_VAR=$TMP/stack STVS_RUN_DIR=$TMP/stack-run STVS_PROCS=3 STVS_REPLICA=1 "$ROOT/scripts/stack.sh" upstreams \
        >"$N/stack-upstreams.conf" 2>"$N/stack.err"; then
        "$D/nginx-policy.sh" "$N/stack-upstreams.conf" || bad "the upstreams scripts/stack.sh writes do not keep the upstream policy (above)"
        grep -qE ' backup;$' "$N/stack-upstreams.conf" || bad "scripts/stack.sh upstreams: the read pools have no backup servers"
    else
        cat "$N/stack.err" >&2
        bad "scripts/stack.sh upstreams failed"
    fi
    # Negative cases: each broken copy must fail, or the check proves nothing.
    refuses() { # what conf [policy]
        if "$D/nginx-policy.sh" "${@:2}" 2>/dev/null; then bad "docker/nginx-policy.sh passes $1"; fi
    }
    sed 's/max_fails=3 fail_timeout=5s/max_fails=2 fail_timeout=5s/' "$D/nginx.conf" >"$N/b1.conf"
    refuses "an upstream server with another max_fails" "$N/b1.conf"
    sed -E 's#^([[:space:]]*)include /etc/nginx/stvs-upstream-policy\.conf;#\1fastcgi_next_upstream error timeout;\n\1fastcgi_next_upstream_tries 2;#' \
        "$D/nginx.conf" >"$N/b2.conf"
    refuses "retry rules of its own instead of the policy's include" "$N/b2.conf"
    sed 's/^fastcgi_next_upstream error timeout http_503;/fastcgi_next_upstream error timeout http_503 non_idempotent;/' \
        "$ROOT/nginx/upstream-policy.conf" >"$N/p1.conf"
    refuses "a policy that replays POSTs (non_idempotent)" "$D/nginx.conf" "$N/p1.conf"
    sed 's/^fastcgi_next_upstream_tries [0-9]*;/fastcgi_next_upstream_tries 0;/' "$ROOT/nginx/upstream-policy.conf" >"$N/p2.conf"
    refuses "a policy with unbounded tries (0)" "$D/nginx.conf" "$N/p2.conf"
    sed 's/^fastcgi_next_upstream error timeout http_503;/fastcgi_next_upstream error timeout;/' \
        "$ROOT/nginx/upstream-policy.conf" >"$N/p3.conf"
    refuses "a policy without http_503 (a read-pool process's one 503 would reach the client)" "$D/nginx.conf" "$N/p3.conf"
    sed 's/ backup;$/;/' "$N/stack-upstreams.conf" >"$N/b3.conf"
    refuses "a backup server turned into one with no max_fails" "$N/b3.conf"
    sed '0,/ keepalive 16; }/s// }/' "$D/nginx.conf" >"$N/b4.conf"
    refuses "an upstream without the policy's keepalive (nginx would open a connection per request)" "$N/b4.conf"
    awk '/^upstream stvs_auth / { print; print "        keepalive 4;"; next } { print }' "$N/stack-upstreams.conf" >"$N/b5.conf"
    refuses "an upstream with a keepalive of its own besides the policy's" "$N/b5.conf"
fi

# ------------------------------------------------------------------ scripts
if command -v shellcheck >/dev/null; then
    shellcheck -s sh "$D"/keys.sh "$D"/db-setup.sh || bad "shellcheck: docker/keys.sh or docker/db-setup.sh"
    shellcheck -s bash "$D"/check.sh "$D"/healthcheck.sh "$D"/nginx-shape.sh "$D"/nginx-policy.sh ||
        bad "shellcheck: docker/check.sh, healthcheck.sh, nginx-shape.sh or nginx-policy.sh"
else
    say "skipped: shellcheck (not installed)"
fi

[ "$failed" = 0 ] || { echo "docker check: failed" >&2; exit 1; }
echo "docker check: ok"
