"""Checks on a capsule's declared metadata: meta keys, dbt config, description quality."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dab.domain.capsule import Capsule
from dab.rules.checks.base import CheckSpec, Outcome, Param, fail, label, param
from dab.rules.context import EvalContext, Subject
from dab.rules.model import Failure, Rule

_OWNER: tuple[str, ...] = ("owner",)


def _filled(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return value not in (None, [], {})


def _meta_value(capsule: Capsule, key: str) -> Any:
    """``owner`` is the inferred owner (meta.owner, a group's owner, an exposure's owner)."""
    if key == "owner" and capsule.owner.value:
        return capsule.owner.value
    if "." not in key:  # most keys: one lookup, no split
        return capsule.meta.get(key) if isinstance(capsule.meta, Mapping) else None
    value: Any = capsule.meta
    for part in key.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def meta_keys(_ctx: EvalContext, rule: Rule, subject: Subject) -> Outcome:
    capsule = subject.capsule
    return [
        Failure(key, f"{label(capsule)} has no meta.{key}")
        for key in param(rule, "keys", _OWNER)
        if not _filled(_meta_value(capsule, key))
    ]


def required_config(_ctx: EvalContext, rule: Rule, subject: Subject) -> Outcome:
    """A dbt config key is set (only for the listed materialisations, when any are listed)."""
    capsule = subject.capsule
    if capsule.config is None:
        return None  # config unknown (stored before it was kept): cannot judge
    materializations = tuple(param(rule, "materializations", ()))
    if materializations and (capsule.materialization or "") not in materializations:
        return None
    key = str(param(rule, "key", ""))
    if _filled(capsule.config.get(key)):
        return []
    kind = capsule.materialization or capsule.capsule_type.value
    return fail(key, f"{kind} {label(capsule)} does not set config '{key}'")


def description_length(_ctx: EvalContext, rule: Rule, subject: Subject) -> Outcome:
    minimum = int(param(rule, "min", 4))
    text = (subject.capsule.description or "").strip()
    if len(text) >= minimum:
        return []
    return fail("", f"{label(subject.capsule)} has a {len(text)}-character description (min {minimum})")


def fully_documented(ctx: EvalContext, _rule: Rule, subject: Subject) -> Outcome:
    """The capsule and every one of its columns have a description."""
    capsule = subject.capsule
    failures: list[Failure] = []
    if not _filled(capsule.description):
        failures.append(Failure("", f"{label(capsule)} has no description"))
    columns = ctx.graph.columns_by_capsule.get(capsule.urn, ())
    missing = [c.name for c in columns if not _filled(c.description)]
    if missing:
        failures.append(
            Failure("columns", f"{label(capsule)} has undocumented columns: {', '.join(missing)}")
        )
    return failures


SPECS: dict[str, CheckSpec] = {
    "meta_keys": CheckSpec(meta_keys, params={"keys": Param("str_list", _OWNER)}),
    "required_config": CheckSpec(
        required_config,
        params={"key": Param("str", required=True), "materializations": Param("str_list", ())},
    ),
    "description_length": CheckSpec(description_length, params={"min": Param("int", 4)}),
    "fully_documented": CheckSpec(fully_documented),
}
