"""DAG checks beyond the first set: source fan-out, orphans, upstream counts, chains of views."""

from __future__ import annotations

from collections.abc import Sequence

from dab.domain.capsule import Capsule, CapsuleType
from dab.rules.checks.base import CheckSpec, Failing, Judged, Param, label, of_type, param, without_links
from dab.rules.checks.dag import too_many_child_models
from dab.rules.context import EvalContext
from dab.rules.model import Rule

VIRTUAL_MATERIALIZATIONS: tuple[str, ...] = ("view", "ephemeral")


def source_fan_out(ctx: EvalContext, rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    sources = of_type(capsules, CapsuleType.SOURCE)
    return too_many_child_models(ctx, sources, int(param(rule, "max", 1)), "is read by")


def orphan(ctx: EvalContext, _rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    """No downstream node at all: no model, snapshot or exposure reads it."""
    return without_links(capsules, ctx.graph.children, "has no downstream model, snapshot or exposure")


def max_upstream(ctx: EvalContext, rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    limit = int(param(rule, "max", 5))
    upstream = ctx.upstream
    failing: list[Failing] = []
    for capsule in capsules:
        parents = upstream.get(capsule.urn, ())
        if len(parents) <= limit:  # at most ``limit`` parents of any kind
            continue
        count = sum(1 for p in parents if p.capsule_type is CapsuleType.MODEL)
        if count > limit:
            failing.append(
                (capsule, None, [("", f"{label(capsule)} reads {count} models directly (max {limit})")])
            )
    return len(capsules), failing


def chained_views(ctx: EvalContext, rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    limit = int(param(rule, "max", 3))
    kinds = frozenset(param(rule, "materializations", VIRTUAL_MATERIALIZATIONS))
    what = " or ".join(sorted(kinds))
    failing: list[Failing] = []
    for capsule in capsules:
        length = ctx.view_chain(capsule.urn, kinds)
        if length > limit:
            message = (
                f"{label(capsule)} sits below a chain of {length} models materialised as {what} (max {limit})"
            )
            failing.append((capsule, None, [("", message)]))
    return len(capsules), failing


SPECS: dict[str, CheckSpec] = {
    "source_fan_out": CheckSpec(source_fan_out, params={"max": Param("int", 1)}),
    "orphan": CheckSpec(orphan),
    "max_upstream": CheckSpec(max_upstream, params={"max": Param("int", 5)}),
    "chained_views": CheckSpec(
        chained_views,
        params={"max": Param("int", 3), "materializations": Param("str_list", VIRTUAL_MATERIALIZATIONS)},
    ),
}
