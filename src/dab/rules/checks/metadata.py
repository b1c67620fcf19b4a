"""Checks on a capsule's declared metadata: meta keys, dbt config, description quality."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dab.domain.capsule import Capsule
from dab.rules.checks.base import CheckSpec, Failing, Judged, Outcome, Param, each, label, param
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


def meta_keys(_ctx: EvalContext, rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    keys = tuple(param(rule, "keys", _OWNER))
    failing: list[Failing] = []
    for capsule in capsules:
        missing = [key for key in keys if not _filled(_meta_value(capsule, key))]
        if missing:
            failing.append((capsule, None, [(key, f"{label(capsule)} has no meta.{key}") for key in missing]))
    return len(capsules), failing


def required_config(_ctx: EvalContext, rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    """A dbt config key is set (only for the listed materialisations, when any are listed).
    A capsule whose config is unknown (stored before it was kept) cannot be judged."""
    materializations = tuple(param(rule, "materializations", ()))
    key = str(param(rule, "key", ""))
    failing: list[Failing] = []
    applicable = 0
    for capsule in capsules:
        config = capsule.config
        if config is None or (materializations and (capsule.materialization or "") not in materializations):
            continue
        applicable += 1
        if not _filled(config.get(key)):
            kind = capsule.materialization or capsule.capsule_type.value
            failing.append((capsule, None, [(key, f"{kind} {label(capsule)} does not set config '{key}'")]))
    return applicable, failing


def description_length(_ctx: EvalContext, rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    minimum = int(param(rule, "min", 4))
    failing: list[Failing] = []
    for capsule in capsules:
        length = len((capsule.description or "").strip())
        if length < minimum:
            message = f"{label(capsule)} has a {length}-character description (min {minimum})"
            failing.append((capsule, None, [("", message)]))
    return len(capsules), failing


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
    "fully_documented": CheckSpec(each(fully_documented)),
}
