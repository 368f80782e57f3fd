#!/usr/bin/env bash
# Installs what a fresh Debian machine with only Node 20 + npm lacks: pnpm, the workspace
# dependencies (better-sqlite3 compiles against Node's own headers), and Chromium for tests.
set -euo pipefail
cd "$(dirname "$0")/.."
want_chromium=${1:-}
if ! command -v pnpm >/dev/null || [ "$(pnpm -v)" != "12.4.2" ]; then
  npm install -g pnpm@12.4.2
fi
# pnpm's node-gyp would download Node headers (no internet here); they ship in /usr/include/node.
if [ -z "${npm_config_nodedir:-}" ] && [ -d /usr/include/node ]; then export npm_config_nodedir=/usr; fi
CI=true pnpm install --frozen-lockfile
if [ "$want_chromium" = "chromium" ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  fi
fi
