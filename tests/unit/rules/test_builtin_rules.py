"""Every built-in rule fires on a crafted graph and stays quiet on a conforming one."""

from __future__ import annotations

import pytest
from scenarios import BREAKERS, broken, conforming

from dab.rules import builtin_rules, evaluate
from dab.rules.model import Rule

RULES = {r.rule_id: r for r in builtin_rules()}


def _rule(rule_id: str) -> Rule:
    return RULES[rule_id]


class TestBuiltinRules:
    def test_every_builtin_rule_has_a_scenario(self) -> None:
        assert set(BREAKERS) == set(RULES)

    def test_conforming_project_has_no_violations(self) -> None:
        result = evaluate(conforming().graph(), builtin_rules())
        assert result.violations == ()
        assert result.score == 1.0

    @pytest.mark.parametrize("rule_id", sorted(BREAKERS))
    def test_rule_is_quiet_on_conforming_graph(self, rule_id: str) -> None:
        result = evaluate(conforming().graph(), [_rule(rule_id)])
        assert result.violations == ()
        assert result.by_rule[rule_id].applicable > 0

    @pytest.mark.parametrize("rule_id", sorted(BREAKERS))
    def test_rule_fires_on_crafted_graph(self, rule_id: str) -> None:
        result = evaluate(broken(rule_id), [_rule(rule_id)])
        assert result.violations, f"{rule_id} did not fire"
        violation = result.violations[0]
        assert violation.rule_id == rule_id
        assert violation.remediation == RULES[rule_id].remediation
        assert violation.message
        assert len(violation.fingerprint) == 64
        assert result.score < 1.0


class TestMessages:
    def test_allowed_upstream_names_the_offending_upstream(self) -> None:
        result = evaluate(broken("gold-sources-silver-or-gold"), [_rule("gold-sources-silver-or-gold")])
        (violation,) = result.violations
        assert "stg_orders" in violation.message
        assert violation.subject_urn.endswith(":fct_orders")
        assert violation.layer == "gold"

    def test_hard_coded_reference_names_the_table(self) -> None:
        result = evaluate(broken("hard-coded-reference"), [_rule("hard-coded-reference")])
        assert [v.detail_key for v in result.violations] == ["prod.finance.ledger"]

    def test_rejoin_names_the_single_use_model(self) -> None:
        result = evaluate(broken("rejoining-upstream"), [_rule("rejoining-upstream")])
        (violation,) = result.violations
        assert violation.subject_urn.endswith(":int_final")
        assert "int_mid" in violation.message

    def test_pii_violation_is_on_the_column(self) -> None:
        result = evaluate(broken("pii-in-gold-unmasked"), [_rule("pii-in-gold-unmasked")])
        (violation,) = result.violations
        assert violation.subject_urn.endswith("fct_orders.email")
        assert violation.capsule_urn.endswith(":fct_orders")
        assert "email" in violation.message

    def test_duplicate_sources_flags_both_declarations(self) -> None:
        result = evaluate(broken("duplicate-sources"), [_rule("duplicate-sources")])
        assert len(result.violations) == 2
