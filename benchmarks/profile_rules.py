"""Per-rule cost of a warm conformance evaluation, and a digest of its result.

Ingests the synthetic project once into ``--workdir`` (kept between runs: only the first pays
the ingestion), loads the graph as the API does, evaluates once to warm the SQL facts memo, then
times the whole evaluation and each built-in rule's step inside it (medians of ``--repeat``, CPU
seconds).
``--digest`` prints a SHA-256 of the whole result (violations with fingerprints and messages,
tallies, scores), so two trees can be compared on the same database:

    python benchmarks/profile_rules.py --models 10000 --workdir /tmp/dab-rules --repeat 5
    python benchmarks/profile_rules.py --workdir /tmp/dab-rules --cprofile /tmp/rules.prof
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "unit" / "rules"))
from bench_ingest import _ingest, _reset, artifacts_for
from test_evaluation_golden import result_digest

from dab.domain.graph import Graph
from dab.rules import Rule, builtin_rules, engine, evaluate
from dab.storage.db import create_engine, make_session_factory
from dab.storage.graph_reader import load_graph


async def _graph(workdir: Path, models: int, columns: int) -> Graph:
    database = workdir / f"rules-{models}x{columns}.sqlite3"
    url = f"sqlite+aiosqlite:///{database}"
    if not database.exists():
        workdir.mkdir(parents=True, exist_ok=True)
        await _reset(url)
        await _ingest(url, lambda: artifacts_for(models, columns))
    engine = create_engine(url)
    async with make_session_factory(engine).begin() as session:
        graph = await load_graph(session, column_edges=False, for_rules=True)
    await engine.dispose()
    return graph


def _cpu(fn: Any) -> float:
    started = time.process_time()
    fn()
    return time.process_time() - started


def per_rule(graph: Graph, rules: Sequence[Rule], repeat: int) -> list[tuple[float, str, int]]:
    """(median CPU s, rule id, violations) of each rule inside whole warm evaluations: the
    engine's per-rule step is timed in place, so an index the rules share is charged to the
    first rule that asks for it, as in a real run."""
    times: dict[str, list[float]] = defaultdict(list)
    found: dict[str, int] = {}
    run_rule = engine._run_rule

    def timed(ctx: Any, rule: Rule, *args: Any) -> Any:
        started = time.process_time()
        result, violations = run_rule(ctx, rule, *args)
        times[rule.rule_id].append(time.process_time() - started)
        found[rule.rule_id] = len(violations)
        return result, violations

    engine._run_rule = timed  # type: ignore[assignment]
    try:
        for _ in range(repeat):
            evaluate(graph, rules)
    finally:
        engine._run_rule = run_rule  # type: ignore[assignment]
    return sorted(((statistics.median(t), r, found[r]) for r, t in times.items()), reverse=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--cprofile", type=Path, help="write cProfile stats of one warm evaluation")
    parser.add_argument("--digest", action="store_true", help="only print the result's digest")
    args = parser.parse_args()
    graph = asyncio.run(_graph(args.workdir, args.models, args.columns))
    rules = builtin_rules()
    result = evaluate(graph, rules)  # cold: fills the SQL facts memo
    print(f"{len(rules)} rules, {len(result.violations)} violations, digest {result_digest(result)}")
    if args.digest:
        return
    whole = [_cpu(lambda: evaluate(graph, rules)) for _ in range(args.repeat)]
    print(f"whole evaluation, warm: median {statistics.median(whole):.3f} s CPU, runs {whole}")
    if args.cprofile:
        cProfile.runctx("evaluate(graph, rules)", globals(), {"graph": graph, "rules": rules}, args.cprofile)
    if args.top == 0:
        return
    ranked = per_rule(graph, rules, args.repeat)
    print(f"sum of the rules' medians: {sum(t for t, _, _ in ranked):.3f} s CPU")
    print("| rule | CPU ms (median) | violations |")
    for seconds, rule_id, found in ranked[: args.top]:
        print(f"| `{rule_id}` | {seconds * 1000:.1f} | {found} |")


if __name__ == "__main__":
    main()
