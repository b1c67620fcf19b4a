"""A real `dab serve` stopped gracefully (SIGTERM), optionally with several workers, for the
operations tests; tests/live_server.py is the plain one (killed at the end)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
from tests.live_server import free_port

KEY = "live-server-key"
STRIPPED = ("DATABASE_URL", "REDIS_URL", "CACHE_REDIS_URL", "PROMETHEUS_MULTIPROC_DIR")


def server_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in STRIPPED}
    env.update({"DAB_HOME": str(home), "API_KEYS": KEY, "RATE_LIMIT_ENABLED": "false"})
    env.update(extra or {})
    return env


@contextmanager
def live_server(
    home: Path, *, extra_env: Mapping[str, str] | None = None, workers: int = 1, startup: float = 90
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Yields the base URL and the process; stopped with SIGTERM (graceful) on exit."""
    port = free_port()
    log = (home / "server.log").open("ab")  # kept for a failing test's post-mortem
    process = subprocess.Popen(
        [sys.executable, "-m", "dab", "serve", "--port", str(port), "--workers", str(workers)],
        env=server_env(home, extra_env),
        cwd=home,
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/api/v1/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
            if process.poll() is not None:
                raise AssertionError(f"dab serve exited with {process.returncode}")
        else:
            raise AssertionError("dab serve did not become ready")
        yield base, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()
