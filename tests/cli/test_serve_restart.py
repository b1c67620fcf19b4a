"""A killed `dab serve` restarted on the same DAB_HOME comes back with its data."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from tests.api.ingest_helpers import artifacts
from tests.live_server import free_port, running_server

KEY = "restart-test-key"


@contextmanager
def _server(
    home: Path, port: int, extra_env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    env = {"API_KEYS": KEY, "RATE_LIMIT_ENABLED": "false", **(extra_env or {})}
    with running_server(home, env, port=port) as server:
        yield server.process


def test_killed_server_restarts_with_its_data(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}/api/v1"
    headers = {"X-API-Key": KEY}
    with _server(tmp_path, port) as first:
        response = httpx.post(
            f"{base}/ingest/dbt", params={"wait": "true"}, json=artifacts(), headers=headers, timeout=60
        )
        assert response.status_code == 201, response.text
        job_id = response.json()["job_id"]
        first.send_signal(signal.SIGKILL)  # no graceful shutdown
    with _server(tmp_path, port):
        job = httpx.get(f"{base}/ingest/jobs/{job_id}", headers=headers).json()
        assert job["status"] == "completed"
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        assert "dab_capsule_count 11.0" in metrics
        assert httpx.get(f"{base}/ingest/jobs", headers={"X-API-Key": "wrong"}).status_code == 401
