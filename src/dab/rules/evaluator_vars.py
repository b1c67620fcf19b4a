"""Read dbt-project-evaluator's ``vars`` from a ``dbt_project.yml`` as a rules config.

Teams migrating from the evaluator keep their thresholds: each var the evaluator documents
becomes an override of the dab rule that plays the same part (see docs/RULES.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from dab.errors import InvalidRule

Override = dict[str, Any]


def _bad(name: str, what: str) -> InvalidRule:
    return InvalidRule(f"dbt_project.yml: field 'vars.{name}': {what}")


def _int(name: str, value: Any, *, percent: bool = False) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0 or (percent and value > 100):
        raise _bad(name, "must be an integer between 0 and 100" if percent else "must be a whole number ≥ 0")
    return value


def _strings(name: str, value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad(name, "must be a string or a list of strings")
    return list(value)


def _test_name(macro: str) -> str:
    """``dbt_utils.test_unique_combination_of_columns`` -> ``unique_combination_of_columns``."""
    name = macro.rsplit(".", 1)[-1]
    return name.removeprefix("test_")


def _pk_macros(name: str, value: Any) -> Override:
    if not isinstance(value, list) or not all(isinstance(e, list) for e in value):
        raise _bad(name, "must be a list of lists of test macro names")
    singles = [_test_name(m) for entry in value for m in _strings(name, entry) if len(entry) == 1]
    return {"params": {"test_names": singles}}


def _prefixes(name: str, value: Any) -> Override:
    alternatives = "|".join(re.escape(p) for p in _strings(name, value))
    return {"params": {"pattern": f"^(?:{alternatives})"}}


_NODE_TYPES = ("model", "source", "snapshot", "seed")


def _node_types(name: str, value: Any) -> Override:
    types = _strings(name, value)
    for item in types:
        if item not in _NODE_TYPES:
            raise _bad(name, f"'{item}' must be one of {', '.join(_NODE_TYPES)}")
    return {"when": {"capsule_types": types}}


VarRule = tuple[str, Callable[[str, Any], Override]]
VARS: Mapping[str, tuple[VarRule, ...]] = {
    "models_fanout_threshold": (("model-fan-out", lambda n, v: {"params": {"max": _int(n, v)}}),),
    "too_many_joins_threshold": (("too-many-joins", lambda n, v: {"params": {"max": _int(n, v)}}),),
    # the evaluator flags chains at or above the threshold; dab's max is the longest chain allowed
    "chained_views_threshold": (("chained-views", lambda n, v: {"params": {"max": max(_int(n, v) - 1, 0)}}),),
    "test_coverage_target": (
        ("test-coverage-target", lambda n, v: {"params": {"min_percent": _int(n, v, percent=True)}}),
    ),
    "documentation_coverage_target": (
        (
            "documentation-coverage-target",
            lambda n, v: {"params": {"min_percent": _int(n, v, percent=True)}},
        ),
    ),
    "primary_key_test_macros": (("primary-key-tested", _pk_macros),),
    "enforced_primary_key_node_types": (("primary-key-tested", _node_types),),
    "staging_prefixes": (("bronze-model-naming", _prefixes),),
    "intermediate_prefixes": (("silver-model-naming", _prefixes),),
    "marts_prefixes": (("gold-model-naming", _prefixes),),
    "staging_folder_name": (
        ("model-directory", lambda n, v: {"params": {"bronze_folders": _strings(n, v)}}),
        ("source-directory", lambda n, v: {"params": {"folders": _strings(n, v)}}),
    ),
    "intermediate_folder_name": (
        ("model-directory", lambda n, v: {"params": {"silver_folders": _strings(n, v)}}),
    ),
    "marts_folder_name": (("model-directory", lambda n, v: {"params": {"gold_folders": _strings(n, v)}}),),
}


def _merge(into: dict[str, Override], rule_id: str, override: Override) -> None:
    current = into.setdefault(rule_id, {})
    for key, value in override.items():
        if isinstance(value, Mapping):
            current.setdefault(key, {}).update(value)
        else:
            current[key] = value


def evaluator_config(project: Mapping[str, Any] | None) -> dict[str, Any]:
    """A rules config (``{"rules": {...}}``) from the evaluator vars of a parsed dbt_project.yml.

    Vars may sit at the top of ``vars`` or under ``vars.dbt_project_evaluator``; unknown vars
    are left alone (they belong to the project), known ones with a wrong type are an error.

    Example:
        >>> evaluator_config({"vars": {"models_fanout_threshold": 5}})
        {'rules': {'model-fan-out': {'params': {'max': 5}}}}
    """
    raw = (project or {}).get("vars") or {}
    if not isinstance(raw, Mapping):
        raise InvalidRule("dbt_project.yml: field 'vars': must be a mapping")
    scoped = raw.get("dbt_project_evaluator")
    found = {**raw, **(scoped if isinstance(scoped, Mapping) else {})}
    rules: dict[str, Override] = {}
    for name, targets in VARS.items():
        if name in found:
            for rule_id, convert in targets:
                _merge(rules, rule_id, convert(name, found[name]))
    return {"rules": rules} if rules else {}
