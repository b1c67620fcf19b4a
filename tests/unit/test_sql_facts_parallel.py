"""The cold gate's SQL parsed over two processes gives the facts, and the gate's every output,
that one process gives."""

from __future__ import annotations

from collections.abc import Sequence

import orjson
import pytest
from tests.api.gate_helpers import base_manifest, head_manifest

from dab.domain.graph import Graph
from dab.ingest.dbt import load_artifact, parse_dbt
from dab.rules import Rule, builtin_rules, sqlfacts
from dab.rules.sqlreads import statements_read
from dab.services.conformance_check import CHECK_FORMATS, Artifacts, check_bytes, render_check
from dab.services.sql_facts_parallel import parse_ahead


@pytest.fixture(autouse=True)
def _cold() -> None:
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
