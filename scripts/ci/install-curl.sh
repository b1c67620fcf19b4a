#!/usr/bin/env bash
# curl: the runbook's Compliance (PII) lines are run with it against a live `dab serve`.
set -euo pipefail
if command -v curl >/dev/null 2>&1; then
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends curl ca-certificates
