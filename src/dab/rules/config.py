"""Per-deployment overrides of rules: disable, change severity, re-scope, tune thresholds.

The config is a plain mapping (read from settings or a YAML file by the caller)::

    disabled: [root-model]
    thresholds: {fan_out: 5, too_many_joins: 10, test_coverage: 2}
    rules:
      gold-model-has-owner: {severity: critical, when: {layers: [gold, silver]}}
      model-fan-out: {params: {max: 6}, enabled: true}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from dab.errors import InvalidRule
from dab.rules import _validate as v
from dab.rules.model import Check, Rule, Severity, When

THRESHOLD_PARAMS: Mapping[str, str] = {
    "fan_out": "max", "too_many_joins": "max", "test_coverage": "min", "source_fan_out": "max",
    "chained_views": "max", "max_upstream": "max", "description_length": "min", "coverage": "min_percent",
}  # fmt: skip
OVERRIDE_FIELDS: tuple[str, ...] = ("enabled", "severity", "when", "params")


@dataclass(frozen=True, slots=True)
class RuleOverride:
    enabled: bool | None = None
    severity: Severity | None = None
    when: Mapping[str, Any] | None = None
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RuleConfig:
    disabled: frozenset[str] = frozenset()
    thresholds: Mapping[str, int] = field(default_factory=dict)
    rules: Mapping[str, RuleOverride] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> RuleConfig:
        data = data or {}
        v.check_keys("config", "", data, ("disabled", "thresholds", "rules"))
        thresholds = v.as_mapping("config", "thresholds", data.get("thresholds"))
        for kind, value in thresholds.items():
            if kind not in THRESHOLD_PARAMS:
                v.invalid("config", f"thresholds.{kind}", f"must be one of {', '.join(THRESHOLD_PARAMS)}")
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                v.invalid("config", f"thresholds.{kind}", "must be a non-negative integer")
        overrides = {
            str(rule_id): _override(str(rule_id), raw)
            for rule_id, raw in v.as_mapping("config", "rules", data.get("rules")).items()
        }
        return cls(
            disabled=frozenset(v.as_str_list("config", "disabled", data.get("disabled"))),
            thresholds=dict(thresholds),
            rules=overrides,
        )

    def layered(self, top: RuleConfig) -> RuleConfig:
        """This config with ``top`` laid over it: ``top`` wins field by field, params key by key."""
        rules = dict(self.rules)
        for rule_id, over in top.rules.items():
            under = rules.get(rule_id, RuleOverride())
            rules[rule_id] = RuleOverride(
                enabled=under.enabled if over.enabled is None else over.enabled,
                severity=over.severity or under.severity,
                when=under.when if over.when is None else over.when,
                params={**under.params, **over.params},
            )
        return RuleConfig(self.disabled | top.disabled, {**self.thresholds, **top.thresholds}, rules)


def _override(rule_id: str, raw: Any) -> RuleOverride:
    data = v.as_mapping(rule_id, "", raw)
    v.check_keys(rule_id, "", data, OVERRIDE_FIELDS)
    return RuleOverride(
        enabled=None if data.get("enabled") is None else v.as_bool(rule_id, "enabled", data["enabled"]),
        severity=None if data.get("severity") is None else v.as_severity(rule_id, data["severity"]),
        when=None if data.get("when") is None else v.as_mapping(rule_id, "when", data["when"]),
        params=v.as_mapping(rule_id, "params", data.get("params")),
    )


def _rescope(rule: Rule, when: Mapping[str, Any]) -> When:
    """Replace only the ``when`` fields the override names."""
    merged = {
        "capsule_types": list(rule.when.capsule_types),
        "layers": list(rule.when.layers),
        "access": list(rule.when.access),
        "expression": rule.when.expression,
        **when,
    }
    return v.as_when(rule.rule_id, {k: val for k, val in merged.items() if val is not None})


def _apply_one(rule: Rule, config: RuleConfig) -> Rule:
    params = dict(rule.check.params)
    threshold_param = THRESHOLD_PARAMS.get(rule.check.kind)
    if threshold_param and rule.check.kind in config.thresholds:
        params[threshold_param] = config.thresholds[rule.check.kind]
    override = config.rules.get(rule.rule_id, RuleOverride())
    params.update(v.check_params(rule.rule_id, rule.check.kind, override.params, partial=True))
    enabled = rule.enabled and rule.rule_id not in config.disabled
    if override.enabled is not None:
        enabled = override.enabled
    return replace(
        rule,
        enabled=enabled,
        severity=override.severity or rule.severity,
        when=rule.when if override.when is None else _rescope(rule, override.when),
        check=Check(rule.check.kind, params),
    )


def apply_config(rules: Iterable[Rule], config: RuleConfig | Mapping[str, Any] | None) -> tuple[Rule, ...]:
    """Rules with the config's overrides applied; unknown rule ids in the config are an error."""
    if not isinstance(config, RuleConfig):
        config = RuleConfig.from_dict(config)
    rules = tuple(rules)
    known = {r.rule_id for r in rules}
    for rule_id in sorted((set(config.rules) | config.disabled) - known):
        raise InvalidRule(f"rule '{rule_id}': field 'id': unknown rule in config")
    return tuple(_apply_one(rule, config) for rule in rules)
