"""Checks on a capsule's declared metadata: meta keys, dbt config, description quality."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dab.domain.capsule import Capsule
from dab.rules.checks.base import CheckSpec, Judged, Outcome, Param, each, fail, label, param
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


def meta_keys(_ctx: EvalContext, rule: Rule, subjects: Sequence[Subject]) -> Judged:
    keys = tuple(param(rule, "keys", _OWNER))
    failing = []
    for subject in subjects:
        capsule = subject.capsule
        missing = [key for key in keys if not _filled(_meta_value(capsule, key))]
        if missing:
            failing.append(
                (subject, [Failure(key, f"{label(capsule)} has no meta.{key}") for key in missing])
            )
    return len(subjects), failing


def required_config(_ctx: EvalContext, rule: Rule, subjects: Sequence[Subject]) -> Judged:
    """A dbt config key is set (only for the listed materialisations, when any are listed).
    A capsule whose config is unknown (stored before it was kept) cannot be judged."""
    materializations = tuple(param(rule, "materializations", ()))
    key = str(param(rule, "key", ""))
    judged = [
        s
        for s in subjects
        if s.capsule.config is not None
        and (not materializations or (s.capsule.materialization or "") in materializations)
    ]
    failing = []
    for subject in judged:
        capsule = subject.capsule
        if not _filled(capsule.config.get(key)):  # type: ignore[union-attr]  # None filtered above
            kind = capsule.materialization or capsule.capsule_type.value
            failing.append((subject, fail(key, f"{kind} {label(capsule)} does not set config '{key}'")))
    return len(judged), failing


def description_length(_ctx: EvalContext, rule: Rule, subjects: Sequence[Subject]) -> Judged:
    minimum = int(param(rule, "min", 4))
    failing = []
    for subject in subjects:
        length = len((subject.capsule.description or "").strip())
        if length < minimum:
            message = f"{label(subject.capsule)} has a {length}-character description (min {minimum})"
            failing.append((subject, fail("", message)))
    return len(subjects), failing


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
