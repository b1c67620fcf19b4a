"""The pull-request gate: what a change did to conformance, and what it reaches downstream.

Pure: compares two evaluations (baseline and head) by violation fingerprint, and two graphs
capsule by capsule. A violation is *introduced* when its fingerprint is in the head only,
*fixed* when it is in the baseline only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from dab.domain.capsule import Capsule, CapsuleType
from dab.domain.graph import Graph
from dab.rules.model import EvaluationResult, Rule, Violation
from dab.rules.reach import BaselineSide, baseline_within_reach, diff_against


@dataclass(frozen=True, slots=True)
class Impact:
    """Capsules downstream of the changed ones (the changed ones excluded), by kind, URN-sorted."""

    models: tuple[str, ...] = ()
    exposures: tuple[str, ...] = ()
    others: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GateDiff:
    introduced: tuple[Violation, ...]
    fixed: tuple[Violation, ...]
    unchanged: int
    added: tuple[str, ...]
    modified: tuple[str, ...]
    removed: tuple[str, ...]
    impact: Impact

    @property
    def changed(self) -> tuple[str, ...]:
        return tuple(sorted({*self.added, *self.modified}))


def diff_violations(
    base: EvaluationResult, head: EvaluationResult
) -> tuple[tuple[Violation, ...], tuple[Violation, ...], int]:
    """(introduced, fixed, unchanged count) between two evaluations."""
    before = {v.fingerprint for v in base.violations}
    after = {v.fingerprint for v in head.violations}
    introduced = tuple(v for v in head.violations if v.fingerprint not in before)
    fixed = tuple(v for v in base.violations if v.fingerprint not in after)
    return introduced, fixed, len(after & before)


def _definition(capsule: Capsule) -> Capsule:
    """A capsule without what a run changes (run results, freshness status)."""
    fresh = capsule.freshness
    if fresh is not None:
        fresh = replace(fresh, status=None, max_loaded_at=None, snapshotted_at=None)
    return replace(capsule, last_run=None, freshness=fresh)


def _tests(graph: Graph, urn: str) -> list[str]:
    return sorted(t.name for t in graph.tests_by_capsule.get(urn, ()))


def _same(base: Graph, head: Graph, urn: str) -> bool:
    """Whether a capsule's manifest definition, columns, tests and parents are unchanged.

    Plain equality first (the common case, no copies); normalised only when it differs.
    """
    before, after = base.capsules[urn], head.capsules[urn]
    if before is not after and before != after and _definition(before) != _definition(after):
        return False
    return (
        base.columns_by_capsule.get(urn) == head.columns_by_capsule.get(urn)
        and set(base.parents.get(urn, ())) == set(head.parents.get(urn, ()))
        and _tests(base, urn) == _tests(head, urn)
    )


def changed_capsules(
    base: Graph, head: Graph, candidates: Iterable[str] | None = None
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(added, modified, removed) capsule URNs, each sorted. ``candidates``: a superset of the
    capsules that differ at all (``reach.changed``), so the rest need no comparison."""
    added = sorted(set(head.capsules) - set(base.capsules))
    removed = sorted(set(base.capsules) - set(head.capsules))
    common = set(head.capsules) & set(base.capsules)
    if candidates is not None:
        common &= set(candidates)
    modified = sorted(u for u in common if not _same(base, head, u))
    return tuple(added), tuple(modified), tuple(removed)


def downstream_impact(graph: Graph, urns: Iterable[str]) -> Impact:
    """Everything downstream of ``urns`` in ``graph`` (at any depth), without ``urns`` themselves."""
    start = {u for u in urns if u in graph.capsules}
    reached: set[str] = set()
    frontier = list(start)
    children = graph.children
    while frontier:  # one breadth-first walk from every start at once
        node = frontier.pop()
        for child in children.get(node, ()):
            if child not in reached:
                reached.add(child)
                frontier.append(child)
    reached -= start
    kinds: dict[str, list[str]] = {"models": [], "exposures": [], "others": []}
    for urn in sorted(reached):
        capsule = graph.capsules.get(urn)
        if capsule is None:
            continue
        if capsule.capsule_type in (CapsuleType.MODEL, CapsuleType.SNAPSHOT):
            kinds["models"].append(urn)
        elif capsule.capsule_type is CapsuleType.EXPOSURE:
            kinds["exposures"].append(urn)
        else:
            kinds["others"].append(urn)
    return Impact(tuple(kinds["models"]), tuple(kinds["exposures"]), tuple(kinds["others"]))


def gate(base_graph: Graph, base: EvaluationResult, head_graph: Graph, head: EvaluationResult) -> GateDiff:
    """What the change from ``base_graph`` to ``head_graph`` introduced, fixed and reaches."""
    added, modified, removed = changed_capsules(base_graph, head_graph)
    # No rule counted as local: every violation of both evaluations is compared (diff_violations).
    side = BaselineSide(base.violations, frozenset(), frozenset(), frozenset())
    findings = BaselineFindings(side, added, modified, removed, downstream_impact(base_graph, removed))
    return gate_from(findings, head_graph, head)


@dataclass(frozen=True, slots=True)
class BaselineFindings:
    """Everything the gate reads from the baseline graph, small and picklable: a child process
    may compute it while this one evaluates the head (``gate_from`` finishes the diff)."""

    side: BaselineSide
    added: tuple[str, ...]
    modified: tuple[str, ...]
    removed: tuple[str, ...]
    gone: Impact
    """Downstream of the removed capsules, in the baseline."""


def baseline_findings(base_graph: Graph, head_graph: Graph, rules: Iterable[Rule]) -> BaselineFindings:
    side = baseline_within_reach(base_graph, head_graph, rules)
    added, modified, removed = changed_capsules(base_graph, head_graph, side.changed)
    return BaselineFindings(side, added, modified, removed, downstream_impact(base_graph, removed))


def gate_from(findings: BaselineFindings, head_graph: Graph, head: EvaluationResult) -> GateDiff:
    """The gate's report from the baseline's findings and the head's evaluation."""
    found = diff_against(findings.side, head)
    impact = downstream_impact(head_graph, [*findings.added, *findings.modified])
    gone = findings.gone
    merged = Impact(
        tuple(sorted({*impact.models, *(u for u in gone.models if u in head_graph.capsules)})),
        tuple(sorted({*impact.exposures, *(u for u in gone.exposures if u in head_graph.capsules)})),
        impact.others,
    )
    return GateDiff(
        found.introduced,
        found.fixed,
        found.unchanged,
        findings.added,
        findings.modified,
        findings.removed,
        merged,
    )


def gate_within_reach(
    base_graph: Graph, head_graph: Graph, head: EvaluationResult, rules: Iterable[Rule]
) -> GateDiff:
    """``gate`` without evaluating the whole baseline: only where the change reaches."""
    return gate_from(baseline_findings(base_graph, head_graph, rules), head_graph, head)
