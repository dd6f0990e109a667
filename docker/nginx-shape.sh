#!/usr/bin/env bash
# Prints the shape of STVS's public front door in an nginx config, for
# docker/check.sh and tests/deploy_check.sh to compare with
# nginx/nginx.conf.in: its locations (with the service each passes to), error
# pages, problem+json bodies, headers, log format, the request-id and
# web-cache maps, and the body limits. Left out: how a service is reached
# (upstreams, resolvers, pool maps, include paths), every server block after
# the first (internal ones such as metrics), and the public server's 404 for
# /metrics paths, whichever form it takes (tests/deploy_check.sh asks nginx).
#   docker/nginx-shape.sh FILE
set -euo pipefail
if [ $# != 1 ] || [ ! -r "$1" ]; then echo "usage: $0 NGINX_CONF" >&2; exit 2; fi
# shellcheck disable=SC2016 # awk's and sed's $, not the shell's
awk '
    # braces outside quoted strings (log_format and return bodies hold some)
    function net(s,   t, o, c) {
        t = s; gsub(/\x27[^\x27]*\x27/, "", t); gsub(/"[^"]*"/, "", t)
        o = gsub(/\{/, "", t); c = gsub(/\}/, "", t); return o - c
    }
    skip { depth += net($0); if (depth <= skip_depth) skip = 0; next }
    /^[[:space:]]*map[[:space:]]/ && !/\$stvs_request_id[[:space:]]*\{/ && !/\$stvs_web_cache[[:space:]]*\{/ {
        skip_depth = depth; depth += net($0); skip = (depth > skip_depth); next
    }
    /^[[:space:]]*server[[:space:]]*\{/ && ++servers > 1 {
        skip_depth = depth; depth += net($0); skip = 1; next
    }
    { depth += net($0) }
    /^[[:space:]]*(location|error_page|return|add_header|default_type|log_format|map|default|"|charset|server_tokens|client_max_body_size|client_body_buffer_size|\x27)/
' "$1" |
    sed -E -e 's/^[[:space:]]+//' -e 's/[[:space:]]+/ /g' \
        -e 's/fastcgi_pass \$?stvs_([a-z]+)[a-z_]*;/fastcgi_pass stvs_\1;/' -e 's/include [^;]+;/include fastcgi.conf;/' \
        -e '/^location [^{]*metrics[^{]*\{ return 404; \}$/d'
