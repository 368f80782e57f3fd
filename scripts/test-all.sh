#!/usr/bin/env bash
# The README's test command: install everything a fresh machine lacks, then run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh chromium postgresql
export CI=${CI:-true}
pnpm test
