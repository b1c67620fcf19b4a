"""dbt-project-evaluator vars from dbt_project.yml become overrides of the matching dab rules."""

from __future__ import annotations

import pytest
from scenarios import broken, conforming

from dab.errors import InvalidRule
from dab.rules import RuleConfig, apply_config, builtin_rules, evaluate
from dab.rules.evaluator_vars import VARS, evaluator_config
from dab.rules.model import Rule

RULE_IDS = {r.rule_id for r in builtin_rules()}


def _rules(project: dict[str, object]) -> dict[str, Rule]:
    return {r.rule_id: r for r in apply_config(builtin_rules(), evaluator_config(project))}


class TestEvaluatorVars:
    def test_every_var_targets_a_builtin_rule(self) -> None:
        assert {rule_id for targets in VARS.values() for rule_id, _ in targets} <= RULE_IDS

    def test_thresholds_and_targets(self) -> None:
        rules = _rules(
            {
                "vars": {
                    "models_fanout_threshold": 5,
                    "too_many_joins_threshold": 4,
                    "chained_views_threshold": 6,
                    "test_coverage_target": 80,
                    "documentation_coverage_target": 90.0,
                    "unrelated_project_var": "kept out",
                }
            }
        )
        assert rules["model-fan-out"].check.params["max"] == 5
        assert rules["too-many-joins"].check.params["max"] == 4
        assert rules["chained-views"].check.params["max"] == 5
        assert rules["test-coverage-target"].check.params["min_percent"] == 80
        assert rules["documentation-coverage-target"].check.params["min_percent"] == 90

    def test_scoped_vars_win_and_change_the_outcome(self) -> None:
        project = {
            "vars": {"models_fanout_threshold": 1, "dbt_project_evaluator": {"models_fanout_threshold": 9}}
        }
        rules = list(_rules(project).values())
        assert evaluate(broken("model-fan-out"), rules).by_rule["model-fan-out"].failed == 0

    def test_prefixes_folders_pk_macros_and_node_types(self) -> None:
        rules = _rules(
            {
                "vars": {
                    "staging_prefixes": ["stg_", "base."],
                    "marts_folder_name": "gold",
                    "primary_key_test_macros": [
                        ["dbt.test_unique", "dbt.test_not_null"],
                        ["dbt_utils.test_unique_combination_of_columns"],
                    ],
                    "enforced_primary_key_node_types": ["model", "snapshot"],
                }
            }
        )
        assert rules["bronze-model-naming"].check.params["pattern"] == r"^(?:stg_|base\.)"
        assert rules["model-directory"].check.params["gold_folders"] == ("gold",)
        pk = rules["primary-key-tested"]
        assert pk.check.params["test_names"] == ("unique_combination_of_columns",)
        assert pk.when.capsule_types == ("model", "snapshot")

    @pytest.mark.parametrize(
        ("project", "where"),
        [
            ({"vars": {"models_fanout_threshold": "three"}}, "vars.models_fanout_threshold"),
            ({"vars": {"test_coverage_target": 120}}, "vars.test_coverage_target"),
            ({"vars": {"primary_key_test_macros": "dbt.test_unique"}}, "vars.primary_key_test_macros"),
            (
                {"vars": {"enforced_primary_key_node_types": ["exposure"]}},
                "vars.enforced_primary_key_node_types",
            ),
            ({"vars": ["not", "a", "mapping"]}, "'vars'"),
        ],
    )
    def test_bad_values_name_the_var(self, project: dict[str, object], where: str) -> None:
        with pytest.raises(InvalidRule, match=where.replace(".", r"\.")):
            evaluator_config(project)

    def test_a_project_without_vars_changes_nothing(self) -> None:
        assert evaluator_config({"name": "shop"}) == {}
        assert evaluate(conforming().graph(), list(_rules({}).values())).violations == ()


class TestLayering:
    def test_the_rules_config_file_wins_over_the_vars(self) -> None:
        from_vars = RuleConfig.from_dict(evaluator_config({"vars": {"models_fanout_threshold": 5}}))
        from_file = RuleConfig.from_dict(
            {
                "rules": {"model-fan-out": {"params": {"max": 2}, "severity": "error"}},
                "disabled": ["root-model"],
            }
        )
        merged = from_vars.layered(from_file)
        rules = {r.rule_id: r for r in apply_config(builtin_rules(), merged)}
        assert rules["model-fan-out"].check.params["max"] == 2
        assert rules["model-fan-out"].severity.value == "error"
        assert not rules["root-model"].enabled
        underneath = from_file.layered(from_vars)
        assert {r.rule_id: r for r in apply_config(builtin_rules(), underneath)}[
            "model-fan-out"
        ].check.params["max"] == 5
