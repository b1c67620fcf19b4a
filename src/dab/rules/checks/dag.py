"""Modeling checks over the shape of the DAG (ideas from dbt's project evaluator)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from dab.domain.capsule import Capsule, CapsuleType
from dab.rules.checks.base import (
    CheckSpec,
    Judged,
    Param,
    fail,
    failing_parents,
    label,
    of_type,
    param,
    without_links,
)
from dab.rules.context import EvalContext, Subject
from dab.rules.model import Failure, Rule

_MODEL, _SOURCE = CapsuleType.MODEL, CapsuleType.SOURCE


def too_many_child_models(ctx: EvalContext, subjects: Sequence[Subject], limit: int, what: str) -> Judged:
    """Subjects read by more than ``limit`` distinct models (``what``: "feeds" / "is read by")."""
    children = ctx.graph.children
    caps = ctx.graph.capsules
    failing = []
    for subject in subjects:
        urn = subject.capsule.urn
        if len(children.get(urn, ())) <= limit:  # at most ``limit`` children of any kind
            continue
        models = ctx.child_models(urn)
        if len(models) > limit:
            names = ", ".join(caps[c].name for c in models)
            message = f"{label(subject.capsule)} {what} {len(models)} models (max {limit}): {names}"
            failing.append((subject, fail("", message)))
    return len(subjects), failing


def fan_out(ctx: EvalContext, rule: Rule, subjects: Sequence[Subject]) -> Judged:
    return too_many_child_models(ctx, subjects, int(param(rule, "max", 3)), "feeds")


def root_model(ctx: EvalContext, _rule: Rule, subjects: Sequence[Subject]) -> Judged:
    return without_links(
        of_type(subjects, _MODEL), ctx.graph.parents, "has no upstream source, seed or model"
    )


def direct_join_to_source(ctx: EvalContext, _rule: Rule, subjects: Sequence[Subject]) -> Judged:
    upstream = ctx.upstream
    failing = []
    for subject in subjects:
        parents = upstream.get(subject.capsule.urn)
        if not parents or len(parents) < 2:  # a source and another parent
            continue
        sources = [p for p in parents if p.capsule_type is _SOURCE]
        others = [p for p in parents if p.capsule_type is not _SOURCE]
        if sources and others:
            capsule = subject.capsule
            failures = [
                Failure(src.urn, f"{label(capsule)} joins {label(src)} directly alongside {label(others[0])}")
                for src in sources
            ]
            failing.append((subject, failures))
    return len(subjects), failing


def _parents_of_type(
    ctx: EvalContext,
    subjects: Sequence[Subject],
    kind: CapsuleType,
    message: Callable[[Capsule, Capsule], str],
) -> Judged:
    """Fails on each parent of type ``kind``, with ``message(capsule, parent)``."""
    return len(subjects), failing_parents(ctx, subjects, lambda _capsule, p: p.capsule_type is kind, message)


def depends_on_source(ctx: EvalContext, _rule: Rule, subjects: Sequence[Subject]) -> Judged:
    layers = ctx.layers
    return _parents_of_type(
        ctx, subjects, _SOURCE, lambda c, p: f"{layers[c.urn]} {label(c)} reads {label(p)} directly"
    )


def staging_dependencies(ctx: EvalContext, _rule: Rule, subjects: Sequence[Subject]) -> Judged:
    layers = ctx.layers
    return _parents_of_type(
        ctx, subjects, _MODEL, lambda c, p: f"staging {label(c)} depends on {layers[p.urn]} {label(p)}"
    )


def rejoining_upstream(ctx: EvalContext, _rule: Rule, subjects: Sequence[Subject]) -> Judged:
    """C reads B and A, B reads A and feeds only C: B is a needless hop (or C a needless rejoin)."""
    parents, sole_child, caps = ctx.graph.parents, ctx.sole_child, ctx.graph.capsules
    failing = []
    for subject in subjects:
        urn = subject.capsule.urn
        above = parents.get(urn)
        if not above:
            continue
        direct = set(above)
        mids = sorted(m for m in direct if sole_child.get(m) == urn)  # parents that feed only C
        failures = []
        for mid in mids:
            shared = sorted(direct.intersection(parents.get(mid, ())))
            if shared:
                names = ", ".join(caps[a].name if a in caps else a for a in shared)
                mid_name = caps[mid].name if mid in caps else mid
                failures.append(
                    Failure(
                        mid,
                        f"{label(subject.capsule)} reads {names} both directly and through "
                        f"'{mid_name}', which has no other children",
                    )
                )
        if failures:
            failing.append((subject, failures))
    return len(subjects), failing


def multiple_sources_joined(ctx: EvalContext, _rule: Rule, subjects: Sequence[Subject]) -> Judged:
    upstream = ctx.upstream
    failing = []
    for subject in subjects:
        parents = upstream.get(subject.capsule.urn)
        if not parents or len(parents) < 2:
            continue
        sources = [p for p in parents if p.capsule_type is _SOURCE]
        if len(sources) > 1:
            names = ", ".join(s.name for s in sources)
            failing.append(
                (subject, fail("", f"{label(subject.capsule)} joins {len(sources)} sources: {names}"))
            )
    return len(subjects), failing


def duplicate_sources(ctx: EvalContext, _rule: Rule, subjects: Sequence[Subject]) -> Judged:
    sources = of_type(subjects, _SOURCE)
    duplicate_of = ctx.duplicate_of
    failing = []
    for subject in sources:
        urn = subject.capsule.urn
        if urn in duplicate_of:
            key, urns = duplicate_of[urn]
            others = ", ".join(u for u in urns if u != urn)
            failing.append(
                (
                    subject,
                    fail(key, f"{label(subject.capsule)} reads relation {key}, also declared by {others}"),
                )
            )
    return len(sources), failing


def unused_source(ctx: EvalContext, _rule: Rule, subjects: Sequence[Subject]) -> Judged:
    sources = of_type(subjects, _SOURCE)
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
