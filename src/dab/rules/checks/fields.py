"""Checks on a capsule's own fields: naming and required metadata."""

from __future__ import annotations

import re
from functools import lru_cache

from dab.domain.capsule import Capsule
from dab.rules.checks.base import CheckSpec, Outcome, Param, fail, label, param
from dab.rules.context import EvalContext, Subject
from dab.rules.model import Rule

REQUIRED_FIELDS: tuple[str, ...] = ("description", "owner", "domain", "contract", "tags", "materialization")


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def name_pattern(_ctx: EvalContext, rule: Rule, subject: Subject) -> Outcome:
    pattern = str(param(rule, "pattern", ".*"))
    name = subject.column.name if subject.column is not None else subject.capsule.name
    if _compiled(pattern).search(name):
        return []
    return fail("", f"{label(subject.capsule)} name '{name}' does not match /{pattern}/")


def _has_field(capsule: Capsule, field_name: str) -> bool:
    if field_name == "description":
        return bool(capsule.description and capsule.description.strip())
    if field_name == "owner":
        return bool(capsule.owner.value)
    if field_name == "domain":
        return bool(capsule.domain.value)
    if field_name == "contract":
        return capsule.contract_enforced
    if field_name == "tags":
        return bool(capsule.tags)
    return bool(capsule.materialization)


def required_field(_ctx: EvalContext, rule: Rule, subject: Subject) -> Outcome:
    field_name = str(param(rule, "field", "description"))
    if _has_field(subject.capsule, field_name):
        return []
    what = "an enforced contract" if field_name == "contract" else field_name
    return fail(field_name, f"{label(subject.capsule)} has no {what}")


SPECS: dict[str, CheckSpec] = {
    "name_pattern": CheckSpec(
        name_pattern, ("capsule", "column"), {"pattern": Param("regex", required=True)}
    ),
    "required_field": CheckSpec(
        required_field, ("capsule",), {"field": Param("str", required=True, choices=REQUIRED_FIELDS)}
    ),
}
