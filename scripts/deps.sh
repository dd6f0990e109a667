#!/usr/bin/env bash
# Installs the Debian packages the stack needs, only those missing.
# (make and a shell are taken as given: they run this script.)
set -euo pipefail

packages=(
    gcc libc6-dev pkg-config               # build
    libfcgi-dev libjansson-dev libjwt-dev libpq-dev libssl-dev libargon2-dev libcurl4-openssl-dev
    libzip-dev libexpat1-dev libxlsxwriter-dev libcsv-dev   # spreadsheets in (xlsx, csv) and out (xlsx)
    postgresql postgresql-client           # database (server run from var/, not the system cluster)
    nginx                                  # front door
    openssl curl ca-certificates           # key generation, health checks, SMS provider TLS
    python3                                # API tests
    chromium fonts-noto-cjk                # browser tests of the PC client (Chinese glyphs in screenshots)
    python3-yaml python3-jsonschema        # API tests: every response checked against docs/openapi.yaml
    prometheus                             # promtool: the API tests check every service's GET /metrics
    iproute2                               # ss: the SIGTERM test sees requests queued in a socket's backlog
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm run the OpenAPI linter and build the PC client (web/, Vite 5:
# Debian 12's nodejs 18 is enough); any install that provides them will do.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    missing+=(nodejs npm)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "deps: run as root (or install sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Only promtool is wanted from the prometheus package: not the server it
# starts (and enables) on :9090 where services may start.
if [[ " ${missing[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null; then
    $sudo systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
