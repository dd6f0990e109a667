#!/usr/bin/env bash
# Checks an nginx config against STVS's one upstream policy,
# nginx/upstream-policy.conf (docs/SCALING.md, "Upstream policy"), for
# docker/check.sh and tests/deploy_check.sh:
#   - the policy itself: the next server on error, timeout and http_503, never
#     non_idempotent, a bounded number of tries (2 to 8: 0 would be unlimited),
#     a fastcgi_next_upstream_timeout, and its "# @server" parameters;
#   - the config includes the policy file (by whatever path it is installed
#     at) and sets no retry rule of its own (only `fastcgi_next_upstream off`
#     for a path that names one process);
#   - every upstream server carries exactly the policy's max_fails and
#     fail_timeout, and a backup server none.
#   - every upstream block carries the policy's "# @upstream" directive
#     (keepalive N: nginx keeps FastCGI connections) exactly once.
#   docker/nginx-policy.sh CONF [POLICY]   (POLICY: nginx/upstream-policy.conf)
# Names each problem on stderr and exits 1, or prints nothing and exits 0.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -lt 1 ] || [ $# -gt 2 ] || [ ! -r "$1" ]; then echo "usage: $0 NGINX_CONF [POLICY]" >&2; exit 2; fi
conf=$1 policy=${2:-$ROOT/nginx/upstream-policy.conf}
name=${conf#"$ROOT"/}
failed=0
bad() { echo "$*" >&2; failed=1; }

# directives without comments, one per line
directives() { sed -E 's/#.*//' "$1" | tr '\n' ' ' | sed -E 's/[;{}]/\n/g' | sed -E 's/^[[:space:]]+//; s/[[:space:]]+/ /g; s/ $//'; }

# ---------------------------------------------------------------- the policy
next=$(directives "$policy" | grep -E '^fastcgi_next_upstream ' || true)
[ "$(printf '%s\n' "$next" | grep -c .)" = 1 ] || bad "$policy: one fastcgi_next_upstream line, not [$next]"
for want in error timeout http_503; do
    [[ " $next " == *" $want "* ]] || bad "$policy: fastcgi_next_upstream lacks $want"
done
[[ " $next " != *" non_idempotent "* ]] || bad "$policy: fastcgi_next_upstream non_idempotent would replay POSTs and PATCHes"
tries=$(directives "$policy" | sed -nE 's/^fastcgi_next_upstream_tries ([0-9]+)$/\1/p')
if [ -z "$tries" ] || [ "$tries" -lt 2 ] || [ "$tries" -gt 8 ]; then
    bad "$policy: fastcgi_next_upstream_tries must be 2 to 8 (0 is unlimited: a request that crashes processes would reach them all), not '${tries}'"
fi
directives "$policy" | grep -qE '^fastcgi_next_upstream_timeout [0-9]+s$' || bad "$policy: no fastcgi_next_upstream_timeout Ns"
params=$(sed -nE 's/^# @server (max_fails=[1-9][0-9]* fail_timeout=[1-9][0-9]*s)$/\1/p' "$policy")
[ -n "$params" ] || bad "$policy: no '# @server max_fails=N fail_timeout=Ns' line"
keep=$(sed -nE 's/^# @upstream (keepalive [1-9][0-9]*)$/\1/p' "$policy")
[ -n "$keep" ] || bad "$policy: no '# @upstream keepalive N' line"
others=$(directives "$policy" | grep -vE '^(fastcgi_next_upstream|fastcgi_next_upstream_tries|fastcgi_next_upstream_timeout) ' | grep . || true)
[ -z "$others" ] || bad "$policy: holds more than the retry rules: [$others]"

# ---------------------------------------------------------------- the config
includes=$(directives "$conf" | grep -cE '^include [^ ]*upstream-policy\.conf$' || true)
[ "$includes" = 1 ] || bad "$name: includes the upstream policy $includes times, not once"
own=$(directives "$conf" | grep -E '^fastcgi_next_upstream(_tries|_timeout)? ' | grep -vx 'fastcgi_next_upstream off' || true)
[ -z "$own" ] || bad "$name: sets retry rules of its own instead of the policy's: [$(echo "$own" | tr '\n' ',')]"
servers=$(directives "$conf" | grep -E '^server (unix:[^ ]+|[A-Za-z0-9.-]+:[0-9]+)( |$)' || true)
[ -n "$servers" ] || bad "$name: no upstream server"
while read -r line; do
    [ -n "$line" ] || continue
    if [[ " $line " == *" backup "* ]]; then
        [[ $line != *max_fails* && $line != *fail_timeout* ]] || bad "$name: a backup server counts no failures: '$line'"
    elif [[ $line != *" $params" ]]; then
        bad "$name: '$line' must end with the policy's '$params'"
    fi
done <<<"$servers"
# an upstream block ends at the empty directive its closing brace leaves
lacking=$(directives "$conf" | awk -v want="$keep" '
    /^upstream / { name = $2; n = 0; inside = 1; next }
    inside && $0 == "" { if (n != 1) print name; inside = 0; next }
    inside && /^keepalive / { n += ($0 == want) ? 1 : 99 }')
[ -z "$lacking" ] || bad "$name: upstream(s) without exactly the policy's '$keep': $(echo "$lacking" | tr '\n' ' ')"
exit "$failed"
