"""DAG checks beyond the first set: source fan-out, orphans, upstream counts, chains of views."""

from __future__ import annotations

from collections.abc import Sequence

from dab.domain.capsule import CapsuleType
from dab.rules.checks.base import CheckSpec, Judged, Param, fail, label, of_type, param, without_links
from dab.rules.checks.dag import too_many_child_models
from dab.rules.context import EvalContext, Subject
from dab.rules.model import Rule

VIRTUAL_MATERIALIZATIONS: tuple[str, ...] = ("view", "ephemeral")


def source_fan_out(ctx: EvalContext, rule: Rule, subjects: Sequence[Subject]) -> Judged:
    sources = of_type(subjects, CapsuleType.SOURCE)
    return too_many_child_models(ctx, sources, int(param(rule, "max", 1)), "is read by")


def orphan(ctx: EvalContext, _rule: Rule, subjects: Sequence[Subject]) -> Judged:
    """No downstream node at all: no model, snapshot or exposure reads it."""
    return without_links(subjects, ctx.graph.children, "has no downstream model, snapshot or exposure")


def max_upstream(ctx: EvalContext, rule: Rule, subjects: Sequence[Subject]) -> Judged:
    limit = int(param(rule, "max", 5))
    upstream = ctx.upstream
    failing = []
    for subject in subjects:
        parents = upstream.get(subject.capsule.urn, ())
        if len(parents) <= limit:  # at most ``limit`` parents of any kind
            continue
        count = sum(1 for p in parents if p.capsule_type is CapsuleType.MODEL)
        if count > limit:
            failing.append(
                (subject, fail("", f"{label(subject.capsule)} reads {count} models directly (max {limit})"))
            )
    return len(subjects), failing


def chained_views(ctx: EvalContext, rule: Rule, subjects: Sequence[Subject]) -> Judged:
    limit = int(param(rule, "max", 3))
    kinds = frozenset(param(rule, "materializations", VIRTUAL_MATERIALIZATIONS))
    what = " or ".join(sorted(kinds))
    failing = []
    for subject in subjects:
        length = ctx.view_chain(subject.capsule.urn, kinds)
        if length > limit:
            message = (
                f"{label(subject.capsule)} sits below a chain of {length} models "
                f"materialised as {what} (max {limit})"
            )
            failing.append((subject, fail("", message)))
    return len(subjects), failing


SPECS: dict[str, CheckSpec] = {
    "source_fan_out": CheckSpec(source_fan_out, params={"max": Param("int", 1)}),
    "orphan": CheckSpec(orphan),
    "max_upstream": CheckSpec(max_upstream, params={"max": Param("int", 5)}),
    "chained_views": CheckSpec(
        chained_views,
        params={"max": Param("int", 3), "materializations": Param("str_list", VIRTUAL_MATERIALIZATIONS)},
    ),
}
