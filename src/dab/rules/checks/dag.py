"""Modeling checks over the shape of the DAG (ideas from dbt's project evaluator)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from dab.domain.capsule import Capsule, CapsuleType
from dab.rules.checks.base import (
    CheckSpec,
    Failing,
    Judged,
    Param,
    failing_parents,
    label,
    of_type,
    param,
    without_links,
)
from dab.rules.context import EvalContext
from dab.rules.model import Rule

_MODEL, _SOURCE = CapsuleType.MODEL, CapsuleType.SOURCE


def too_many_child_models(ctx: EvalContext, capsules: Sequence[Capsule], limit: int, what: str) -> Judged:
    """Capsules read by more than ``limit`` distinct models (``what``: "feeds" / "is read by")."""
    children = ctx.graph.children
    caps = ctx.graph.capsules
    failing: list[Failing] = []
    for capsule in capsules:
        if len(children.get(capsule.urn, ())) <= limit:  # at most ``limit`` children of any kind
            continue
        models = ctx.child_models(capsule.urn)
        if len(models) > limit:
            names = ", ".join(caps[c].name for c in models)
            failing.append(
                (
                    capsule,
                    None,
                    [("", f"{label(capsule)} {what} {len(models)} models (max {limit}): {names}")],
                )
            )
    return len(capsules), failing


def fan_out(ctx: EvalContext, rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    return too_many_child_models(ctx, capsules, int(param(rule, "max", 3)), "feeds")


def root_model(ctx: EvalContext, _rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    models = of_type(capsules, _MODEL)
    return without_links(models, ctx.graph.parents, "has no upstream source, seed or model")


def direct_join_to_source(ctx: EvalContext, _rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    upstream = ctx.upstream
    failing: list[Failing] = []
    for capsule in capsules:
        parents = upstream.get(capsule.urn)
        if not parents or len(parents) < 2:  # a source and another parent
            continue
        sources = [p for p in parents if p.capsule_type is _SOURCE]
        others = [p for p in parents if p.capsule_type is not _SOURCE]
        if sources and others:
            what, other = label(capsule), label(others[0])
            failures = [(src.urn, f"{what} joins {label(src)} directly alongside {other}") for src in sources]
            failing.append((capsule, None, failures))
    return len(capsules), failing


def _parents_of_type(
    ctx: EvalContext,
    capsules: Sequence[Capsule],
    kind: CapsuleType,
    message: Callable[[Capsule, Capsule], str],
) -> Judged:
    """Fails on each parent of type ``kind``, with ``message(capsule, parent)``."""
    return len(capsules), failing_parents(ctx, capsules, lambda _capsule, p: p.capsule_type is kind, message)


def depends_on_source(ctx: EvalContext, _rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    layers = ctx.layers
    return _parents_of_type(
        ctx, capsules, _SOURCE, lambda c, p: f"{layers[c.urn]} {label(c)} reads {label(p)} directly"
    )


def staging_dependencies(ctx: EvalContext, _rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    layers = ctx.layers
    return _parents_of_type(
        ctx, capsules, _MODEL, lambda c, p: f"staging {label(c)} depends on {layers[p.urn]} {label(p)}"
    )


def rejoining_upstream(ctx: EvalContext, _rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    """C reads B and A, B reads A and feeds only C: B is a needless hop (or C a needless rejoin)."""
    parents, feeding_only, caps = ctx.graph.parents, ctx.feeding_only, ctx.graph.capsules
    failing: list[Failing] = []
    for capsule in capsules:
        mids = feeding_only.get(capsule.urn)  # the parents B that feed only C: usually none
        if not mids:
            continue
        direct = set(parents[capsule.urn])
        failures = []
        for mid in mids:
            shared = sorted(direct.intersection(parents.get(mid, ())))
            if shared:
                names = ", ".join(caps[a].name if a in caps else a for a in shared)
                mid_name = caps[mid].name if mid in caps else mid
                message = (
                    f"{label(capsule)} reads {names} both directly and through "
                    f"'{mid_name}', which has no other children"
                )
                failures.append((mid, message))
        if failures:
            failing.append((capsule, None, failures))
    return len(capsules), failing


def multiple_sources_joined(ctx: EvalContext, _rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    upstream = ctx.upstream
    failing: list[Failing] = []
    for capsule in capsules:
        parents = upstream.get(capsule.urn)
        if not parents or len(parents) < 2:
            continue
        sources = [p for p in parents if p.capsule_type is _SOURCE]
        if len(sources) > 1:
            names = ", ".join(s.name for s in sources)
            failing.append((capsule, None, [("", f"{label(capsule)} joins {len(sources)} sources: {names}")]))
    return len(capsules), failing


def duplicate_sources(ctx: EvalContext, _rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    sources = of_type(capsules, _SOURCE)
    duplicate_of = ctx.duplicate_of
    failing: list[Failing] = []
    for capsule in sources:
        if capsule.urn in duplicate_of:
            key, urns = duplicate_of[capsule.urn]
            others = ", ".join(u for u in urns if u != capsule.urn)
            failing.append(
                (capsule, None, [(key, f"{label(capsule)} reads relation {key}, also declared by {others}")])
            )
    return len(sources), failing


def unused_source(ctx: EvalContext, _rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    sources = of_type(capsules, _SOURCE)
    return without_links(sources, ctx.graph.children, "is not used by any model, snapshot or exposure")


SPECS: dict[str, CheckSpec] = {
    "fan_out": CheckSpec(fan_out, params={"max": Param("int", 3)}),
    "root_model": CheckSpec(root_model),
    "direct_join_to_source": CheckSpec(direct_join_to_source),
    "depends_on_source": CheckSpec(depends_on_source),
    "staging_dependencies": CheckSpec(staging_dependencies),
    "rejoining_upstream": CheckSpec(rejoining_upstream),
    "multiple_sources_joined": CheckSpec(multiple_sources_joined),
    "duplicate_sources": CheckSpec(duplicate_sources),
    "unused_source": CheckSpec(unused_source),
}
