#!/bin/bash
# HEALTHCHECK of the STVS service images (docker/Dockerfile.service): the
# FastCGI listener accepts a connection. Liveness only: the image has no HTTP
# client and the port speaks FastCGI; libfcgi drops a connection that closes
# before sending a request, without a word. The real health check is
# GET /api/v1/<service>/health through nginx.
case ${STVS_LISTEN:-} in
    *:*) exec 3<>"/dev/tcp/127.0.0.1/${STVS_LISTEN##*:}" ;;
    ?*) test -S "$STVS_LISTEN" ;;
    *) exit 1 ;;
esac
