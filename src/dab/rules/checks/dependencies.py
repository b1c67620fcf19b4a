"""DAG checks beyond the first set: source fan-out, orphans, upstream counts, chains of views."""

from __future__ import annotations

from dab.rules.checks.base import CheckSpec, Outcome, Param, fail, is_model, is_source, label, param
from dab.rules.context import EvalContext, Subject
from dab.rules.model import Rule

VIRTUAL_MATERIALIZATIONS: tuple[str, ...] = ("view", "ephemeral")


def _child_models(ctx: EvalContext, urn: str) -> list[str]:
    caps = ctx.graph.capsules
    return sorted({c for c in ctx.children(urn) if c in caps and is_model(caps[c])})


def source_fan_out(ctx: EvalContext, rule: Rule, subject: Subject) -> Outcome:
    capsule = subject.capsule
    if not is_source(capsule):
        return None
    limit = int(param(rule, "max", 1))
    models = _child_models(ctx, capsule.urn)
    if len(models) <= limit:
        return []
    names = ", ".join(ctx.graph.capsules[c].name for c in models)
    return fail("", f"{label(capsule)} is read by {len(models)} models (max {limit}): {names}")


def orphan(ctx: EvalContext, _rule: Rule, subject: Subject) -> Outcome:
    """No downstream node at all: no model, snapshot or exposure reads it."""
    if ctx.children(subject.capsule.urn):
        return []
    return fail("", f"{label(subject.capsule)} has no downstream model, snapshot or exposure")


def max_upstream(ctx: EvalContext, rule: Rule, subject: Subject) -> Outcome:
    limit = int(param(rule, "max", 5))
    models = [p for p in ctx.parent_capsules(subject.capsule.urn) if is_model(p)]
    if len(models) <= limit:
        return []
    return fail("", f"{label(subject.capsule)} reads {len(models)} models directly (max {limit})")


def chained_views(ctx: EvalContext, rule: Rule, subject: Subject) -> Outcome:
    limit = int(param(rule, "max", 3))
    kinds = frozenset(param(rule, "materializations", VIRTUAL_MATERIALIZATIONS))
    length = ctx.view_chain(subject.capsule.urn, kinds)
    if length <= limit:
        return []
    return fail(
        "",
        f"{label(subject.capsule)} sits below a chain of {length} models materialised as "
        f"{' or '.join(sorted(kinds))} (max {limit})",
    )


SPECS: dict[str, CheckSpec] = {
    "source_fan_out": CheckSpec(source_fan_out, params={"max": Param("int", 1)}),
    "orphan": CheckSpec(orphan),
    "max_upstream": CheckSpec(max_upstream, params={"max": Param("int", 5)}),
    "chained_views": CheckSpec(
        chained_views,
        params={"max": Param("int", 3), "materializations": Param("str_list", VIRTUAL_MATERIALIZATIONS)},
    ),
}
