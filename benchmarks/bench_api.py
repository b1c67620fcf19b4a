"""Catalog API latency and throughput against a real `uvicorn dab.api.main:app` on 127.0.0.1.

Ingests a synthetic project (benchmarks/generate_dbt_project.py), then measures single-client
p50/p95 for get-by-URN, search and lineage depth 5 (first reads: cache misses; repeated reads:
cache hits), and requests/s at 16 connections with wrk (bounded duration, loopback only).

    python benchmarks/bench_api.py [--models 10000] [--samples 200] [--wrk-seconds 10]
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
from pathlib import Path
from urllib.parse import quote

import httpx
import orjson
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).parent))

from generate_dbt_project import generate_manifest

from dab.settings import normalize_database_url
from dab.storage import migrate

KEY = "bench-key-0123456789"
TARGETS_MS = {"get": 10.0, "search": 50.0, "lineage5": 50.0}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _recreate_pg(url: str) -> None:
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
        await conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{parsed.database}"')
    finally:
        await conn.close()


def prepare_database(base: str | None, workdir: Path) -> str:
    if base:
        url = make_url(normalize_database_url(base))
        url_text = url.set(database=f"{url.database}_bench").render_as_string(hide_password=False)
        asyncio.run(_recreate_pg(url_text))
    else:
        url_text = f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
    migrate.upgrade(url_text)
    return url_text


@contextmanager
def server(database_url: str, workdir: Path, *, cache: bool) -> Iterator[str]:
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
    ]
    log = (workdir / "server.log").open("ab")
    process = subprocess.Popen([*command, "--no-access-log"], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
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
        "lineage5": [f"/api/v1/capsules/{quote(u, safe=':')}/lineage?direction=both&depth=5" for u in picked],
    }


def single_client(base: str, paths: dict[str, list[str]]) -> dict[str, dict[str, tuple[float, float]]]:
    out: dict[str, dict[str, tuple[float, float]]] = {}
    with httpx.Client(base_url=base, headers={"X-API-Key": KEY}, timeout=60) as client:
        # Warm-up on other requests: after a bulk ingestion SQLite's first connections checkpoint the WAL.
        _time(client, [f"/api/v1/capsules?limit=1&offset={i}" for i in range(50)])
        for name, batch in paths.items():
            client.get(batch[0])  # connection warm-up
            cold = _time(client, batch[1:])
            warm = _time(client, batch[1:])
            out[name] = {"miss": _percentiles(cold), "hit": _percentiles(warm)}
    return out


WRK_SCRIPT = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = (i %% #paths) + 1
  return wrk.format("GET", paths[i], {["X-API-Key"] = "%s"})
end
"""


def wrk(base: str, paths: list[str], seconds: int, workdir: Path, label: str) -> float | None:
    binary = shutil.which("wrk")
    if binary is None:
        print("  wrk not installed; skipping throughput")
        return None
    (workdir / f"{label}.paths").write_text("\n".join(paths) + "\n")
    script = workdir / f"{label}.lua"
    script.write_text(WRK_SCRIPT % (workdir / f"{label}.paths", KEY))
    command = [binary, "-t4", "-c16", f"-d{seconds}s", "-s", str(script), base]
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30).stdout
    line = next((row for row in output.splitlines() if row.startswith("Requests/sec")), "")
    errors = next((row.strip() for row in output.splitlines() if "Non-2xx" in row), "")
    if errors:
        print(f"  wrk {label}: {errors}; server log: {workdir / 'server.log'}")
        problems = [
            row for row in (workdir / "server.log").read_text().splitlines() if '"level": "error"' in row
        ]
        print("\n".join(problems[-3:]))
    return float(line.split()[-1]) if line else None


def report(
    engine: str, results: dict[str, dict[str, tuple[float, float]]], rps: dict[str, float | None]
) -> None:
    print(f"\n## {engine}: single client (ms)")
    print("| request | miss p50 | miss p95 | hit p50 | hit p95 | target p95 |")
    print("|---|---|---|---|---|---|")
    for name, res in results.items():
        (mp50, mp95), (hp50, hp95) = res["miss"], res["hit"]
        ok = "ok" if mp95 <= TARGETS_MS[name] else "MISSED"
        target = f"{TARGETS_MS[name]:.0f} ({ok} uncached)"
        print(f"| {name} | {mp50:.2f} | {mp95:.2f} | {hp50:.2f} | {hp95:.2f} | {target} |")
    print(f"\n## {engine}: wrk, 16 connections")
    for label, value in rps.items():
        print(f"| {label} | {value if value is None else round(value)} req/s |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--wrk-seconds", type=int, default=10)
    args = parser.parse_args()
    base_url = os.environ.get("DAB_BENCH_DATABASE_URL")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = prepare_database(base_url, workdir)
        engine = make_url(url).get_backend_name()
        with server(url, workdir, cache=True) as base:
            seconds = ingest(base, args.models, args.columns)
            print(f"{engine}: ingested {args.models} models x {args.columns} columns in {seconds:.1f}s")
            with httpx.Client(base_url=base, headers={"X-API-Key": KEY}, timeout=60) as client:
                urns = _urns(client)
            paths = workloads(urns, args.samples, random.Random(1))
            results = single_client(base, paths)
            rps = {
                "get, cached (rotating 200 URNs)": wrk(base, paths["get"], args.wrk_seconds, workdir, "get"),
                "search, cached (200 queries)": wrk(
                    base, paths["search"], args.wrk_seconds, workdir, "search"
                ),
            }
        with server(url, workdir, cache=False) as base:
            many = workloads(urns, min(len(urns), 2000), random.Random(2))
            rps["get, cache disabled"] = wrk(base, many["get"], args.wrk_seconds, workdir, "get_nocache")
            rps["lineage depth 5, cache disabled"] = wrk(
                base, many["lineage5"], args.wrk_seconds, workdir, "lin_nocache"
            )
        report(engine, results, rps)


if __name__ == "__main__":
    main()
