"""The gate over two processes (SQL parsed ahead in halves, the baseline's side in a forked
child) gives the facts, the errors and every output that one process gives."""

from __future__ import annotations

import os
from collections.abc import Sequence

import orjson
import pytest
from tests.api.gate_helpers import base_manifest, head_manifest

from dab.domain.graph import Graph
from dab.errors import InvalidArtifact
from dab.ingest.dbt import load_artifact, parse_dbt
from dab.rules import Rule, builtin_rules, sqlfacts
from dab.rules.sqlreads import statements_read
from dab.services.conformance_check import CHECK_FORMATS, Artifacts, check_bytes, render_check
from dab.services.forked import in_child, spare_core
from dab.services.sql_facts_parallel import learning_in_child, parse_ahead


@pytest.fixture(autouse=True)
def _cold() -> None:
    if not spare_core():
        pytest.skip("needs two cores and fork: without them nothing runs in a child")
    sqlfacts.forget()


def _head_graph() -> Graph:
    return parse_dbt(load_artifact(orjson.dumps(head_manifest()), "manifest.json"))


def test_the_child_parses_half_and_every_fact_equals_one_process_parse() -> None:
    graph, rules = _head_graph(), builtin_rules()
    dialect = sqlfacts.dialect_for(graph.project.adapter_type if graph.project else None)
    texts = statements_read(graph, rules)
    assert len(texts) >= 4
    assert parse_ahead(graph, rules, min_statements=1) == len(texts) // 2
    assert sqlfacts.unknown(texts, dialect) == []  # both halves are known now
    ahead = dict(sqlfacts.known())
    sqlfacts.forget()
    alone = dict(sqlfacts.facts_by_digest(texts, dialect))
    assert ahead == alone


def test_too_few_statements_are_left_to_the_evaluation() -> None:
    graph, rules = _head_graph(), builtin_rules()
    assert parse_ahead(graph, rules) == 0  # a handful of models: under MIN_STATEMENTS
    assert sqlfacts.known() == []


def _parse_ahead_always(graph: Graph, rules: Sequence[Rule]) -> None:
    assert parse_ahead(graph, rules, min_statements=1) > 0


@pytest.mark.parametrize("output", [f for f in CHECK_FORMATS if f != "table"])
def test_the_gate_says_the_same_with_sql_parsed_ahead(output: str) -> None:
    artifacts = Artifacts(manifest=orjson.dumps(head_manifest()), baseline=orjson.dumps(base_manifest()))
    serial = render_check(check_bytes(artifacts), output, "warning")
    sqlfacts.forget()
    ahead = render_check(check_bytes(artifacts, before_evaluate=_parse_ahead_always), output, "warning")
    assert ahead == serial
    assert '"introduced"' in serial or output != "json"


def _artifacts(baseline: bytes | None = None) -> Artifacts:
    return Artifacts(
        manifest=orjson.dumps(head_manifest()), baseline=baseline or orjson.dumps(base_manifest())
    )


@pytest.mark.parametrize("output", [f for f in CHECK_FORMATS if f != "table"])
def test_the_gate_says_the_same_with_the_baseline_in_a_child(output: str) -> None:
    serial = render_check(check_bytes(_artifacts()), output, "warning")
    sqlfacts.forget()
    forked = render_check(check_bytes(_artifacts(), run_baseline=learning_in_child), output, "warning")
    assert forked == serial


def test_what_the_child_parsed_comes_back() -> None:
    base = base_manifest()
    base_sql = base["nodes"]["model.jaffle_shop.stg_orders"]["compiled_code"]
    dialect = sqlfacts.dialect_for(base["metadata"]["adapter_type"])
    assert sqlfacts.unknown([base_sql], dialect) == [base_sql]
    check_bytes(_artifacts(), run_baseline=learning_in_child)
    # Only the baseline reads its own stg_orders (the head's differs): the child parsed it.
    assert sqlfacts.unknown([base_sql], dialect) == []


def test_a_bad_baseline_fails_as_it_does_in_one_process() -> None:
    bad = orjson.dumps({**base_manifest(), "nodes": []})
    with pytest.raises(InvalidArtifact) as serial:
        check_bytes(_artifacts(bad))
    with pytest.raises(InvalidArtifact) as forked:
        check_bytes(_artifacts(bad), run_baseline=learning_in_child)
    assert str(forked.value) == str(serial.value) and "baseline" in str(forked.value)


class TestInChild:
    def test_the_work_runs_in_another_process(self) -> None:
        assert in_child(os.getpid)() != os.getpid()

    def test_a_failing_child_leaves_the_work_to_this_process(self) -> None:
        parent = os.getpid()

        def only_here() -> int:
            if os.getpid() != parent:
                raise RuntimeError("fails in the child")
            return 7

        assert in_child(only_here)() == 7

    def test_a_result_that_does_not_pickle_is_computed_here(self) -> None:
        made_in, _ = in_child(lambda: (os.getpid(), lambda: None))()  # a lambda does not pickle
        assert made_in == os.getpid()
