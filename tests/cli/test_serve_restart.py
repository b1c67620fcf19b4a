"""A killed `dab serve` restarted on the same DAB_HOME comes back with its data."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from tests.api.ingest_helpers import artifacts

KEY = "restart-test-key"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _server(
    home: Path, port: int, extra_env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CACHE_REDIS_URL")}
    env.update(
        {"DAB_HOME": str(home), "API_KEYS": KEY, "ENVIRONMENT": "development", "RATE_LIMIT_ENABLED": "false"}
    )
    env.update(extra_env or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "dab", "serve", "--port", str(port)],
        env=env,
        cwd=home,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise AssertionError(f"server did not start: {process.stderr.read() if process.stderr else ''!r}")
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_killed_server_restarts_with_its_data(tmp_path: Path) -> None:
    port = _free_port()
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
