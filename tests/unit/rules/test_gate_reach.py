"""The gate's shortcut (baseline evaluated only where a change reaches, baseline parsed reusing
the head's capsules) says exactly what the full path says: every built-in rule's breaking
change in both directions, and random changes to generated dbt projects."""

from __future__ import annotations

import copy
import random
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from scenarios import BREAKERS, broken, conforming

from dab.domain.graph import Graph
from dab.ingest.dbt import ParseMemo, load_artifact, parse_dbt
from dab.rules import Rule, builtin_rules, evaluate
from dab.rules.checks import CHECKS
from dab.rules.gate import GateDiff, gate, gate_within_reach
from dab.rules.reach import GLOBAL_KINDS, LOCAL_KINDS, kinds_classified, reach
from dab.services.conformance_check import Artifacts, check_bytes

sys.path.insert(0, str(Path(__file__).parents[3] / "benchmarks"))
from generate_dbt_project import generate_manifest


def _full(base: Graph, head: Graph, rules: tuple[Rule, ...]) -> GateDiff:
    return gate(base, evaluate(base, rules), head, evaluate(head, rules))


def _fast(base: Graph, head: Graph, rules: tuple[Rule, ...]) -> GateDiff:
    return gate_within_reach(base, head, evaluate(head, rules), rules)


def test_every_check_kind_is_local_or_global() -> None:
    assert kinds_classified(CHECKS) == set()
    assert not LOCAL_KINDS & GLOBAL_KINDS


@pytest.mark.parametrize("rule_id", sorted(BREAKERS))
def test_breaking_and_fixing_each_rule_agrees_with_the_full_gate(rule_id: str) -> None:
    rules = builtin_rules()
    good, bad = conforming().graph(), broken(rule_id)
    for base, head in ((good, bad), (bad, good)):
        fast, full = _fast(base, head, rules), _full(base, head, rules)
        assert fast == full
    assert _full(good, bad, rules).introduced, f"{rule_id}: the scenario breaks nothing"


def test_no_change_reaches_nothing() -> None:
    graph = conforming().graph()
    assert reach(graph, graph, []) == frozenset()
    rules = builtin_rules()
    assert _fast(graph, graph, rules) == _full(graph, graph, rules)


def _models(manifest: dict[str, Any]) -> list[str]:
    return sorted(u for u, n in manifest["nodes"].items() if n.get("resource_type") == "model")


def _mutate(manifest: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A head: a few random edits of the kinds a pull request makes."""
    head = copy.deepcopy(manifest)
    nodes, models = head["nodes"], _models(head)
    for uid in rng.sample(models, 6):
        node = nodes[uid]
        edit = rng.choice(("sql", "star", "view", "deps", "description", "columns", "meta", "drop"))
        if edit == "sql":
            node["compiled_code"] = (node.get("compiled_code") or "") + "\n-- edited"
        elif edit == "star":
            node["compiled_code"] = f"select * from analytics.raw.t_{rng.randrange(9)}"
        elif edit == "view":
            node["config"]["materialized"] = "view"
        elif edit == "deps":
            node["depends_on"]["nodes"] = node["depends_on"]["nodes"][:1]
        elif edit == "description":
            node["description"] = ""
        elif edit == "columns":
            node["columns"].pop(next(iter(node["columns"]), ""), None)
        elif edit == "meta":
            node["meta"] = {}
        else:
            del nodes[uid]
            for other in nodes.values():
                deps = other.get("depends_on", {}).get("nodes", [])
                if uid in deps:
                    deps.remove(uid)
    template = nodes[models[-1]] if models[-1] in nodes else next(iter(nodes.values()))
    for i in range(2):
        new = copy.deepcopy(template)
        new.update(unique_id=f"{template['unique_id']}_new{i}", name=f"added_{i}", alias=f"added_{i}")
        nodes[new["unique_id"]] = new
    return head


@pytest.mark.parametrize("seed", range(6))
def test_random_changes_to_a_generated_project_agree_with_the_full_path(seed: int) -> None:
    manifest, _, _ = generate_manifest(150, 6, seed=seed)
    head = _mutate(manifest, random.Random(seed))
    base_bytes, head_bytes = orjson.dumps(manifest), orjson.dumps(head)
    for before, after in ((base_bytes, head_bytes), (head_bytes, base_bytes)):
        outcome = check_bytes(Artifacts(manifest=after, baseline=before))
        base_graph = parse_dbt(load_artifact(before, "manifest.json"))
        head_graph = parse_dbt(load_artifact(after, "manifest.json"))
        assert outcome.diff == _full(base_graph, head_graph, outcome.rules)
        assert outcome.diff is not None and (outcome.diff.introduced or outcome.diff.fixed)


def test_a_baseline_parsed_reusing_the_head_equals_one_parsed_alone() -> None:
    manifest, catalog, _ = generate_manifest(60, 4, seed=3)
    head = _mutate(manifest, random.Random(3))
    memo = ParseMemo()
    parse_dbt(copy.deepcopy(head), copy.deepcopy(catalog), keep=memo)
    reused = parse_dbt(copy.deepcopy(manifest), copy.deepcopy(catalog), reuse=memo)
    alone = parse_dbt(copy.deepcopy(manifest), copy.deepcopy(catalog))
    assert reused.capsules == alone.capsules
    assert reused.columns == alone.columns
    regrouped = Graph(capsules=alone.capsules, columns=alone.columns).columns_by_capsule
    assert reused.columns_by_capsule == alone.columns_by_capsule == regrouped
    assert reused.edges == alone.edges and reused.tests == alone.tests
    kept = {id(b.capsule) for b in memo.built.values()}
    assert sum(id(c) in kept for c in reused.capsules.values()) > len(reused.capsules) // 2
    kept_tests = {id(t) for _, t in memo.tests.values()}
    assert sum(id(t) in kept_tests for t in reused.tests.values()) > len(reused.tests) // 2


def test_nothing_is_reused_when_a_node_depends_on_more_than_its_json() -> None:
    manifest, catalog, _ = generate_manifest(30, 3, seed=1)
    memo = ParseMemo()
    parse_dbt(copy.deepcopy(manifest), copy.deepcopy(catalog), keep=memo)
    renamed = parse_dbt(copy.deepcopy(manifest), copy.deepcopy(catalog), project_name="renamed", reuse=memo)
    kept = {id(b.capsule) for b in memo.built.values()}
    assert not any(id(c) in kept for c in renamed.capsules.values())
    assert any(c.namespace == "renamed" for c in renamed.capsules.values())
