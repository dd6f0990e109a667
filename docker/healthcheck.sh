#!/bin/bash
# Health of an STVS service container (docker/Dockerfile.service).
#   healthcheck.sh        the image's HEALTHCHECK: the FastCGI listener
#                         accepts a connection (libfcgi drops a connection
#                         that closes before sending a request, without a word)
#   healthcheck.sh live   Kubernetes liveness: the process answers a FastCGI
#                         GET /api/v1/<service>/health at all (a 503 for a lost
#                         database is an answer: restarting would not help)
#   healthcheck.sh ready  Kubernetes readiness: that GET answers 200 (the
#                         process and its database connection work)
# live and ready speak FastCGI with cgi-fcgi (Debian's libfcgi-bin), in a
# clean environment: only the request's own parameters are sent.
case ${STVS_LISTEN:-} in
    *:*) addr=127.0.0.1:${STVS_LISTEN##*:} port=${STVS_LISTEN##*:} ;;
    ?*) addr=$STVS_LISTEN port="" ;;
    *) exit 1 ;;
esac
mode=${1:-accept}
if [ "$mode" = accept ]; then
    if [ -n "$port" ]; then exec 3<>"/dev/tcp/127.0.0.1/$port"; else test -S "$addr"; fi
    exit
fi
# The service behind /usr/local/bin/stvs-service, and its health path.
svc=$(readlink /usr/local/bin/stvs-service 2>/dev/null || echo "${STVS_SERVICE:-}")
case ${svc#stvs-} in
    auth) path=auth ;; volunteer) path=volunteers ;; org) path=orgs ;;
    activity) path=activities ;; import) path=imports ;; stats) path=stats ;;
    *) echo "healthcheck: unknown service '$svc'" >&2; exit 1 ;;
esac
status=$(env -i REQUEST_METHOD=GET DOCUMENT_URI="/api/v1/$path/health" REQUEST_URI="/api/v1/$path/health" \
    SERVER_PROTOCOL=HTTP/1.1 QUERY_STRING="" HTTP_X_REQUEST_ID=healthcheck \
    cgi-fcgi -bind -connect "$addr" 2>/dev/null | sed -nE '1s/^Status: ([0-9]{3}).*/\1/p')
case $mode in
    live) [ -n "$status" ] ;;
    ready) [ "$status" = 200 ] ;;
    *) echo "usage: $0 [live|ready]" >&2; exit 2 ;;
esac
