#!/usr/bin/env bash
# PostgreSQL server binaries (initdb, pg_ctl) for tests/integration/test_database_faults.py,
# which starts a PRIVATE server (own data directory and port) to stop and freeze. Idempotent.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v pgrep >/dev/null; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq postgresql procps >/dev/null
