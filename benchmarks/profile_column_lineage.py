"""Where one model's column lineage costs CPU: phase timers, then (optionally) cProfile's top.

    python benchmarks/profile_column_lineage.py --models 1000 [--cprofile 30]

Derives every model of a synthetic project in this process, as a helper process does for its
chunks (with the rules' SQL-facts hook, as at ingestion), and prints the CPU milliseconds per
model of each phase: sqlglot's parse, the cheap resolver (or ``qualify``), the lineage walk,
cutting the tree's parent links, the facts hook, and the rest (packing the results). Then the
cost of what crosses between processes (pickling a chunk's tasks and results) and of mapping
the results to column URNs in the ingesting process (``assemble_lineage``).
"""

from __future__ import annotations

import argparse
import cProfile
import pickle
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from generate_dbt_project import generate_manifest

from dab.columnlineage import graph as lineage_graph
from dab.columnlineage import sql as lineage_sql
from dab.domain.gc_pause import rare_full_collections
from dab.ingest.dbt import parse_dbt
from dab.rules._sqlparse import from_tree

PHASES = {"_parse": "parse", "resolve": "resolve", "_walk": "walk", "_release": "release"}
spent: dict[str, float] = {}


def _timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.process_time() - started

    return timed


def _cpu(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.process_time()
    value = function()
    return time.process_time() - started, value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--cprofile", type=int, default=0, help="print this many rows of cProfile")
    args = parser.parse_args()
    manifest, catalog, run_results = generate_manifest(args.models, args.columns)
    plan = lineage_graph.plan_lineage(parse_dbt(manifest, catalog, run_results))
    tasks, count = plan.tasks, len(plan.tasks)
    originals = {attribute: getattr(lineage_sql, attribute) for attribute in PHASES}
    for attribute, name in PHASES.items():
        setattr(lineage_sql, attribute, _timed(name, originals[attribute]))
    hook = _timed("facts hook", from_tree)
    with rare_full_collections():  # as in a helper process
        lineage_graph.derive_tasks(tasks[:50], hook)  # warm: imports, sqlglot's caches
        spent.clear()
        total, results = _cpu(lambda: lineage_graph.derive_tasks(tasks, hook))
        spent["rest (packing, per-model set-up)"] = total - sum(spent.values())
        print(f"{count} models: {total:.2f} s CPU, {total / count * 1000:.3f} ms/model")
        for name, seconds in spent.items():
            print(f"  {name:<34} {seconds / count * 1000:6.3f} ms/model  {seconds / total:5.1%}")
        crossing, _ = _cpu(lambda: (pickle.loads(pickle.dumps(tasks)), pickle.loads(pickle.dumps(results))))
        assembly, _ = _cpu(lambda: lineage_graph.assemble_lineage(plan, results))
        print(f"  pickling tasks and results (both ways) {crossing / count * 1000:6.3f} ms/model")
        print(f"  assembling edges (ingesting process)   {assembly / count * 1000:6.3f} ms/model")
        for attribute, function in originals.items():  # cProfile sees the code untimed
            setattr(lineage_sql, attribute, function)
        if args.cprofile:
            profile = cProfile.Profile()
            profile.runcall(lineage_graph.derive_tasks, tasks, from_tree)
            pstats.Stats(profile).sort_stats("tottime").print_stats(args.cprofile)


if __name__ == "__main__":
    main()
