"""Batch checks judge a group of subjects in one call. Each subject's verdict must not depend
on which other subjects share the call: the engine groups capsules by (type, layer) and a
scoped run (the PR gate) passes a few, so the same subject must come out the same either way.
Checked for every check kind the built-in rules use, and a few more, on every rule's breaking
scenario and on a generated project, against calls of one subject each."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from scenarios import BREAKERS, broken, conforming

from dab.domain.capsule import DBT_TYPES
from dab.domain.graph import Graph
from dab.ingest.dbt import parse_dbt
from dab.rules import CHECKS, Check, Rule, Severity, builtin_rules
from dab.rules.checks.base import Judged
from dab.rules.context import EvalContext

sys.path.insert(0, str(Path(__file__).parents[3] / "benchmarks"))
from generate_dbt_project import generate_manifest


def _rules() -> list[Rule]:
    extra = [
        Rule("code", "code", Severity.INFO, "t", "t", Check("code_pattern", {"pattern": "join"}), ""),
        Rule(
            "col-names",
            "c",
            Severity.INFO,
            "t",
            "t",
            Check("name_pattern", {"pattern": "^id"}),
            "",
            scope="column",
        ),
        Rule("pii-any-layer", "p", Severity.INFO, "t", "t", Check("pii_masked"), "", scope="column"),
    ]
    return [*builtin_rules(), *extra]


def _graphs() -> Iterator[tuple[str, Graph]]:
    yield "conforming", conforming().graph()
    for rule_id in sorted(BREAKERS):
        yield rule_id, broken(rule_id)
    manifest, catalog, run_results = generate_manifest(120, 6, seed=7)
    yield "generated", parse_dbt(manifest, catalog, run_results)


def _judge(ctx: EvalContext, rule: Rule, capsules: list) -> Judged:  # type: ignore[type-arg]
    spec = CHECKS[rule.check.kind]
    if rule.scope == "capsule":
        assert spec.batch is not None
        return spec.batch(ctx, rule, capsules)
    assert spec.column_batch is not None
    groups = [(c, ctx.graph.columns_by_capsule.get(c.urn, [])) for c in capsules]
    return spec.column_batch(ctx, rule, [g for g in groups if g[1]])


@pytest.mark.parametrize(("name", "graph"), list(_graphs()), ids=lambda v: v if isinstance(v, str) else "")
def test_a_batch_judges_each_subject_as_a_call_of_its_own(name: str, graph: Graph) -> None:
    capsules = sorted(
        (c for c in graph.capsules.values() if c.capsule_type.value in DBT_TYPES), key=lambda c: c.urn
    )
    for rule in _rules():
        together = _judge(EvalContext(graph), rule, capsules)
        ctx = EvalContext(graph)  # one context for the singles too: its indexes are shared in a run
        applicable, failing = 0, []
        for capsule in capsules:
            one_applicable, one_failing = _judge(ctx, rule, [capsule])
            applicable += one_applicable
            failing.extend(one_failing)
        assert together == (applicable, failing), (name, rule.rule_id)
