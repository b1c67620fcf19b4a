"""How far a change to the graph can move a rule's verdicts: the PR gate's shortcut.

The gate needs the violations a change introduced and fixed. Evaluating the baseline in full
repeats, for every unchanged model, work whose answer the head's evaluation already holds. A
*local* check judges a subject from its own capsule, columns and tests, its parents and their
other children, its children, and the models above it (chains of views); a change can only move
the verdicts of subjects within that distance of a changed capsule. *Global* checks read
project-wide facts (every relation name, every model of a project, a source group) and are
evaluated on the whole baseline. A check kind missing here counts as global.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from dab.domain.graph import Graph
from dab.rules.context import EvalContext
from dab.rules.engine import Scope, evaluate
from dab.rules.model import EvaluationResult, Rule, Violation

LOCAL_KINDS: frozenset[str] = frozenset(
    {
        "allowed_upstream_layers", "chained_views", "code_pattern", "column_documented",
        "depends_on_source", "description_length", "direct_join_to_source",
        "exposure_parent_access", "exposure_parent_materialization", "fan_out",
        "fully_documented", "max_upstream", "meta_keys", "model_directory",
        "multiple_sources_joined", "name_pattern", "no_backwards_flow", "orphan", "pii_masked",
        "pii_typed", "primary_key_tested", "rejoining_upstream", "required_config",
        "required_field", "root_model", "select_star", "source_directory", "source_fan_out",
        "source_freshness", "staging_dependencies", "test_coverage", "test_directory",
        "too_many_joins", "unused_source",
    }
)  # fmt: skip
GLOBAL_KINDS: frozenset[str] = frozenset(
    {
        "hard_coded_reference",  # every known relation name
        "duplicate_sources",  # every source of the project
        "coverage",  # every model of the project
        "source_table_documented",  # every table of the source group
        "cel",  # user expressions may read anything a CEL capsule carries
    }
)


def is_local(rule: Rule) -> bool:
    """Whether the rule's verdicts stay within the reach of a change (CEL conditions do not)."""
    return rule.check.kind in LOCAL_KINDS and rule.when.expression is None


def changed(base: Graph, head: Graph) -> set[str]:
    """Capsules added, removed, or different in anything a rule reads (strict equality: a
    difference the gate's report ignores, such as run results, still counts here)."""
    out = set(base.capsules).symmetric_difference(head.capsules)
    b_cols, h_cols = base.columns_by_capsule, head.columns_by_capsule
    b_tests, h_tests = base.tests_by_capsule, head.tests_by_capsule
    b_parents, h_parents = base.parents, head.parents
    for urn, after in head.capsules.items():
        before = base.capsules.get(urn)
        if before is None or urn in out:
            continue
        if (
            (before is not after and before != after)
            or b_cols.get(urn, []) != h_cols.get(urn, [])
            or b_tests.get(urn, []) != h_tests.get(urn, [])
            or set(b_parents.get(urn, ())) != set(h_parents.get(urn, ()))
        ):
            out.add(urn)
    return out


def _descendants(graphs: Sequence[Graph], start: Iterable[str]) -> set[str]:
    seen = set(start)
    frontier = list(seen)
    while frontier:
        node = frontier.pop()
        for graph in graphs:
            for child in graph.children.get(node, ()):
                if child not in seen:
                    seen.add(child)
                    frontier.append(child)
    return seen


def reach(base: Graph, head: Graph, changed_urns: Iterable[str]) -> frozenset[str]:
    """Capsules whose local verdicts a change to ``changed_urns`` can move, in either graph:
    the changed ones, their parents, and everything below those (which takes in the parents'
    other children, whose rejoin and fan-out verdicts read the parents' children)."""
    graphs = (base, head)
    seeds = set(changed_urns)
    parents = {p for g in graphs for urn in seeds for p in g.parents.get(urn, ())}
    return frozenset(_descendants(graphs, seeds | parents))


@dataclass(frozen=True, slots=True)
class ViolationDiff:
    introduced: tuple[Violation, ...]
    fixed: tuple[Violation, ...]
    unchanged: int
    changed: frozenset[str]
    """Every capsule that differs at all between the graphs (``changed``)."""


def _sort_key(v: Violation) -> tuple[str, str, str]:
    return v.rule_id, v.subject_urn, v.detail_key


@dataclass(frozen=True, slots=True)
class BaselineSide:
    """What the gate needs from evaluating the baseline: small and picklable, so it can be
    computed apart from (and while) the head is evaluated."""

    found: tuple[Violation, ...]
    """The baseline's violations: global rules everywhere, local ones within ``area``."""
    local_ids: frozenset[str]
    area: frozenset[str]
    changed: frozenset[str]
    """Every capsule that differs at all between the graphs (``changed``)."""


def baseline_within_reach(base: Graph, head: Graph, rules: Iterable[Rule]) -> BaselineSide:
    """The baseline's half of ``diff_within_reach``: it reads both graphs, not the head's result."""
    selected = [r for r in rules if r.enabled]
    local = [r for r in selected if is_local(r)]
    local_ids = {r.rule_id for r in local}
    whole = [r for r in selected if r.rule_id not in local_ids]
    if EvalContext(base).dialect != EvalContext(head).dialect:  # every SQL fact may differ
        local, whole, local_ids = [], selected, set()
    differ = frozenset(changed(base, head))
    area = reach(base, head, differ)
    found = list(evaluate(base, whole).violations)
    if local and area:
        found.extend(evaluate(base, local, scope=Scope(urns=area)).violations)
    found.sort(key=_sort_key)
    return BaselineSide(tuple(found), frozenset(local_ids), area, differ)


def diff_against(side: BaselineSide, head_result: EvaluationResult) -> ViolationDiff:
    """The head's half: introduced, fixed and unchanged against the baseline's side."""
    before = {v.fingerprint for v in side.found}
    after = {v.fingerprint for v in head_result.violations}

    def in_area(v: Violation) -> bool:
        return v.rule_id not in side.local_ids or v.capsule_urn in side.area

    introduced = tuple(v for v in head_result.violations if v.fingerprint not in before and in_area(v))
    fixed = tuple(v for v in side.found if v.fingerprint not in after)
    unchanged = len(after) - len({v.fingerprint for v in introduced})
    return ViolationDiff(introduced, fixed, unchanged, side.changed)


def diff_within_reach(
    base: Graph, head: Graph, head_result: EvaluationResult, rules: Iterable[Rule]
) -> ViolationDiff:
    """What ``gate.diff_violations(evaluate(base, rules), head_result)`` says, evaluating the
    baseline only where the change reaches (``tests/rules/test_gate_reach.py`` compares them)."""
    return diff_against(baseline_within_reach(base, head, rules), head_result)


def kinds_classified(kinds: Mapping[str, object]) -> set[str]:
    """Check kinds neither local nor global here (a test keeps this empty)."""
    return set(kinds) - LOCAL_KINDS - GLOBAL_KINDS
