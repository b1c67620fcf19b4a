#!/usr/bin/env bash
# curl runs the runbook's curl lines against a live `dab serve` (governance, PII, export and gate tests).
set -euo pipefail
if command -v curl >/dev/null 2>&1; then
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends curl ca-certificates
