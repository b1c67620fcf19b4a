"""Graph export: time and server memory per format, whole graph with and without columns, and
lineage-subgraph export latency, against a real `uvicorn dab.api.main:app` on 127.0.0.1.

Ingests a synthetic project (benchmarks/generate_dbt_project.py; 10k models x 20 columns by
default), restarts the server on the same database, then downloads each export (streamed) and
samples the server's RSS every 10 ms: ``peak +MiB`` is the highest RSS seen during the export
minus the RSS just before it, i.e. what the export itself holds.

    python benchmarks/bench_export.py [--models 10000] [--repeat 3] [--lineage-samples 100]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).parent))

from bench_api import KEY, _percentiles, _urns, ingest, prepare_database, server

FORMATS = ("graphml", "dot", "cypher", "mermaid", "json-ld")
TARGETS_S = {"mermaid": 1.0, "graphml": 1.0}
MIB = 1024 * 1024


def _server_process(base: str) -> psutil.Process:
    port = int(base.rsplit(":", 1)[1])
    for conn in psutil.net_connections(kind="tcp"):
        if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
            return psutil.Process(conn.pid)
    raise RuntimeError("server process not found")


def _download(
    client: httpx.Client, path: str, params: dict[str, str], proc: psutil.Process
) -> tuple[float, int, float]:
    """Seconds to the last byte, bytes, and the server's peak RSS growth (MiB) meanwhile."""
    before = proc.memory_info().rss
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    size = 0
    start = time.perf_counter()
    with client.stream("GET", path, params=params) as response:
        assert response.status_code == 200, response.read()[:300]
        for chunk in response.iter_raw():
            size += len(chunk)
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    return elapsed, size, (peak[0] - before) / MIB


def whole_graph(client: httpx.Client, proc: psutil.Process, repeat: int, *, columns_too: bool) -> None:
    print("| Format | Columns | Median | Size | Peak RSS growth |")
    print("|---|---|---|---|---|")
    for columns in (False, True) if columns_too else (False,):
        for name in FORMATS:
            params = {"format": name, "include_columns": str(columns).lower()}
            runs = [
                _download(client, "/api/v1/graph/export", params, proc)
                for _ in range(repeat if not columns else 1)
            ]
            median = statistics.median(r[0] for r in runs)
            target = TARGETS_S.get(name) if not columns else None
            mark = (
                ""
                if target is None
                else (" (met)" if median <= target else f" (**target {target} s missed**)")
            )
            size, growth = runs[0][1] / MIB, max(r[2] for r in runs)
            print(
                f"| {name} | {'yes' if columns else 'no'} | {median:.2f} s{mark} |"
                f" {size:.1f} MiB | {growth:.0f} MiB |"
            )


def lineage(client: httpx.Client, urns: list[str], samples: int) -> None:
    rng = random.Random(11)
    picked = rng.sample(urns, min(samples, len(urns)))
    for name in ("mermaid", "graphml"):
        for urn in urns[:20]:  # warm-up: first compilations of the statements, connection pool
            client.get(f"/api/v1/graph/export/lineage/{quote(urn, safe=':')}", params={"format": name})
        timings = []
        for urn in picked:
            start = time.perf_counter()
            response = client.get(
                f"/api/v1/graph/export/lineage/{quote(urn, safe=':')}", params={"format": name, "depth": 3}
            )
            timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        p50, p95 = _percentiles(timings)
        print(f"lineage export depth 3 ({name}): p50 {p50:.1f} ms, p95 {p95:.1f} ms (target p95 <= 50 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description="dab graph export benchmark")
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lineage-samples", type=int, default=100)
    parser.add_argument("--skip-columns", action="store_true", help="only the exports without columns")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = prepare_database(None, workdir)
        with server(url, workdir, cache=False) as base:
            print(f"ingested {args.models} models in {ingest(base, args.models, args.columns):.1f} s")
        with server(url, workdir, cache=False) as base:
            proc = _server_process(base)
            with httpx.Client(base_url=base, headers={"X-API-Key": KEY}, timeout=600) as client:
                urns = _urns(client)
                whole_graph(client, proc, args.repeat, columns_too=not args.skip_columns)
                lineage(client, urns, args.lineage_samples)


if __name__ == "__main__":
    main()
