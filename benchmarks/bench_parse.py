"""Time parse_dbt on synthetic projects (median of 5) and report peak RSS.

python benchmarks/bench_parse.py [--sizes 1000 10000] [--columns 20]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from generate_dbt_project import generate_manifest

from dab.ingest.dbt import parse_dbt


def bench(n_models: int, n_columns: int, repeat: int = 5) -> tuple[float, int, int]:
    manifest, catalog, run_results = generate_manifest(n_models, n_columns)
    timings = []
    graph = None
    for _ in range(repeat):
        start = time.perf_counter()
        graph = parse_dbt(manifest, catalog, run_results)
        timings.append(time.perf_counter() - start)
    assert graph is not None
    return statistics.median(timings), len(graph.capsules), len(graph.columns)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--columns", type=int, default=20)
    args = parser.parse_args()
    for size in args.sizes:
        median, capsules, columns = bench(size, args.columns)
        counts = f"{capsules} capsules, {columns} columns"
        print(f"{size:>6} models x {args.columns} cols: median {median:.3f}s ({counts})")
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(f"peak RSS (generator + parser): {peak_kib / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
