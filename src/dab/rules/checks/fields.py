"""Checks on a capsule's own fields: naming and required metadata."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

from dab.domain.capsule import Capsule
from dab.rules.checks.base import CheckSpec, ColumnGroups, Failing, Failures, Judged, Param, label, param
from dab.rules.context import EvalContext
from dab.rules.model import Rule

REQUIRED_FIELDS: tuple[str, ...] = ("description", "owner", "domain", "contract", "tags", "materialization")


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _pattern(rule: Rule) -> tuple[str, Callable[[str], object]]:
    pattern = str(param(rule, "pattern", ".*"))
    return pattern, _compiled(pattern).search


def _misnamed(capsule: Capsule, name: str, pattern: str) -> Failures:
    return [("", f"{label(capsule)} name '{name}' does not match /{pattern}/")]


def name_pattern(_ctx: EvalContext, rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    pattern, search = _pattern(rule)
    return len(capsules), [(c, None, _misnamed(c, c.name, pattern)) for c in capsules if not search(c.name)]


def column_name_pattern(_ctx: EvalContext, rule: Rule, groups: ColumnGroups) -> Judged:
    pattern, search = _pattern(rule)
    failing: list[Failing] = [
        (capsule, column, _misnamed(capsule, column.name, pattern))
        for capsule, columns in groups
        for column in columns
        if not search(column.name)
    ]
    return sum(len(columns) for _, columns in groups), failing


def _has_description(capsule: Capsule) -> bool:
    return bool(capsule.description and capsule.description.strip())


_HAS_FIELD: dict[str, Callable[[Capsule], bool]] = {
    "description": _has_description,
    "owner": lambda c: bool(c.owner.value),
    "domain": lambda c: bool(c.domain.value),
    "contract": lambda c: c.contract_enforced,
    "tags": lambda c: bool(c.tags),
}


def _has_materialization(capsule: Capsule) -> bool:  # also any field name not above
    return bool(capsule.materialization)


def required_field(_ctx: EvalContext, rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    field_name = str(param(rule, "field", "description"))
    has = _HAS_FIELD.get(field_name, _has_materialization)
    what = "an enforced contract" if field_name == "contract" else field_name
    return len(capsules), [
        (c, None, [(field_name, f"{label(c)} has no {what}")]) for c in capsules if not has(c)
    ]


SPECS: dict[str, CheckSpec] = {
    "name_pattern": CheckSpec(
        name_pattern,
        ("capsule", "column"),
        {"pattern": Param("regex", required=True)},
        column_batch=column_name_pattern,
    ),
    "required_field": CheckSpec(
        required_field, ("capsule",), {"field": Param("str", required=True, choices=REQUIRED_FIELDS)}
    ),
}
