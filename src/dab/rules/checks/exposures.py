"""Checks on what exposures (dashboards, applications) read."""

from __future__ import annotations

from dab.domain.capsule import CapsuleType
from dab.rules.checks.base import CheckSpec, Outcome, Param, each, is_model, is_source, label, param
from dab.rules.checks.dependencies import VIRTUAL_MATERIALIZATIONS
from dab.rules.context import EvalContext, Subject
from dab.rules.model import Failure, Rule

_PUBLIC: tuple[str, ...] = ("public",)


def _is_exposure(subject: Subject) -> bool:
    return subject.capsule.capsule_type is CapsuleType.EXPOSURE


def exposure_parent_materialization(ctx: EvalContext, rule: Rule, subject: Subject) -> Outcome:
    """An exposure reads tables: not views/ephemeral models, and not raw sources."""
    if not _is_exposure(subject):
        return None
    banned = set(param(rule, "materializations", VIRTUAL_MATERIALIZATIONS))
    failures: list[Failure] = []
    for parent in ctx.parent_capsules(subject.capsule.urn):
        if is_source(parent):
            failures.append(Failure(parent.urn, f"{label(subject.capsule)} reads {label(parent)} directly"))
        elif is_model(parent) and (parent.materialization or "") in banned:
            failures.append(
                Failure(
                    parent.urn,
                    f"{label(subject.capsule)} reads {label(parent)}, "
                    f"materialised as {parent.materialization}",
                )
            )
    return failures


def exposure_parent_access(ctx: EvalContext, rule: Rule, subject: Subject) -> Outcome:
    """An exposure reads only models whose access level is among ``allowed`` (public)."""
    if not _is_exposure(subject):
        return None
    allowed = set(param(rule, "allowed", _PUBLIC))
    return [
        Failure(
            parent.urn,
            f"{label(subject.capsule)} reads {parent.access or 'protected'} {label(parent)}",
        )
        for parent in ctx.parent_capsules(subject.capsule.urn)
        if is_model(parent) and (parent.access or "protected") not in allowed
    ]


SPECS: dict[str, CheckSpec] = {
    "exposure_parent_materialization": CheckSpec(
        each(exposure_parent_materialization),
        params={"materializations": Param("str_list", VIRTUAL_MATERIALIZATIONS)},
    ),
    "exposure_parent_access": CheckSpec(
        each(exposure_parent_access), params={"allowed": Param("str_list", _PUBLIC)}
    ),
}
