"""Column lineage alone: sqlglot over every model's compiled SQL of a synthetic project.

    python benchmarks/bench_column_lineage.py --models 1000 [--workers 1 2] [--repeat 3]

Prints wall and CPU seconds (this process; helper processes' CPU is not included) per run,
the median, milliseconds per model, the edges found and the coverage.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import anyio
from generate_dbt_project import generate_manifest

from dab.columnlineage.graph import assemble_lineage, plan_lineage
from dab.domain.gc_pause import gc_frozen, rare_full_collections
from dab.ingest.dbt import parse_dbt
from dab.services.lineage_workers import derive_spread, start_helpers


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[1])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    manifest, catalog, run_results = generate_manifest(args.models, args.columns)
    graph = parse_dbt(manifest, catalog, run_results)
    for workers in args.workers:
        walls, cpus = [], []
        start_helpers(workers, args.models)  # started once per process, as in a server
        for _ in range(args.repeat):
            cpu, started = _cpu(), time.perf_counter()
            with gc_frozen(), rare_full_collections():  # as at ingestion
                plan = plan_lineage(graph)
                result = assemble_lineage(plan, anyio.run(derive_spread, plan.tasks, workers))
            walls.append(time.perf_counter() - started)
            cpus.append(_cpu() - cpu)
        wall, cpu_median = statistics.median(walls), statistics.median(cpus)
        coverage = {k: v for k, v in result.coverage.items() if k in ("full", "partial", "none")}
        print(
            f"{args.models} models x {args.columns} cols, {workers} worker(s): wall median {wall:.2f} s "
            f"({wall / args.models * 1000:.1f} ms/model), CPU median {cpu_median:.2f} s, "
            f"{len(result.edges)} edges, {coverage}"
        )


if __name__ == "__main__":
    main()
