#!/usr/bin/env bash
# The README's start command: install what is missing, build the web app, start the relay
# (which serves the app and seeds a demo workspace on an empty DATA_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh
pnpm --filter @switchboard/web build
export DATA_DIR=${DATA_DIR:-$PWD/data}
export WEB_DIR=${WEB_DIR:-$PWD/apps/web/build}
exec pnpm --filter @switchboard/relay start
