#!/usr/bin/env bash
# curl: the runbook's client, driven by tests/api/test_conformance_gate.py against `dab serve`.
set -euo pipefail
if command -v curl >/dev/null 2>&1; then
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends curl ca-certificates
