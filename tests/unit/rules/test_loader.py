"""YAML rule loading: every field validated, errors name the rule id and the field."""

from __future__ import annotations

import textwrap

import pytest

from dab.errors import InvalidRule
from dab.rules import Severity, builtin_rules, load_rules_from_yaml

GOOD = """
rule_set: custom
rules:
  - id: gold-has-owner
    name: Gold has owner
    severity: error
    category: ownership
    when: {capsule_types: [model], layers: [gold]}
    check: {kind: required_field, params: {field: owner}}
    remediation: Set an owner.
  - id: cel-rule
    severity: info
    scope: column
    expression: 'column.description != ""'
    remediation: Describe it.
"""


def _doc(rule: str) -> str:
    return "rule_set: custom\nrules:\n" + textwrap.indent(textwrap.dedent(rule).strip(), "  ")


BASE = """\
- id: my-rule
  severity: error
  check: {kind: required_field, params: {field: owner}}
  remediation: fix
"""


class TestLoad:
    def test_loads_valid_rules(self) -> None:
        first, second = load_rules_from_yaml(GOOD)
        assert first.rule_id == "gold-has-owner"
        assert first.severity is Severity.ERROR
        assert first.when.layers == ("gold",)
        assert first.rule_set == "custom"
        assert second.check.kind == "cel"
        assert second.scope == "column"
        assert second.name == "cel-rule"

    def test_builtin_rule_sets(self) -> None:
        rules = builtin_rules()
        assert {r.rule_set for r in rules} == {
            "medallion", "modeling", "testing", "documentation", "governance", "pii", "performance",
            "structure",
        }  # fmt: skip
        assert all(r.remediation for r in rules)
        assert [r.rule_id for r in rules] == sorted(r.rule_id for r in rules)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (BASE.replace("severity: error", "severity: fatal"), "rule 'my-rule': field 'severity'"),
        (BASE.replace("kind: required_field", "kind: telepathy"), "rule 'my-rule': field 'check.kind'"),
        (BASE.replace("remediation: fix", ""), "rule 'my-rule': field 'remediation'"),
        (BASE.replace("- id: my-rule\n  ", "- "), "field 'id'"),
        (BASE.replace("my-rule", "My_Rule"), "field 'id'"),
        (BASE.replace("field: owner", "field: colour"), "rule 'my-rule': field 'check.params.field'"),
        (BASE.replace("params: {field: owner}", "params: {}"), "rule 'my-rule': field 'check.params.field'"),
        (
            BASE.replace(
                "{kind: required_field, params: {field: owner}}",
                "{kind: name_pattern, params: {pattern: '(['}}",
            ),
            "rule 'my-rule': field 'check.params.pattern'",
        ),
        (
            BASE.replace(
                "{kind: required_field, params: {field: owner}}", "{kind: fan_out, params: {max: -1}}"
            ),
            "rule 'my-rule': field 'check.params.max'",
        ),
        (
            BASE.replace(
                "check: {kind: required_field, params: {field: owner}}", "expression: 'capsule.name =='"
            ),
            "rule 'my-rule': field 'check.params.expression'",
        ),
        (BASE + "  when: {expression: '(('}\n", "rule 'my-rule': field 'when.expression'"),
        (BASE + "  when: {layers: [platinum]}\n", "rule 'my-rule': field 'when.layers'"),
        (BASE + "  when: {capsule_types: [table]}\n", "rule 'my-rule': field 'when.capsule_types'"),
        (BASE + "  colour: blue\n", "rule 'my-rule': field 'colour'"),
        (BASE + "  scope: column\n", "rule 'my-rule': field 'scope'"),
        (BASE + "  enabled: maybe\n", "rule 'my-rule': field 'enabled'"),
        (BASE + "  expression: 'true'\n", "rule 'my-rule': field 'check'"),
        (BASE + BASE, "rule 'my-rule': field 'id': duplicate"),
    ],
)
def test_invalid_rule_names_rule_and_field(rule: str, expected: str) -> None:
    with pytest.raises(InvalidRule) as excinfo:
        load_rules_from_yaml(_doc(rule))
    assert expected in excinfo.value.detail


@pytest.mark.parametrize(
    "text",
    ["rules: [", "- just a list", "rule_set: custom\nrules: {}", "rules: []"],
)
def test_invalid_documents(text: str) -> None:
    with pytest.raises(InvalidRule):
        load_rules_from_yaml(text)


def test_bad_rule_after_good_ones_returns_nothing() -> None:
    text = GOOD + "  - id: broken\n    severity: nope\n    remediation: x\n    check: {kind: root_model}\n"
    with pytest.raises(InvalidRule, match="rule 'broken': field 'severity'"):
        load_rules_from_yaml(text)
