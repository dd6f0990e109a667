#!/usr/bin/env bash
# Lint docs/openapi.yaml with the Redocly CLI pinned in package-lock.json.
# Installs it (npm ci) only when node_modules is missing or older than the lock.
# Needs node >= 18.17 and npm; sends no telemetry.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

export REDOCLY_TELEMETRY=off
export REDOCLY_SUPPRESS_UPDATE_NOTICE=true
export NO_UPDATE_NOTIFIER=1
export npm_config_update_notifier=false

redocly=node_modules/.bin/redocly
if [[ ! -x $redocly || package-lock.json -nt node_modules/.package-lock.json ]]; then
    echo "lint-openapi: installing @redocly/cli (npm ci)" >&2
    npm ci --no-audit --no-fund --loglevel=error
fi

exec "$redocly" lint --format=stylish docs/openapi.yaml
