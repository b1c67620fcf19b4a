"""Modeling checks over the shape of the DAG (ideas from dbt's project evaluator)."""

from __future__ import annotations

from dab.domain.capsule import CapsuleType
from dab.rules.checks.base import CheckSpec, Outcome, Param, fail, is_model, is_source, label, param
from dab.rules.context import EvalContext, Subject
from dab.rules.model import Failure, Rule


def fan_out(ctx: EvalContext, rule: Rule, subject: Subject) -> Outcome:
    capsule = subject.capsule
    limit = int(param(rule, "max", 3))
    caps = ctx.graph.capsules
    models = sorted({c for c in ctx.children(capsule.urn) if c in caps and is_model(caps[c])})
    if len(models) <= limit:
        return []
    names = ", ".join(caps[c].name for c in models)
    return fail("", f"{label(capsule)} feeds {len(models)} models (max {limit}): {names}")


def root_model(ctx: EvalContext, _rule: Rule, subject: Subject) -> Outcome:
    if not is_model(subject.capsule):
        return None
    if ctx.parents(subject.capsule.urn):
        return []
    return fail("", f"{label(subject.capsule)} has no upstream source, seed or model")


def direct_join_to_source(ctx: EvalContext, _rule: Rule, subject: Subject) -> Outcome:
    parents = ctx.parent_capsules(subject.capsule.urn)
    sources = [p for p in parents if is_source(p)]
    others = [p for p in parents if not is_source(p)]
    if not sources or not others:
        return []
    return [
        Failure(
            src.urn,
            f"{label(subject.capsule)} joins {label(src)} directly alongside {label(others[0])}",
        )
        for src in sources
    ]


def depends_on_source(ctx: EvalContext, _rule: Rule, subject: Subject) -> Outcome:
    return [
        Failure(p.urn, f"{subject.capsule.layer_value} {label(subject.capsule)} reads {label(p)} directly")
        for p in ctx.parent_capsules(subject.capsule.urn)
        if is_source(p)
    ]


def staging_dependencies(ctx: EvalContext, _rule: Rule, subject: Subject) -> Outcome:
    return [
        Failure(p.urn, f"staging {label(subject.capsule)} depends on {p.layer_value} {label(p)}")
        for p in ctx.parent_capsules(subject.capsule.urn)
        if p.capsule_type is CapsuleType.MODEL
    ]


def rejoining_upstream(ctx: EvalContext, _rule: Rule, subject: Subject) -> Outcome:
    """C reads B and A, B reads A and feeds only C: B is a needless hop (or C a needless rejoin)."""
    urn = subject.capsule.urn
    direct = set(ctx.parents(urn))
    failures: list[Failure] = []
    for mid in sorted(direct):
        if set(ctx.children(mid)) != {urn}:
            continue
        shared = sorted(direct.intersection(ctx.parents(mid)))
        if shared:
            caps = ctx.graph.capsules
            names = ", ".join(caps[a].name if a in caps else a for a in shared)
            mid_name = caps[mid].name if mid in caps else mid
            failures.append(
                Failure(
                    mid,
                    f"{label(subject.capsule)} reads {names} both directly and through "
                    f"'{mid_name}', which has no other children",
                )
            )
    return failures


def multiple_sources_joined(ctx: EvalContext, _rule: Rule, subject: Subject) -> Outcome:
    sources = [p for p in ctx.parent_capsules(subject.capsule.urn) if is_source(p)]
    if len(sources) <= 1:
        return []
    names = ", ".join(s.name for s in sources)
    return fail("", f"{label(subject.capsule)} joins {len(sources)} sources: {names}")


def duplicate_sources(ctx: EvalContext, _rule: Rule, subject: Subject) -> Outcome:
    capsule = subject.capsule
    if not is_source(capsule):
        return None
    for (_project, key), urns in ctx.duplicate_sources.items():
        if capsule.urn in urns:
            others = ", ".join(u for u in urns if u != capsule.urn)
            return fail(key, f"{label(capsule)} reads relation {key}, also declared by {others}")
    return []


def unused_source(ctx: EvalContext, _rule: Rule, subject: Subject) -> Outcome:
    if not is_source(subject.capsule):
        return None
    if ctx.children(subject.capsule.urn):
        return []
    return fail("", f"{label(subject.capsule)} is not used by any model, snapshot or exposure")


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
