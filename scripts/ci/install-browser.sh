#!/usr/bin/env bash
# Browser tests of the web console: Debian's Chromium, Playwright (dev extra) and axe-core (npm).
# Idempotent: installs only what is missing. Node packages go into the git-ignored .ci/node/.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
if ! command -v npm >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
if [ ! -f .ci/node/node_modules/axe-core/axe.min.js ]; then
  mkdir -p .ci/node
  npm install --silent --no-audit --no-fund --prefix .ci/node axe-core@4 >/dev/null
fi
