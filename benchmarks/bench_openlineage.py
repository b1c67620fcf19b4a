"""OpenLineage ingestion through the API: 10,000 events in batches of 100 against a real
`uvicorn dab.api.main:app`, one client posting batch after batch (``--concurrency N``: N clients,
each posting every N-th batch).

Events are START + COMPLETE pairs of runs of 500 jobs, each reading two of 1,500 tables and
writing a third, with a 10-field schema facet and a 5-field columnLineage facet on the output.
Reports events/s over the whole load, the median and p95 latency of one batch and the server's
CPU milliseconds per event (user + system of the uvicorn process: the figure that survives a
loaded machine), on PostgreSQL also the CPU its backends for the database used per event (the
server must run on this machine), then the same events sent again (all duplicates).

    python benchmarks/bench_openlineage.py
    python benchmarks/bench_openlineage.py --database-url postgresql+asyncpg://dab:dab@127.0.0.1:5432/dab
    python benchmarks/bench_openlineage.py --database-url ... --analyze-after 5

``--analyze-after N`` takes the database's statistics after batch N (as autovacuum does about
a minute into a new database), so that the plans of an analyzed database are measured too.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from bench_api import KEY, SERVER_PIDS, prepare_database, server
from server_cpu import backend_cpu_seconds, grown, tree_cpu_seconds
from sqlalchemy.ext.asyncio import create_async_engine

NS = "postgres://warehouse.example.com:5432"
FACET = {"_producer": "https://example.com/bench", "_schemaURL": "https://openlineage.io/spec/facets/x.json"}


def _table(i: int) -> str:
    return f"analytics.raw.table_{i:04d}"


def _output(i: int, inputs: list[int]) -> dict[str, Any]:
    fields = [{"name": f"col_{c}", "type": "integer"} for c in range(10)]
    lineage = {
        f"col_{c}": {
            "inputFields": [
                {"namespace": NS, "name": _table(inputs[c % 2]), "field": f"col_{c}",
                 "transformations": [{"type": "DIRECT", "subtype": "IDENTITY"}]}
            ]
        }
        for c in range(5)
    }  # fmt: skip
    return {
        "namespace": NS,
        "name": _table(i),
        "facets": {"schema": {**FACET, "fields": fields}, "columnLineage": {**FACET, "fields": lineage}},
    }


def events(count: int, rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for run in range(count // 2):
        job = run % 500
        inputs = rng.sample(range(1500), 2)
        target = (job * 3) % 1500
        run_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        for state, minute in (("START", 0), ("COMPLETE", 5)):
            out.append(
                {
                    "eventType": state,
                    "eventTime": f"2026-11-{1 + run // 2000:02d}T{run % 24:02d}:{minute:02d}:{run % 60:02d}Z",
                    "producer": "https://example.com/bench",
                    "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
                    "run": {"runId": run_id},
                    "job": {"namespace": "airflow", "name": f"dag_{job // 10}.task_{job}"},
                    "inputs": [{"namespace": NS, "name": _table(i)} for i in inputs],
                    "outputs": [_output(target, inputs)],
                }
            )
    return out


def post_all(
    base: str,
    all_events: list[dict[str, Any]],
    batch: int,
    concurrency: int = 1,
    after: Callable[[int], None] | None = None,
) -> tuple[float, list[float], int]:
    """Post the batches in order, from ``concurrency`` clients at once (batch i from client
    i mod concurrency): with one, each batch waits for the previous one's response.
    ``after(i)`` runs once batch i is answered (between requests with one client)."""
    batches = [all_events[i : i + batch] for i in range(0, len(all_events), batch)]

    def client_posts(first: int) -> tuple[list[float], int]:
        latencies: list[float] = []
        applied = 0
        with httpx.Client(base_url=base, headers={"X-API-Key": KEY}, timeout=120) as client:
            for index in range(first, len(batches), concurrency):
                t0 = time.perf_counter()
                response = client.post("/api/v1/lineage", json=batches[index])
                latencies.append(time.perf_counter() - t0)
                response.raise_for_status()
                applied += response.json()["applied"]
                if after is not None:
                    after(index)
        return latencies, applied

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(client_posts, range(concurrency)))
    total = time.perf_counter() - start
    return total, [t for latencies, _ in results for t in latencies], sum(n for _, n in results)


def _analyze_after(url: str, batch: int) -> Callable[[int], None]:
    """``ANALYZE`` the database once batch ``batch`` is answered: the statistics autovacuum
    takes of a young database at its first nap (60 s), here at a chosen size."""

    def after(index: int) -> None:
        if index == batch:
            asyncio.run(_analyze(url))

    return after


async def _analyze(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.exec_driver_sql("ANALYZE")
    finally:
        await engine.dispose()


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] if len(samples) >= 20 else max(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--database-url", default=None, help="PostgreSQL base URL (default: SQLite file)")
    parser.add_argument(
        "--concurrency", type=int, default=1, help="clients posting at once (the issue's target: 1)"
    )
    parser.add_argument(
        "--analyze-after", type=int, default=-1, metavar="N", help="PostgreSQL: ANALYZE after batch N"
    )
    args = parser.parse_args()
    load = events(args.events, random.Random(16))
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        url = prepare_database(args.database_url, workdir)
        engine = "postgresql" if args.database_url else "sqlite"
        with server(url, workdir, cache=True) as base:
            pid = SERVER_PIDS[base]
            for label in ("first delivery", "sent again (duplicates)"):
                backends = backend_cpu_seconds(url) if args.database_url else {}
                cpu_before = tree_cpu_seconds(pid)
                after = None
                if args.database_url and args.analyze_after >= 0 and label == "first delivery":
                    after = _analyze_after(url, args.analyze_after)
                total, latencies, applied = post_all(base, load, args.batch, args.concurrency, after)
                cpu_ms = (tree_cpu_seconds(pid) - cpu_before) * 1000 / len(load)
                database = ""
                if args.database_url:
                    database_ms = grown(backends, backend_cpu_seconds(url)) * 1000 / len(load)
                    database = f", PostgreSQL backends' CPU {database_ms:.3f} ms/event"
                median_ms = statistics.median(latencies) * 1000
                print(
                    f"{engine} {label}: {len(load)} events in {len(latencies)} batches of {args.batch} "
                    f"from {args.concurrency} client(s): "
                    f"{len(load) / total:,.0f} events/s (target 2,000), batch median {median_ms:.1f} ms, "
                    f"p95 {_p95(latencies) * 1000:.1f} ms, server CPU {cpu_ms:.3f} ms/event, "
                    f"applied {applied}{database}"
                )


if __name__ == "__main__":
    main()
