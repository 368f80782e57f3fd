#!/usr/bin/env bash
# The README's start command: install what is missing, build the web app, start the relay
# (which serves the app and seeds a demo workspace on an empty DATA_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh
pnpm --filter @switchboard/web build
export DATA_DIR=${DATA_DIR:-$PWD/data}
export WEB_DIR=${WEB_DIR:-$PWD/apps/web/build}
# The relay replaces this shell (no pnpm or tsx process in between), so Ctrl+C reaches it alone:
# it shuts down gracefully and exits 0, and `npm start` ends quietly.
cd packages/relay
exec node --import tsx src/main.ts
