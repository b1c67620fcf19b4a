"""Scores, breakdowns, determinism, fingerprints and scope filtering of ``evaluate``."""

from __future__ import annotations

import dataclasses

import pytest
from builders import make_capsule, make_column, make_graph, make_source
from hypothesis import given, settings
from hypothesis import strategies as st
from scenarios import BREAKERS, broken, conforming

from dab.domain.graph import Graph
from dab.errors import InvalidRule
from dab.rules import Check, Rule, Scope, Severity, When, builtin_rules, evaluate, fingerprint
from dab.rules.checks import CHECKS
from dab.rules.context import EvalContext


def _rule(rule_id: str, severity: Severity, field_name: str, *, capsule_types: tuple[str, ...] = ()) -> Rule:
    return Rule(
        rule_id=rule_id,
        name=rule_id,
        severity=severity,
        category="test",
        rule_set="custom",
        check=Check("required_field", {"field": field_name}),
        remediation="fix it",
        when=When(capsule_types=capsule_types),
    )


def _small_graph() -> Graph:
    return make_graph(
        [
            make_capsule(name="a", layer="gold", owner="x", description=None),
            make_capsule(name="b", layer="gold", owner=None),
            make_capsule(name="c", layer="silver", owner=None),
        ]
    )


class TestScores:
    def test_score_and_weighted_score_by_hand(self) -> None:
        owner = _rule("has-owner", Severity.CRITICAL, "owner", capsule_types=("model",))
        docs = _rule("has-docs", Severity.INFO, "description", capsule_types=("model",))
        result = evaluate(_small_graph(), [owner, docs])
        # owner: a passes, b and c fail (1/3); docs: b and c pass, a fails (2/3)
        assert (result.by_rule["has-owner"].passed, result.by_rule["has-owner"].failed) == (1, 2)
        assert (result.by_rule["has-docs"].passed, result.by_rule["has-docs"].failed) == (2, 1)
        assert result.score == pytest.approx(3 / 6)
        assert result.weighted_score == pytest.approx((10 * 1 + 1 * 2) / (10 * 3 + 1 * 3))
        assert result.by_severity["critical"].failed == 2
        assert result.by_layer["gold"].applicable == 4
        assert result.by_layer["silver"].failed == 1
        assert result.by_rule_set["custom"].passed == 3

    def test_nothing_applicable_scores_one(self) -> None:
        result = evaluate(Graph(), builtin_rules())
        assert (result.score, result.weighted_score, result.violations) == (1.0, 1.0, ())

    def test_disabled_rules_are_skipped(self) -> None:
        rule = dataclasses.replace(_rule("has-owner", Severity.ERROR, "owner"), enabled=False)
        assert evaluate(_small_graph(), [rule]).checks == ()

    def test_duplicate_rule_ids_are_rejected(self) -> None:
        rule = _rule("has-owner", Severity.ERROR, "owner")
        with pytest.raises(InvalidRule, match="has-owner"):
            evaluate(_small_graph(), [rule, rule])


class TestDeterminism:
    def test_violations_sorted_by_rule_then_subject(self) -> None:
        result = evaluate(broken("duplicate-sources"), builtin_rules())
        keys = [(v.rule_id, v.subject_urn) for v in result.violations]
        assert keys == sorted(keys)

    @pytest.mark.parametrize("rule_id", sorted(BREAKERS))
    def test_violations_in_rule_subject_detail_order_without_a_final_sort(self, rule_id: str) -> None:
        # Each rule sorts its own violations and rules run in id order: the whole is sorted too.
        graph = broken(rule_id)
        violations = evaluate(graph, builtin_rules()).violations
        keys = [(v.rule_id, v.subject_urn, v.detail_key) for v in violations]
        assert keys == sorted(keys)
        assert any(v.rule_id == rule_id for v in violations)

    def test_fingerprint_is_stable(self) -> None:
        first = evaluate(broken("hard-coded-reference"), builtin_rules())
        second = evaluate(broken("hard-coded-reference"), builtin_rules())
        assert [v.fingerprint for v in first.violations] == [v.fingerprint for v in second.violations]
        v = first.violations[0]
        assert v.fingerprint == fingerprint(v.rule_id, v.subject_urn, v.detail_key)

    @settings(max_examples=25, deadline=None)
    @given(st.permutations(list(builtin_rules())), st.booleans())
    def test_rule_order_does_not_change_the_result(self, rules: list[Rule], reverse_capsules: bool) -> None:
        graph = broken("rejoining-upstream")
        if reverse_capsules:
            graph = dataclasses.replace(graph, capsules=dict(reversed(list(graph.capsules.items()))))
        assert evaluate(graph, rules) == evaluate(broken("rejoining-upstream"), builtin_rules())


class TestScope:
    def test_layer_scope(self) -> None:
        result = evaluate(conforming().graph(), builtin_rules(), scope=Scope(layers=frozenset({"gold"})))
        assert set(result.by_layer) == {"gold"}

    def test_domain_scope(self) -> None:
        result = evaluate(_small_graph(), [_rule("has-owner", Severity.ERROR, "owner")],
                          scope=Scope(domains=frozenset({"nope"})))  # fmt: skip
        assert result.by_rule["has-owner"].applicable == 0

    def test_urn_scope_includes_capsule_columns(self) -> None:
        gold = make_capsule(name="fct_a", layer="gold")
        graph = make_graph([gold], columns=[make_column(gold, "x", description=None)])
        rule = next(r for r in builtin_rules() if r.rule_id == "gold-columns-documented")
        assert evaluate(graph, [rule], scope=Scope(urns=frozenset({gold.urn}))).failed == 1
        assert evaluate(graph, [rule], scope=Scope(urns=frozenset({"urn:other"}))).failed == 0

    def test_rule_set_scope(self) -> None:
        result = evaluate(conforming().graph(), builtin_rules(), scope=Scope(rule_sets=frozenset({"pii"})))
        assert set(result.by_rule_set) == {"pii"}

    def test_source_urn_scope(self) -> None:
        src = make_source(name="raw.a", fresh=False)
        result = evaluate(make_graph([src]), builtin_rules(), scope=Scope(urns=frozenset({src.urn})))
        assert {v.subject_urn for v in result.violations} == {src.urn}


class TestPiiMarkedOnly:
    """A ``pii_marked_only`` check is shown PII-marked columns alone; it must call every other
    column not applicable, or the engine would drop real checks."""

    @given(
        pii_type=st.one_of(st.none(), st.sampled_from(["", " ", "unknown", "email", "PHONE"])),
        is_masked=st.booleans(),
        description=st.one_of(st.none(), st.text(max_size=3)),
    )
    @settings(max_examples=60, deadline=None)
    def test_unmarked_columns_are_not_applicable(
        self, pii_type: str | None, is_masked: bool, description: str | None
    ) -> None:
        capsule = make_capsule(name="a", layer="gold")
        column = dataclasses.replace(
            make_column(capsule, "c"), pii_type=pii_type, is_masked=is_masked, description=description
        )
        ctx = EvalContext(make_graph([capsule]))
        marked_only = [(kind, spec) for kind, spec in CHECKS.items() if spec.pii_marked_only]
        assert marked_only, "no check is pii_marked_only any more: drop this test"
        for kind, spec in marked_only:
            rule = Rule(kind, kind, Severity.INFO, "t", "t", Check(kind, {}), "", scope="column")
            assert spec.column_batch is not None, kind
            applicable, _ = spec.column_batch(ctx, rule, [(capsule, [column])])
            if column.pii_type is None:
                assert applicable == 0, kind
