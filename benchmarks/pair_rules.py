"""Paired CPU comparison of two trees' rule engines in one process, on one loaded graph.

On a shared machine the load moves CPU time itself by up to 2x between minutes, so two
benchmark runs a minute apart compare the minutes as much as the code. Here another tree's
``dab.rules`` package (``--other-src``, e.g. main's ``src``) is imported beside this tree's,
both evaluate the same graph alternately (the order swapped every pair), each evaluation's
CPU seconds are recorded and every pair's results are compared for equality.

    python benchmarks/pair_rules.py --other-src /path/to/main/src --workdir /tmp/dab-rules --pairs 10

Only ``dab.rules`` is swapped: the other tree's domain classes must be this tree's (the graph
is loaded once, by this tree).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "unit" / "rules"))
from profile_rules import _graph
from test_evaluation_golden import result_digest

import dab
import dab.rules


def _swap_rules(other_src: Path) -> ModuleType:
    """Import ``other_src``'s ``dab.rules`` as a second package object; this tree's stays loaded
    under the usual names (each module keeps the objects it imported)."""
    ours = {name: mod for name, mod in sys.modules.items() if name.startswith("dab.rules")}
    for name in ours:
        del sys.modules[name]
    saved_path = list(dab.__path__)
    dab.__path__.insert(0, str(other_src / "dab"))
    try:
        theirs = importlib.import_module("dab.rules")
    finally:
        dab.__path__[:] = saved_path
        for name in [n for n in sys.modules if n.startswith("dab.rules")]:
            del sys.modules[name]
        sys.modules.update(ours)
        dab.rules = ours["dab.rules"]
    return theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--other-src", type=Path, required=True, help="the other tree's src folder")
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--pairs", type=int, default=10)
    args = parser.parse_args()
    graph = asyncio.run(_graph(args.workdir, args.models, args.columns))
    other = _swap_rules(args.other_src.resolve())
    engines = {
        "this": (dab.rules.evaluate, dab.rules.builtin_rules()),
        "other": (other.evaluate, other.builtin_rules()),
    }
    for evaluate, rules in engines.values():
        evaluate(graph, rules)  # cold: fills the SQL facts memo of both
    times: dict[str, list[float]] = {"this": [], "other": []}
    for pair in range(args.pairs):
        order = ["this", "other"] if pair % 2 else ["other", "this"]
        results = {}
        for name in order:
            evaluate, rules = engines[name]
            started = time.process_time()
            results[name] = evaluate(graph, rules)
            times[name].append(time.process_time() - started)
        if result_digest(results["this"]) != result_digest(results["other"]):  # field by field
            raise SystemExit(f"pair {pair}: the two trees' results differ")
    ratios = [t / o for t, o in zip(times["this"], times["other"], strict=True)]
    for name, values in times.items():
        runs = [round(v, 3) for v in values]
        print(f"{name:5} median {statistics.median(values):.3f} s CPU, runs {runs}")
    spread = f"{min(ratios):.2f}-{max(ratios):.2f}"
    print(f"this / other: median of pair ratios {statistics.median(ratios):.3f} ({spread})")


if __name__ == "__main__":
    main()
