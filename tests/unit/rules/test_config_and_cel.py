"""Config overrides (disable, severity, re-scope, thresholds) and custom CEL rules."""

from __future__ import annotations

import pytest
from builders import make_capsule, make_column, make_graph, make_test
from scenarios import broken, conforming

from dab.domain.capsule import Inference
from dab.domain.quality import TestKind
from dab.errors import InvalidRule
from dab.rules import RuleConfig, Severity, apply_config, builtin_rules, evaluate, load_rules_from_yaml


def _by_id(rules: tuple[object, ...]) -> dict[str, object]:
    return {r.rule_id: r for r in rules}  # type: ignore[attr-defined]


class TestConfig:
    def test_disable(self) -> None:
        rules = apply_config(builtin_rules(), {"disabled": ["hard-coded-reference"]})
        result = evaluate(broken("hard-coded-reference"), rules)
        assert "hard-coded-reference" not in result.by_rule
        assert result.violations == ()

    def test_severity_override(self) -> None:
        rules = apply_config(builtin_rules(), {"rules": {"root-model": {"severity": "critical"}}})
        result = evaluate(broken("root-model"), rules)
        assert {v.severity for v in result.violations if v.rule_id == "root-model"} == {Severity.CRITICAL}
        assert {v.severity for v in result.violations if v.rule_id == "orphan-model"} == {Severity.WARNING}

    def test_rescope_layers(self) -> None:
        config = {"rules": {"gold-model-has-owner": {"when": {"layers": ["silver"]}}}}
        rule = _by_id(apply_config(builtin_rules(), config))["gold-model-has-owner"]
        assert rule.when.layers == ("silver",)  # type: ignore[attr-defined]
        assert rule.when.capsule_types == ("model",)  # type: ignore[attr-defined]
        project = conforming()
        for name in ("int_orders",):
            project.change(name, owner=Inference(None))
        result = evaluate(project.graph(), [rule])  # type: ignore[list-item]
        assert [v.subject_urn.rsplit(":", 1)[1] for v in result.violations] == ["int_orders"]

    def test_threshold_by_check_kind(self) -> None:
        graph = broken("model-fan-out")
        assert evaluate(graph, builtin_rules()).by_rule["model-fan-out"].failed == 1
        rules = apply_config(builtin_rules(), {"thresholds": {"fan_out": 10}})
        assert evaluate(graph, rules).by_rule["model-fan-out"].failed == 0

    def test_params_override_and_test_coverage_min(self) -> None:
        rules = apply_config(builtin_rules(), {"rules": {"test-coverage": {"params": {"min": 3}}}})
        result = evaluate(conforming().graph(), rules)
        assert result.by_rule["test-coverage"].failed == 4  # each model has only its 2 pk tests

    def test_joins_threshold(self) -> None:
        rules = apply_config(builtin_rules(), RuleConfig.from_dict({"thresholds": {"too_many_joins": 0}}))
        assert evaluate(conforming().graph(), rules).by_rule["too-many-joins"].failed == 1

    @pytest.mark.parametrize(
        ("config", "expected"),
        [
            ({"rules": {"nope": {"severity": "error"}}}, "rule 'nope': field 'id'"),
            ({"disabled": ["nope"]}, "rule 'nope': field 'id'"),
            ({"rules": {"root-model": {"severity": "loud"}}}, "rule 'root-model': field 'severity'"),
            (
                {"rules": {"model-fan-out": {"params": {"max": "x"}}}},
                "rule 'model-fan-out': field 'check.params.max'",
            ),
            (
                {"rules": {"root-model": {"when": {"layers": ["x"]}}}},
                "rule 'root-model': field 'when.layers'",
            ),
            ({"thresholds": {"fan_in": 3}}, "field 'thresholds.fan_in'"),
            ({"colour": 1}, "field 'colour'"),
        ],
    )
    def test_invalid_config(self, config: dict[str, object], expected: str) -> None:
        with pytest.raises(InvalidRule) as excinfo:
            apply_config(builtin_rules(), config)
        assert expected in excinfo.value.detail


CEL_RULES = """
rule_set: custom
rules:
  - id: gold-owner-is-team
    severity: error
    when: {capsule_types: [model], layers: [gold]}
    expression: 'capsule.owner.endsWith("-team") && capsule.upstream_count >= 1 && capsule.test_count > 0'
    remediation: Owners are teams.
  - id: ids-are-integers
    severity: warning
    scope: column
    when: {expression: 'column.name.endsWith("_id")'}
    expression: 'column.data_type in ["int", "bigint"]'
    remediation: Use an integer key.
  - id: meta-tier
    severity: info
    when: {capsule_types: [model], expression: 'capsule.layer == "gold"'}
    expression: 'capsule.meta.tier == 1'
    remediation: Set meta.tier.
"""


class TestCel:
    def test_capsule_expression_passes_and_fails(self) -> None:
        rules = load_rules_from_yaml(CEL_RULES)[:1]
        assert evaluate(conforming().graph(), rules).violations == ()
        result = evaluate(broken("gold-model-has-owner"), rules)
        assert [v.rule_id for v in result.violations] == ["gold-owner-is-team"]
        assert "does not satisfy" in result.violations[0].message

    def test_column_expression_with_cel_when(self) -> None:
        model = make_capsule(name="m")
        cols = [
            make_column(model, "customer_id", data_type="bigint"),
            make_column(model, "order_id", data_type="text"),
            make_column(model, "name"),
        ]
        graph = make_graph([model], columns=cols, tests=[make_test(model, TestKind.UNIQUE, "customer_id")])
        result = evaluate(graph, load_rules_from_yaml(CEL_RULES)[1:2])
        assert result.by_rule["ids-are-integers"].applicable == 2
        assert [v.subject_urn.rsplit(".", 1)[1] for v in result.violations] == ["order_id"]

    def test_missing_key_is_a_failure_not_a_crash(self) -> None:
        gold = make_capsule(name="fct_a", layer="gold")
        tiered = make_capsule(name="fct_b", layer="gold", meta={"tier": 1})
        silver = make_capsule(name="int_c", layer="silver")
        result = evaluate(make_graph([gold, tiered, silver]), load_rules_from_yaml(CEL_RULES)[2:])
        assert result.by_rule["meta-tier"].applicable == 2
        assert [v.capsule_urn for v in result.violations] == [gold.urn]
