"""Catalog API latency and throughput against a real `uvicorn dab.api.main:app` on 127.0.0.1.

Ingests a synthetic project (benchmarks/generate_dbt_project.py), then measures single-client
p50/p95 for get-by-URN, search and lineage depth 5 (first reads: cache misses; repeated reads:
cache hits), then one wrk table (``wrk -t1 -c16``: p50/p95/p99 and requests/s, engine, workers,
load average) beside the runbook's "Performance Benchmarks" rows: health, liveness, get by URN
and search cached and uncached, lineage depth 5 uncached. `make bench` runs it.

    python benchmarks/bench_api.py [--models 10000] [--samples 200] [--wrk-seconds 10] [--workers 1]
    DAB_BENCH_DATABASE_URL=postgresql+asyncpg://dab:dab@127.0.0.1:5432/dab python benchmarks/bench_api.py

With PostgreSQL a separate database ``<name>_bench`` is (re)created, never the one named.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import orjson
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).parent))

from generate_dbt_project import generate_manifest
from server_cpu import tree_cpu_seconds

from dab.settings import normalize_database_url
from dab.storage import migrate

KEY = "bench-key-0123456789"
SERVER_PIDS: dict[str, int] = {}  # base URL -> uvicorn's process id, for its CPU per request
TARGETS_MS = {"get": 10.0, "search": 10.0, "lineage5": 50.0, "capsules_q": 10.0, "columns_q": 10.0}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _recreate_pg(url: str, *, keep: bool = False) -> None:
    import asyncpg

    parsed = make_url(url)
    conn = await asyncpg.connect(
        user=parsed.username,
        password=parsed.password,
        host=parsed.host,
        port=parsed.port or 5432,
        database="postgres",
    )
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", parsed.database)
        if keep and exists:
            return
        await conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{parsed.database}"')
    finally:
        await conn.close()


def prepare_database(base: str | None, workdir: Path, *, keep: bool = False) -> str:
    """A fresh database, or with ``keep`` the one a previous ``--keep`` run left (re-measuring
    a change then skips the 10k-model ingestion)."""
    if base:
        url = make_url(normalize_database_url(base))
        url_text = url.set(database=f"{url.database}_bench").render_as_string(hide_password=False)
        asyncio.run(_recreate_pg(url_text, keep=keep))
    else:
        url_text = f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
    migrate.upgrade(url_text)
    return url_text


@contextmanager
def server(database_url: str, workdir: Path, *, cache: bool, workers: int = 1) -> Iterator[str]:
    port = _free_port()
    env = os.environ | {
        "ENVIRONMENT": "test",
        "DATABASE_URL": database_url,
        "API_KEYS": KEY,
        "RATE_LIMIT_ENABLED": "false",
        "CACHE_ENABLED": str(cache).lower(),
        "CACHE_REDIS_URL": "",
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
        "DAB_HOME": str(workdir / "home"),
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "dab.api.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    log = (workdir / "server.log").open("ab")
    process = subprocess.Popen([*command, "--no-access-log"], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    SERVER_PIDS[base] = process.pid
    try:
        # Generous: on a loaded machine starting the workers alone has taken over 30 s.
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
            if time.monotonic() > deadline or process.poll() is not None:
                log.flush()
                tail = (workdir / "server.log").read_text()[-2000:]
                raise SystemExit(f"the server did not become healthy; its log ends with:\n{tail}")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def ingest(base: str, n_models: int, n_columns: int) -> float:
    manifest, catalog, run_results = generate_manifest(n_models, n_columns)
    body = orjson.dumps({"manifest": manifest, "catalog": catalog, "run_results": run_results})
    start = time.perf_counter()
    response = httpx.post(
        f"{base}/api/v1/ingest/dbt?wait=true",
        content=body,
        headers={"X-API-Key": KEY, "Content-Type": "application/json"},
        timeout=1800,
    )
    response.raise_for_status()
    return time.perf_counter() - start


def _capsule_total(base: str) -> int:
    page = httpx.get(f"{base}/api/v1/capsules?limit=1", headers={"X-API-Key": KEY}, timeout=60).json()
    return int(page["total"])


def _urns(client: httpx.Client) -> list[str]:
    urns: list[str] = []
    for offset in range(0, 20_000, 1000):
        page = client.get("/api/v1/capsules", params={"limit": 1000, "offset": offset, "sort": "urn"}).json()
        urns += [c["urn"] for c in page["data"] if c["capsule_type"] == "model"]
        if offset + 1000 >= page["total"]:
            break
    return urns


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def _time(client: httpx.Client, paths: list[str]) -> list[float]:
    timings = []
    for path in paths:
        start = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.text[:200])
    return timings


def workloads(urns: list[str], samples: int, rng: random.Random) -> dict[str, list[str]]:
    picked = rng.sample(urns, min(samples, len(urns)))
    words = [u.rsplit(":", 1)[1] for u in rng.sample(urns, samples)]
    terms = [w[: rng.randint(3, len(w))] for w in words]
    return {
        "get": [f"/api/v1/capsules/{quote(u, safe=':')}" for u in picked],
        "search": [f"/api/v1/search?q={quote(t)}&limit=20" for t in terms],
        "capsules_q": [f"/api/v1/capsules?q={quote(t)}&limit=20" for t in terms],
        "columns_q": [f"/api/v1/columns?q={quote(t)}&limit=20" for t in terms],
        "lineage5": [f"/api/v1/capsules/{quote(u, safe=':')}/lineage?direction=both&depth=5" for u in picked],
    }


def single_client(base: str, paths: dict[str, list[str]]) -> dict[str, dict[str, tuple[float, float]]]:
    out: dict[str, dict[str, tuple[float, float]]] = {}
    with httpx.Client(base_url=base, headers={"X-API-Key": KEY}, timeout=60) as client:
        # Warm-up on other requests: after a bulk ingestion SQLite's first connections checkpoint the WAL.
        _time(client, [f"/api/v1/capsules?limit=1&offset={i}" for i in range(50)])
        for name, batch in paths.items():
            if name not in TARGETS_MS:
                continue
            client.get(batch[0])  # connection warm-up
            cold = _time(client, batch[1:])
            warm = _time(client, batch[1:])
            out[name] = {"miss": _percentiles(cold), "hit": _percentiles(warm)}
    return out


def warm(base: str, paths: list[str]) -> None:
    """One read of each path, so a cached row measures hits: without it a 5 s row of 200
    searches spent its first seconds on misses (the single-client table warms them otherwise)."""
    with httpx.Client(base_url=base, headers={"X-API-Key": KEY}, timeout=60) as client:
        _time(client, paths)


WRK_SCRIPT = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = (i %% #paths) + 1
  return wrk.format("GET", paths[i], {["X-API-Key"] = "%s"})
end
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("DAB %%d %%d %%.3f %%.3f %%.3f %%.3f\\n", summary.requests, bad,
    summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000))
end
"""


@dataclass(frozen=True)
class WrkResult:
    rps: float
    p50: float
    p95: float
    p99: float
    errors: int
    load: float  # 1-minute load average when the run ended
    cpu_ms: float | None = None  # the server's CPU (user + system) per request


def wrk(base: str, paths: list[str], seconds: int, workdir: Path, label: str) -> WrkResult | None:
    """``wrk -t1 -c16`` on ``paths`` in turn: requests/s and latency percentiles (ms)."""
    binary = shutil.which("wrk")
    if binary is None:
        print("  wrk not installed (apt-get install wrk); skipping throughput")
        return None
    (workdir / f"{label}.paths").write_text("\n".join(paths) + "\n")
    script = workdir / f"{label}.lua"
    script.write_text(WRK_SCRIPT % (workdir / f"{label}.paths", KEY))
    command = [binary, "-t1", "-c16", f"-d{seconds}s", "-s", str(script), base]
    pid = SERVER_PIDS.get(base)
    cpu_before = tree_cpu_seconds(pid) if pid else 0.0
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30).stdout
    cpu = tree_cpu_seconds(pid) - cpu_before if pid else None
    line = next((row for row in output.splitlines() if row.startswith("DAB ")), "")
    if not line:
        print(f"  wrk {label}: no result\n{output}")
        return None
    _, requests, bad, rps, p50, p95, p99 = line.split()
    cpu_ms = cpu * 1000 / int(requests) if cpu is not None and int(requests) else None
    if int(bad):
        print(f"  wrk {label}: {bad} failed requests; server log: {workdir / 'server.log'}")
        problems = [
            row
            for row in (workdir / "server.log").read_text().splitlines()
            if '"level":"error"' in row.replace(" ", "")
        ]
        print("\n".join(problems[-3:]))
    return WrkResult(float(rps), float(p50), float(p95), float(p99), int(bad), os.getloadavg()[0], cpu_ms)


def report(engine: str, results: dict[str, dict[str, tuple[float, float]]]) -> None:
    print(f"\n## {engine}: single client (ms)")
    print("| request | miss p50 | miss p95 | hit p50 | hit p95 | target p95 |")
    print("|---|---|---|---|---|---|")
    for name, res in results.items():
        (mp50, mp95), (hp50, hp95) = res["miss"], res["hit"]
        ok = "ok" if mp95 <= TARGETS_MS[name] else "MISSED"
        target = f"{TARGETS_MS[name]:.0f} ({ok} uncached)"
        print(f"| {name} | {mp50:.2f} | {mp95:.2f} | {hp50:.2f} | {hp95:.2f} | {target} |")


# The runbook's "Performance Benchmarks" rows each measured row stands beside.
RUNBOOK = {
    "health": ("Health check", "< 10ms", "10,000 req/s"),
    "health_live": ("Health check (liveness)", "< 10ms", "10,000 req/s"),
    "get_cached": ("Get capsule by URN (cached)", "< 50ms", "5,000 req/s"),
    "get_uncached": ("Get capsule by URN (uncached)", "< 50ms", "5,000 req/s"),
    "search_cached": ("Search capsules (cached)", "< 200ms", "1,000 req/s"),
    "search_uncached": ("Search capsules (uncached)", "< 200ms", "1,000 req/s"),
    "lineage5_uncached": ("Lineage query (depth 5, uncached)", "< 500ms", "500 req/s"),
    "capsules_q_uncached": ("Search capsules (list ?q=, uncached)", "< 200ms", "1,000 req/s"),
    "columns_q_uncached": ("Search columns (list ?q=, uncached)", "< 200ms", "1,000 req/s"),
}


# wrk row -> the workload it rotates over (health rows: one fixed path).
CACHED_ROWS = {"health": "", "health_live": "", "get_cached": "get", "search_cached": "search"}
UNCACHED_ROWS = {
    "get_uncached": "get",
    "search_uncached": "search",
    "lineage5_uncached": "lineage5",
    "capsules_q_uncached": "capsules_q",
    "columns_q_uncached": "columns_q",
}


def wrk_table(engine: str, workers: int, rows: dict[str, WrkResult | None]) -> None:
    print(f"\n## {engine}: wrk -t1 -c16, {workers} worker(s), beside the runbook's targets")
    header = ("runbook row", "runbook p95", "runbook rate", "p50 ms", "p95 ms", "p99 ms", "req/s")
    print("| " + " | ".join((*header, "server CPU ms/req", "engine", "workers", "load")) + " |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for key, result in rows.items():
        row, p95, rate = RUNBOOK[key]
        if result is None:
            print(f"| {row} | {p95} | {rate} | - | - | - | - | - | {engine} | {workers} | - |")
            continue
        cpu = "-" if result.cpu_ms is None else f"{result.cpu_ms:.3f}"
        print(
            f"| {row} | {p95} | {rate} | {result.p50:.2f} | {result.p95:.2f} | {result.p99:.2f} "
            f"| {result.rps:,.0f} | {cpu} | {engine} | {workers} | {result.load:.2f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--no-single-client", action="store_true", help="only the wrk table")
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="keep the SQLite file here (PostgreSQL: keep the _bench database) and reuse it next time",
    )
    parser.add_argument(
        "--rows", nargs="+", choices=list(RUNBOOK), default=list(RUNBOOK), help="wrk rows to run"
    )
    args = parser.parse_args()
    base_url = os.environ.get("DAB_BENCH_DATABASE_URL")
    seconds_each = args.wrk_seconds
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
        url = prepare_database(base_url, args.keep or workdir, keep=args.keep is not None)
        engine = make_url(url).get_backend_name()
        rows: dict[str, WrkResult | None] = {}
        with server(url, workdir, cache=True, workers=args.workers) as base:
            if _capsule_total(base) == 0:
                seconds = ingest(base, args.models, args.columns)
                print(f"{engine}: ingested {args.models} models x {args.columns} columns in {seconds:.1f}s")
            with httpx.Client(base_url=base, headers={"X-API-Key": KEY}, timeout=60) as client:
                urns = _urns(client)
            paths = workloads(urns, args.samples, random.Random(1))
            if not args.no_single_client:
                report(engine, single_client(base, paths))
            else:
                warm(base, [path for key in CACHED_ROWS.values() if key for path in paths[key]])
            for key in (k for k in CACHED_ROWS if k in args.rows):
                batch = ["/api/v1/health"] if key == "health" else paths.get(CACHED_ROWS[key], [])
                batch = ["/api/v1/health/live"] if key == "health_live" else batch
                rows[key] = wrk(base, batch, seconds_each, workdir, key)
        uncached = [k for k in UNCACHED_ROWS if k in args.rows]
        if uncached:
            with server(url, workdir, cache=False, workers=args.workers) as base:
                many = workloads(urns, min(len(urns), 5000), random.Random(2))
                for key in uncached:
                    rows[key] = wrk(base, many[UNCACHED_ROWS[key]], seconds_each, workdir, key)
        wrk_table(engine, args.workers, {key: rows.get(key) for key in RUNBOOK if key in args.rows})


if __name__ == "__main__":
    main()
