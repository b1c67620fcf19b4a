"""`statements_read`: every SQL text an evaluation parses is listed beforehand (the gate parses
them ahead, over two processes); rules that read no SQL list nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest
from scenarios import BREAKERS, broken, conforming

from dab.domain.graph import Graph
from dab.rules import CHECKS, Rule, builtin_rules, evaluate, sqlfacts
from dab.rules.sqlreads import SQL_KINDS, statements_read


def _parsed_by(graph: Graph, rules: Sequence[Rule]) -> set[str]:
    """Digests of the statements one evaluation of ``rules`` parsed."""
    sqlfacts.forget()
    evaluate(graph, rules)
    found = {key for key, _ in sqlfacts.known()}
    sqlfacts.forget()
    return found


def _listed(graph: Graph, rules: Sequence[Rule]) -> set[str]:
    return {sqlfacts.digest(sql, None) for sql in statements_read(graph, rules)}


@pytest.mark.parametrize("rule_id", sorted(BREAKERS))
def test_every_statement_a_rule_parses_is_listed(rule_id: str) -> None:
    # One rule at a time: a check kind that reads SQL but is missing from SQL_KINDS fails here.
    graph = broken(rule_id)
    rules = [r for r in builtin_rules() if r.rule_id == rule_id]
    assert _parsed_by(graph, rules) <= _listed(graph, rules)
    everything = builtin_rules()
    assert _parsed_by(graph, everything) <= _listed(graph, everything)


def test_the_listing_is_not_empty_and_names_each_text_once() -> None:
    graph = conforming().graph()
    texts = statements_read(graph, builtin_rules())
    assert texts and len(texts) == len(set(texts))
    rules = builtin_rules()
    assert _parsed_by(graph, rules) == _listed(graph, rules)  # nothing listed that no rule reads


def test_rules_that_read_no_sql_list_nothing() -> None:
    graph = conforming().graph()
    rules = [r for r in builtin_rules() if r.check.kind not in SQL_KINDS]
    assert statements_read(graph, rules) == []
    disabled = [replace(r, enabled=False) for r in builtin_rules()]
    assert statements_read(graph, disabled) == []


def test_a_rule_limited_to_a_layer_lists_only_that_layer() -> None:
    graph = conforming().graph()
    star = next(r for r in builtin_rules() if r.check.kind == "select_star")
    gold_only = replace(star, when=replace(star.when, layers=("gold",)))
    listed = set(statements_read(graph, [gold_only]))
    gold = {c.compiled_sql for c in graph.capsules.values() if c.layer_value == "gold" and c.compiled_sql}
    assert listed == gold and gold


def test_sql_kinds_are_check_kinds() -> None:
    assert set(CHECKS) >= SQL_KINDS
