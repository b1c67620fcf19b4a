"""ENVIRONMENT is a free name: `staging` starts like development; only production is stricter."""

from __future__ import annotations

from pathlib import Path

import httpx
from tests.cli.live_server import KEY, live_server


def test_a_staging_server_starts_and_reports_its_environment(tmp_path: Path) -> None:
    with live_server(tmp_path, extra_env={"ENVIRONMENT": "staging"}) as (base, _):
        health = httpx.get(f"{base}/api/v1/health", headers={"X-API-Key": KEY}).json()
    assert health["environment"] == "staging"
