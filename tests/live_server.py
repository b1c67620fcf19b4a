"""A real `dab` server in a subprocess on a free loopback port, for tests that need one."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

# Settings of the test process that must not leak into a server with its own DAB_HOME.
_PRIVATE = ("DATABASE_URL", "REDIS_URL", "CACHE_REDIS_URL", "RATE_LIMIT_STORAGE_URI", "API_KEYS")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class LiveServer:
    base: str
    process: subprocess.Popen[bytes]


@contextmanager
def running_server(
    home: Path, env: Mapping[str, str], *, port: int | None = None, timeout: float = 60
) -> Iterator[LiveServer]:
    """Serve `dab` on DAB_HOME=home with extra settings `env` until the block ends."""
    port = port or free_port()
    environ = {k: v for k, v in os.environ.items() if k not in _PRIVATE}
    environ.update({"DAB_HOME": str(home), "ENVIRONMENT": "development", **env})
    log = (home / "server.log").open("ab")  # a file, not a pipe: a full pipe would block the server
    process = subprocess.Popen(
        [sys.executable, "-m", "dab", "serve", "--port", str(port)],
        env=environ,
        cwd=home,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/api/v1/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            process.kill()
            raise AssertionError(f"server did not start: {(home / 'server.log').read_text()[-2000:]}")
        yield LiveServer(base, process)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        process.wait(timeout=10)
        log.close()
