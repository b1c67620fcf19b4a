"""Rules from files and definitions: rule directories, the rules config file, and the
built-ins combined with them. No database (``dab conformance check`` runs without one)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from dab.errors import InvalidRule
from dab.rules import Rule, RuleConfig, apply_config, builtin_rules, load_rules_from_yaml, rule_from_dict
from dab.rules.loader import ensure_unique

RULE_FILE_SUFFIXES = (".yaml", ".yml")


def load_rules_dir(path: Path | None) -> list[Rule]:
    """Every rule of every YAML file in the directory; the first bad file stops everything."""
    if path is None:
        return []
    if not path.is_dir():
        raise InvalidRule(f"rules directory {path} (DAB_RULES_DIR): not a directory")
    rules: list[Rule] = []
    for file in sorted(p for p in path.iterdir() if p.suffix in RULE_FILE_SUFFIXES):
        try:
            rules.extend(load_rules_from_yaml(file.read_text("utf-8")))
        except InvalidRule as exc:
            raise InvalidRule(f"{file}: {exc.detail}") from exc
        except OSError as exc:
            raise InvalidRule(f"{file}: cannot read: {exc}") from exc
    return rules


def load_rule_config(path: Path | None) -> RuleConfig | None:
    if path is None:
        return None
    try:
        data = yaml.safe_load(path.read_text("utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidRule(f"{path} (DAB_RULES_CONFIG_FILE): cannot read: {exc}") from exc
    if not isinstance(data, Mapping):
        raise InvalidRule(f"{path} (DAB_RULES_CONFIG_FILE): expected a mapping at the top level")
    try:
        return RuleConfig.from_dict(data)
    except InvalidRule as exc:
        raise InvalidRule(f"{path}: {exc.detail}") from exc


def stored_rule(rule_set: str, definition: dict[str, Any]) -> Rule:
    return rule_from_dict(definition, rule_set)


def extra_rules(rules_dir: Path | None, stored: Sequence[tuple[str, dict[str, Any]]] = ()) -> list[Rule]:
    return [*load_rules_dir(rules_dir), *(stored_rule(s, d) for s, d in stored)]


def combine(
    extra: Sequence[Rule], config: RuleConfig | Mapping[str, Any] | None, *, with_builtins: bool = True
) -> tuple[Rule, ...]:
    """Built-ins plus ``extra``; ids must be unique across all of them; overrides applied."""
    rules = [*(builtin_rules() if with_builtins else ()), *extra]
    ensure_unique(rules)
    return apply_config(rules, config)
