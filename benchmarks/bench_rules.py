"""Benchmark: all built-in rules over a synthetic layered graph.

Usage: python benchmarks/bench_rules.py [N ...]   (default: 10000 100000)

For each N (models), builds N/5 sources, N models (20% bronze, 50% silver, 30% gold), 20
columns and 2 tests per model, compiled SQL with joins, then reports the median of 5
evaluations. SQL facts are memoised by SQL text, so the first ("cold") run parses every
statement with sqlglot and later runs reuse it; both are reported, plus a run without SQL.
"""

from __future__ import annotations

import random
import resource
import statistics
import sys
import time
from dataclasses import replace

from dab.domain.capsule import Capsule, CapsuleType, Freshness, Inference
from dab.domain.column import Column
from dab.domain.graph import Graph
from dab.domain.lineage import LineageEdge
from dab.domain.quality import DataTest, TestKind
from dab.rules import builtin_rules, evaluate, sqlfacts

NS = "bench"
PREFIX = {"bronze": "stg", "silver": "int", "gold": "fct"}


def _capsule(name: str, kind: CapsuleType, layer: str, sql: str | None = None) -> Capsule:
    return Capsule(
        urn=f"urn:dab:dbt:{kind.value}:{NS}:{name}",
        name=name,
        capsule_type=kind,
        namespace=NS,
        description=f"{name} table",
        relation_name=f"analytics.{NS}.{name.replace('.', '_')}",
        layer=Inference(layer, "bench"),
        owner=Inference("team" if layer == "gold" else None),
        domain=Inference("sales"),
        access="public" if layer == "gold" else "protected",
        compiled_sql=sql,
        freshness=Freshness(warn_after="1 day") if kind is CapsuleType.SOURCE else None,
        source_name="raw" if kind is CapsuleType.SOURCE else None,
    )


def _layer(i: int, n: int) -> str:
    return "bronze" if i < n * 0.2 else "silver" if i < n * 0.7 else "gold"


def _sql(parents: list[Capsule]) -> str:
    head = f"select t0.id, t0.amount from {parents[0].relation_name} t0"
    joins = " ".join(
        f"left join {p.relation_name} t{j} on t{j}.id = t0.id" for j, p in enumerate(parents[1:], 1)
    )
    return f"{head} {joins} where t0.amount > {len(parents)}"


def _columns_and_tests(graph: Graph, capsule: Capsule, rng: random.Random) -> None:
    for c in range(20):
        name = f"col_{c}"
        pii = "email" if c == 3 and rng.random() < 0.1 else None
        col = Column(
            urn=f"urn:dab:dbt:column:{NS}:{capsule.name}.{name}",
            capsule_urn=capsule.urn,
            name=name,
            description=None if rng.random() < 0.05 else "documented",
            data_type="text",
            pii_type=pii,
            is_masked=pii is not None and rng.random() < 0.5,
        )
        graph.columns[col.urn] = col
    for kind in (TestKind.UNIQUE, TestKind.NOT_NULL):
        test = DataTest(urn=f"{capsule.urn}.{kind.value}", name=f"{kind}_{capsule.name}", kind=kind,
                        capsule_urn=capsule.urn, column_name="col_0")  # fmt: skip
        graph.tests[test.urn] = test


def build_graph(n: int, seed: int = 7) -> Graph:
    rng = random.Random(seed)
    graph = Graph()
    sources = [_capsule(f"raw.t{i}", CapsuleType.SOURCE, "bronze") for i in range(max(1, n // 5))]
    graph.capsules.update({s.urn: s for s in sources})
    by_layer: dict[str, list[Capsule]] = {"bronze": [], "silver": [], "gold": []}
    for i in range(n):
        layer = _layer(i, n)
        pool = {"bronze": sources, "silver": by_layer["bronze"] + by_layer["silver"],
                "gold": by_layer["silver"]}[layer]  # fmt: skip
        parents = (
            [pool[i % len(pool)]]
            if layer == "bronze"
            else rng.sample(pool, min(len(pool), rng.randint(1, 4)))
        )
        model = _capsule(f"{PREFIX[layer]}_m{i}", CapsuleType.MODEL, layer, None)
        model = replace(model, compiled_sql=_sql(parents), contract_enforced=layer == "gold")
        graph.capsules[model.urn] = model
        graph.edges.extend(LineageEdge(p.urn, model.urn) for p in parents)
        by_layer[layer].append(model)
        _columns_and_tests(graph, model, rng)
    return graph


def _time(graph: Graph, runs: int) -> list[float]:
    rules = builtin_rules()
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        evaluate(graph, rules)
        out.append(time.perf_counter() - start)
    return out


def main(sizes: list[int]) -> None:
    for n in sizes:
        graph = build_graph(n)
        no_sql = Graph(
            capsules={u: replace(c, compiled_sql=None) for u, c in graph.capsules.items()},
            columns=graph.columns, edges=graph.edges, tests=graph.tests,
        )  # fmt: skip
        sqlfacts.forget()
        cold = _time(graph, 1)[0]
        warm = statistics.median(_time(graph, 5))
        without_sql = statistics.median(_time(no_sql, 5))
        result = evaluate(graph, builtin_rules())
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"N={n:>7} models, {len(graph.columns):>8} columns, {len(builtin_rules())} rules: "
            f"cold {cold:6.2f}s | median of 5 (SQL memoised) {warm:6.2f}s | "
            f"median of 5 without compiled SQL {without_sql:6.2f}s | "
            f"checks {result.applicable}, violations {len(result.violations)}, score {result.score:.3f} | "
            f"peak RSS {peak_mb:,.0f} MB"
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
