#!/usr/bin/env bash
# Installs what a fresh Debian machine with only Node 20 + npm lacks: pnpm, the workspace
# dependencies (better-sqlite3 compiles against Node's own headers), and what tests start
# themselves: Chromium and the PostgreSQL server (Debian packages; arguments name which).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v pnpm >/dev/null || [ "$(pnpm -v)" != "12.4.2" ]; then
  npm install -g pnpm@12.4.2
fi
# pnpm's node-gyp would download Node headers (no internet here); they ship in /usr/include/node.
if [ -z "${npm_config_nodedir:-}" ] && [ -d /usr/include/node ]; then export npm_config_nodedir=/usr; fi
CI=true pnpm install --frozen-lockfile
# Debian package names by what the arguments ask for, when its binary is missing.
packages=()
for tool in "$@"; do
  case "$tool" in
    chromium) [ -x /usr/bin/chromium ] || packages+=(chromium) ;;
    postgresql) ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || packages+=(postgresql) ;;
    *) echo "ensure-tools: unknown tool '$tool' (chromium, postgresql)" >&2; exit 2 ;;
  esac
done
if [ ${#packages[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = "0" ] || sudo=sudo
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}"
fi
