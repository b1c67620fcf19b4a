"""Conformance benchmark: load the graph from the database, evaluate every built-in rule, persist.

Generates (once) and ingests a synthetic dbt project into a fresh SQLite file (or the given
PostgreSQL database), then repeats: load_graph (the set-based reader, as conformance
evaluations load it: no column lineage, only the column fields rules read), evaluate (the pure
engine, all built-in rules), persist (run row + violation upsert + auto-resolve), all three with
full collections made rare, as the API's evaluation runs them. The first
persist inserts every violation, later ones update them. Reports medians (wall, and CPU
seconds of the process: on a shared machine the wall figure moves with the load) and peak RSS.

    python benchmarks/bench_conformance.py --models 10000 --columns 20 --repeat 3
    python benchmarks/bench_conformance.py --models 100000 --columns 5 --repeat 3
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_ingest import _ingest, _reset, artifacts_for

from dab.domain.gc_pause import rare_full_collections
from dab.rules import builtin_rules, evaluate
from dab.services.conformance_persist import persist_result
from dab.storage.db import create_engine, make_session_factory
from dab.storage.graph_reader import load_graph
from dab.storage.records import utcnow
from dab.storage.repositories.violations import RunScope


def _median(values: list[float], cpu: list[float]) -> str:
    runs = [round(v, 2) for v in values]
    cpu_runs = [round(v, 2) for v in cpu]
    wall = f"median {statistics.median(values):6.2f} s  runs {runs}"
    return f"{wall}  CPU median {statistics.median(cpu):.2f} s {cpu_runs}"


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _record(timings: dict[str, list[float]], name: str, since: tuple[float, float]) -> None:
    """Wall and CPU seconds since ``since`` (a ``_clock()``) under ``name`` and ``name cpu``."""
    wall, cpu = _clock()
    timings[name].append(wall - since[0])
    timings[f"{name} cpu"].append(cpu - since[1])


async def bench(url: str | None, models: int, columns: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as folder:  # the 10k database is ~350 MB
        await _bench(url or f"sqlite+aiosqlite:///{folder}/bench.sqlite3", models, columns, repeat)


async def _bench(db_url: str, models: int, columns: int, repeat: int) -> None:
    await _reset(db_url)
    ingest_seconds, _ = await _ingest(db_url, lambda: artifacts_for(models, columns))
    engine = create_engine(db_url)
    factory = make_session_factory(engine)
    rules = builtin_rules()
    timings: dict[str, list[float]] = defaultdict(list)
    violations = 0
    sizes = ""
    for _ in range(repeat):
        # As services/conformance_evaluate runs them: without this, the full collection that the
        # graph load leaves due (a million new objects) fell into "persist", timing the collector.
        with rare_full_collections():
            async with factory.begin() as session:
                started = _clock()
                graph = await load_graph(session, column_edges=False, for_rules=True)  # as the API does
                _record(timings, "load", started)
                started = _clock()
                result = evaluate(graph, rules)
                _record(timings, "evaluate", started)
                started = _clock()
                now = utcnow()
                await persist_result(
                    session, result, scope={"kind": "full"}, run_scope=RunScope(), started_at=now, now=now
                )
            _record(timings, "persist", started)  # the commit included
        violations = len(result.violations)
        sizes = f"{len(graph.capsules)} capsules, {len(graph.columns)} columns, {len(graph.tests)} tests"
    await engine.dispose()
    name = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{name}: {models} models x {columns} columns ({sizes}); {len(rules)} rules, {violations} violations"
    )
    print(f"  ingestion (setup, once)  {ingest_seconds:.2f} s")
    print(f"  load graph from DB       {_median(timings['load'], timings['load cpu'])}")
    print(f"  evaluate (engine)        {_median(timings['evaluate'], timings['evaluate cpu'])}")
    print(f"  persist (upsert)         {_median(timings['persist'], timings['persist cpu'])}")
    print(f"  peak RSS                 {peak_mb:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description="dab conformance benchmark")
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    asyncio.run(bench(args.database_url, args.models, args.columns, args.repeat))


if __name__ == "__main__":
    main()
