"""Reliability under load, against a real `uvicorn dab.api.main:app` on 127.0.0.1 (SQLite):

1. a gzip bomb (1.5 MB that inflates to 1.5 GiB) is refused with 413: the server's peak RSS;
2. health and liveness latency (``/api/v1/health`` and ``/api/v1/health/live``, each polled by
   one client every 10 ms) while a synthetic project is ingested in the server
   (``POST /ingest/dbt?wait=true``): does the event loop keep answering during parse, diff and
   write? The longest probe is the longest stall a client saw.

    python benchmarks/bench_reliability.py [--models 3000] [--repeat 3] [--skip-bomb]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

import httpx
import orjson
import psutil

sys.path.insert(0, str(Path(__file__).parent))

from generate_dbt_project import generate_manifest

KEY = "bench-key-0123456789"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _bomb(inflated: int) -> bytes:
    """gzip of ``inflated`` zero bytes, built in 64 MiB steps (never held whole)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"0" * (64 * 1024 * 1024)
    parts = [packer.compress(block) for _ in range(inflated // len(block))]
    return b"".join([*parts, packer.flush()])


class Server:
    def __init__(self, home: Path, worker: str = "process", log: Path | None = None) -> None:
        self.port = _free_port()
        env = {
            **os.environ,
            "DAB_HOME": str(home),
            "API_KEYS": KEY,
            "RATE_LIMIT_ENABLED": "false",
            "LOG_LEVEL": "WARNING",
            "DAB_INGEST_WORKER": worker,
        }
        command = [sys.executable, "-m", "uvicorn", "dab.api.main:app", "--port", str(self.port)]
        # With PYTHONASYNCIODEBUG=1 in the environment the log names every callback that held
        # the event loop longer than 100 ms (uvloop honours asyncio's debug mode).
        output = log.open("ab") if log else subprocess.DEVNULL
        self.process = subprocess.Popen(command, env=env, stdout=output, stderr=output)
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/health/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("server did not start")

    def rss(self) -> int:
        return int(psutil.Process(self.process.pid).memory_info().rss)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def bench_bomb(server: Server) -> None:
    bomb = _bomb(3 * 512 * 1024 * 1024)
    peak = server.rss()
    done = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, server.rss())
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    before = server.rss()
    started = time.perf_counter()
    response = httpx.post(
        f"{server.base}/ingest/dbt",
        params={"wait": "true"},
        files={"manifest": ("manifest.json.gz", bomb)},
        headers={"X-API-Key": KEY},
        timeout=300,
    )
    took = time.perf_counter() - started
    done.set()
    watcher.join()
    mib = 1024 * 1024
    print(
        f"gzip bomb: {len(bomb) / mib:.1f} MiB -> 1.5 GiB inflated: "
        f"HTTP {response.status_code} in {took:.2f} s; "
        f"server RSS {before / mib:.0f} MiB before, peak {peak / mib:.0f} MiB"
    )


def _percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, int(len(ordered) * share + 0.5) - 1))]


def _poll(url: str, latencies: list[float], done: threading.Event, pause: float) -> None:
    """One client probing ``url`` back to back (``pause`` between probes): a stall of the
    server's event loop shows up as a probe that takes that long."""
    with httpx.Client(timeout=60) as client:
        while not done.is_set():
            started = time.perf_counter()
            client.get(url)
            latencies.append((time.perf_counter() - started) * 1000)
            time.sleep(pause)


def bench_liveness(server: Server, models: int, pause: float = 0.01) -> None:
    manifest, catalog, _ = generate_manifest(models, 20, seed=7)
    body = orjson.dumps({"manifest": manifest, "catalog": catalog})
    del manifest, catalog
    probes = {"health": [], "health/live": []}  # type: dict[str, list[float]]
    done = threading.Event()
    pollers = [
        threading.Thread(target=_poll, args=(f"{server.base}/{path}", found, done, pause))
        for path, found in probes.items()
    ]
    for poller in pollers:
        poller.start()
    time.sleep(1)  # a second of idle probes first: the baseline is in the same series
    started = time.perf_counter()
    response = httpx.post(
        f"{server.base}/ingest/dbt",
        params={"wait": "true"},
        content=body,
        headers={"X-API-Key": KEY, "Content-Type": "application/json"},
        timeout=1800,
    )
    took = time.perf_counter() - started
    done.set()
    for poller in pollers:
        poller.join()
    print(
        f"{models}-model ingestion, {len(body) / 2**20:.0f} MiB JSON body: "
        f"HTTP {response.status_code} in {took:.1f} s, load average {os.getloadavg()[0]:.1f}"
    )
    for path, found in probes.items():
        ordered = sorted(found)
        print(
            f"  /{path}: {len(found)} probes, p50 {statistics.median(found):.1f} ms, "
            f"p95 {_percentile(ordered, 0.95):.1f} ms, p99 {_percentile(ordered, 0.99):.1f} ms, "
            f"max (longest stall) {ordered[-1]:.0f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=1, help="ingestions (a fresh server each)")
    parser.add_argument("--skip-bomb", action="store_true")
    parser.add_argument(
        "--worker",
        choices=["process", "thread"],
        default="process",
        help="DAB_INGEST_WORKER of the server: jobs in a child process, or in the server's threads",
    )
    parser.add_argument("--server-log", type=Path, help="append the server's output here")
    args = parser.parse_args()
    for run in range(args.repeat):
        with tempfile.TemporaryDirectory() as home:
            server = Server(Path(home), args.worker, args.server_log)
            print(f"DAB_INGEST_WORKER={args.worker}", flush=True)
            try:
                if run == 0 and not args.skip_bomb:
                    bench_bomb(server)
                bench_liveness(server, args.models)
            finally:
                server.stop()


if __name__ == "__main__":
    main()
