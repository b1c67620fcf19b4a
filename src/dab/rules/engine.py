"""Evaluate rules over a whole Graph in memory: one pass per rule, deterministic output.

Rules run in ``rule_id`` order and subjects in URN order, so the result never depends on the
order rules or capsules were given in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter

from dab.domain.capsule import DBT_TYPES, Capsule
from dab.domain.column import Column
from dab.domain.gc_pause import freeze_kept, gc_frozen, rare_young_collections
from dab.domain.graph import Graph
from dab.rules.checks import CHECKS, CheckSpec
from dab.rules.checks.base import Failing, Judged
from dab.rules.checks.cel import cel_true
from dab.rules.context import EvalContext, Subject
from dab.rules.loader import ensure_unique
from dab.rules.model import (
    CheckResult,
    EvaluationResult,
    Rule,
    Severity,
    Tally,
    Violation,
    fingerprint,
)


@dataclass(frozen=True, slots=True)
class Scope:
    """Restrict an evaluation; ``None`` means unrestricted. Subjects outside are not applicable."""

    layers: frozenset[str] | None = None
    domains: frozenset[str] | None = None
    urns: frozenset[str] | None = None
    rule_sets: frozenset[str] | None = None

    def includes_capsule(self, capsule: Capsule) -> bool:
        if self.layers is not None and capsule.layer_value not in self.layers:
            return False
        return self.domains is None or capsule.domain.value in self.domains

    def includes_rule(self, rule: Rule) -> bool:
        return self.rule_sets is None or rule.rule_set in self.rule_sets


Buckets = dict[tuple[str, str], list[Capsule]]


def _buckets(capsules: Iterable[Capsule], layers: dict[str, str]) -> Buckets:
    """Capsules grouped by (type, layer), once per evaluation: each rule visits only the groups
    its ``when`` names, and the layer tally is per group, not per capsule."""
    out: dict[tuple[str, str], list[Capsule]] = defaultdict(list)
    for capsule in capsules:
        out[(capsule.capsule_type._value_, layers[capsule.urn])].append(capsule)
    return dict(sorted(out.items()))


def _selected(rule: Rule, buckets: Buckets) -> Iterator[tuple[str, list[Capsule]]]:
    """(layer, capsules) of each group the rule's ``when`` (types, layers, access) selects."""
    when = rule.when
    for (capsule_type, layer), capsules in buckets.items():
        wanted = when.capsule_types or DBT_TYPES  # unnamed: dbt definitions only, never jobs/datasets
        if capsule_type not in wanted or (when.layers and layer not in when.layers):
            continue
        if when.access:
            capsules = [c for c in capsules if (c.access or "") in when.access]
        yield layer, capsules


def _judge(
    ctx: EvalContext,
    rule: Rule,
    spec: CheckSpec,
    capsules: list[Capsule],
    urns: frozenset[str] | None,
    capsules_only: bool,
) -> Judged | None:
    """The rule's check on its subjects among ``capsules`` (the capsules themselves, or their
    columns), in one call; ``None`` when there are none. ``capsules_only``: ``urns`` names no
    column, so a capsule outside it has no subject."""
    expression = rule.when.expression
    if spec.batch is not None and rule.scope == "capsule":
        if urns is not None:
            capsules = [c for c in capsules if c.urn in urns]
        if expression is not None:
            capsules = [c for c in capsules if cel_true(expression, ctx, Subject(c))[0]]
        return spec.batch(ctx, rule, capsules) if capsules else None
    assert spec.column_batch is not None  # the loader admits only a check's own scopes
    groups = _column_groups(ctx, spec, capsules, urns, capsules_only)
    if expression is not None:
        groups = [
            (capsule, [c for c in columns if cel_true(expression, ctx, Subject(capsule, c))[0]])
            for capsule, columns in groups
        ]
        groups = [g for g in groups if g[1]]
    return spec.column_batch(ctx, rule, groups) if groups else None


def _column_groups(
    ctx: EvalContext,
    spec: CheckSpec,
    capsules: list[Capsule],
    urns: frozenset[str] | None,
    capsules_only: bool,
) -> list[tuple[Capsule, list[Column]]]:
    """Each capsule's columns within ``urns`` (for a ``pii_marked_only`` check, its marked ones)."""
    by_capsule = ctx.pii_marked_columns if spec.pii_marked_only else ctx.graph.columns_by_capsule
    out = []
    for capsule in capsules:
        if capsules_only and urns is not None and capsule.urn not in urns:
            continue
        columns = by_capsule.get(capsule.urn)
        if not columns:
            continue
        if urns is not None and capsule.urn not in urns:
            columns = [c for c in columns if c.urn in urns]
        if columns:
            out.append((capsule, columns))
    return out


def _run_rule(
    ctx: EvalContext,
    rule: Rule,
    buckets: Buckets,
    scope: Scope,
    by_layer: dict[str, Tally],
    capsules_only: bool,
) -> tuple[CheckResult, list[Violation]]:
    spec = CHECKS[rule.check.kind]
    total_applicable = total_failed = 0
    violations: list[Violation] = []
    for layer, capsules in _selected(rule, buckets):
        judged = _judge(ctx, rule, spec, capsules, scope.urns, capsules_only)  # one call per group
        if judged is None:
            continue
        applicable, failing = judged
        if applicable:
            by_layer[layer] = by_layer.get(layer, Tally()).add(applicable, len(failing))
            total_applicable += applicable
            total_failed += len(failing)
        if failing:
            _add_violations(violations, rule, layer, failing)
    result = CheckResult(rule.rule_id, rule.rule_set, rule.severity, total_applicable, total_failed)
    violations.sort(key=_ORDER)  # rules run in id order: the evaluation's list needs no sort of its own
    return result, violations


def _add_violations(out: list[Violation], rule: Rule, layer: str, failing: list[Failing]) -> None:
    """Violations of one group's failing subjects; the group's layer is each of its capsules' layer."""
    rule_id, severity, category, rule_set, remediation = (
        rule.rule_id, rule.severity, rule.category, rule.rule_set, rule.remediation,
    )  # fmt: skip
    for capsule, column, failures in failing:
        capsule_urn = capsule.urn
        urn = capsule_urn if column is None else column.urn  # Subject.urn, without the property call
        for key, message in failures:
            fields = (
                rule_id, severity, category, rule_set, urn, capsule_urn, layer, message, remediation, key,
                fingerprint(rule_id, urn, key),
            )  # fmt: skip
            out.append(_new_tuple(Violation, fields))  # Violation's fields in order, no Python __new__


_new_tuple = tuple.__new__
_ORDER = attrgetter("subject_urn", "detail_key")


def _tally(checks: Iterable[CheckResult], key: str) -> dict[str, Tally]:
    out: dict[str, Tally] = {}
    for check in checks:
        name = {"rule": check.rule_id, "rule_set": check.rule_set, "severity": check.severity.value}[key]
        out[name] = out.get(name, Tally()).add(check.applicable, check.failed)
    return dict(sorted(out.items()))


def _scores(checks: Sequence[CheckResult]) -> tuple[float, float]:
    applicable = sum(c.applicable for c in checks)
    passed = sum(c.passed for c in checks)
    weighted_applicable = sum(c.applicable * c.severity.weight for c in checks)
    weighted_passed = sum(c.passed * c.severity.weight for c in checks)
    score = passed / applicable if applicable else 1.0
    weighted = weighted_passed / weighted_applicable if weighted_applicable else 1.0
    return score, weighted


def evaluate(graph: Graph, rules: Iterable[Rule], *, scope: Scope | None = None) -> EvaluationResult:
    """Run every enabled rule over the graph; score = passed / applicable (rule, subject) checks.

    Example:
        >>> evaluate(Graph(), []).score
        1.0
    """
    # The graph is hundreds of thousands of long-lived objects: frozen, the collections that the
    # evaluation's allocations trigger skip them (sqlglot's cyclic trees are still collected), and
    # those collections come rarely.
    with gc_frozen(), rare_young_collections():
        result = _evaluate(graph, rules, scope or Scope())
        freeze_kept()  # the result too: the young collection due when the block ends finds nothing
        return result


def _evaluate(graph: Graph, rules: Iterable[Rule], scope: Scope) -> EvaluationResult:
    selected = sorted((r for r in rules if r.enabled and scope.includes_rule(r)), key=lambda r: r.rule_id)
    ensure_unique(selected)
    ctx = EvalContext(graph)
    capsules_only = scope.urns is not None and scope.urns <= graph.capsules.keys()
    # A scope of capsule URNs only (the PR gate's reach): no other capsule has a subject.
    urns = sorted(scope.urns) if scope.urns is not None and capsules_only else sorted(graph.capsules)
    buckets = _buckets(
        (c for c in map(graph.capsules.__getitem__, urns) if scope.includes_capsule(c)), ctx.layers
    )
    checks: list[CheckResult] = []
    violations: list[Violation] = []
    by_layer: dict[str, Tally] = {}
    for rule in selected:  # in rule id order, each rule's violations sorted: the result is too
        result, found = _run_rule(ctx, rule, buckets, scope, by_layer, capsules_only)
        checks.append(result)
        violations.extend(found)
        freeze_kept()  # what this rule kept (its violations, indexes it built) is not rescanned
    score, weighted = _scores(checks)
    return EvaluationResult(
        checks=tuple(checks),
        violations=tuple(violations),
        score=score,
        weighted_score=weighted,
        by_rule=_tally(checks, "rule"),
        by_rule_set=_tally(checks, "rule_set"),
        by_layer=dict(sorted(by_layer.items())),
        by_severity=_tally(checks, "severity"),
    )


__all__ = ["Scope", "Severity", "evaluate"]
