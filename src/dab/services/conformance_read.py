"""What a conformance evaluation answers: score, tallies and violations as JSON-ready dicts.

Pure (no database): the PR gate's command line reads an evaluation without importing the storage
layer, and the API answers the same shapes.
"""

from __future__ import annotations

from typing import Any

from dab.rules import EvaluationResult, Tally, Violation


def tally_read(tally: Tally) -> dict[str, Any]:
    return {
        "applicable": tally.applicable,
        "passed": tally.passed,
        "failed": tally.failed,
        "score": tally.score,
    }


def breakdown(result: EvaluationResult) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for violation in result.violations:
        counts[violation.severity.value] = counts.get(violation.severity.value, 0) + 1
    return {
        "by_rule": {k: tally_read(t) for k, t in result.by_rule.items()},
        "by_rule_set": {k: tally_read(t) for k, t in result.by_rule_set.items()},
        "by_layer": {k: tally_read(t) for k, t in result.by_layer.items()},
        "by_severity": {k: tally_read(t) for k, t in result.by_severity.items()},
        "violations_by_severity": dict(sorted(counts.items())),
        "violations": len(result.violations),
    }


def violation_fields(v: Violation) -> dict[str, Any]:
    """What a violation says, as stored and as answered (the fingerprint is its key)."""
    return {
        "rule_id": v.rule_id,
        "rule_set": v.rule_set,
        "severity": v.severity.value,
        "category": v.category,
        "subject_urn": v.subject_urn,
        "capsule_urn": v.capsule_urn,
        "layer": v.layer,
        "message": v.message,
        "remediation": v.remediation,
    }


def violation_read(v: Violation) -> dict[str, Any]:
    return {"fingerprint": v.fingerprint, **violation_fields(v)}


def result_read(result: EvaluationResult, violations_limit: int) -> dict[str, Any]:
    """Score, per-rule and per-group counts, and the first ``violations_limit`` violations."""
    parts = breakdown(result)
    return {
        "score": result.score,
        "weighted_score": result.weighted_score,
        "applicable": result.applicable,
        "passed": result.applicable - result.failed,
        "failed": result.failed,
        "rules": [
            {
                "rule_id": c.rule_id,
                "rule_set": c.rule_set,
                "severity": c.severity.value,
                **tally_read(result.by_rule[c.rule_id]),
            }
            for c in result.checks
        ],
        "by_rule_set": parts["by_rule_set"],
        "by_layer": parts["by_layer"],
        "by_severity": parts["by_severity"],
        "violations_by_severity": parts["violations_by_severity"],
        "violations": {
            "data": [violation_read(v) for v in result.violations[:violations_limit]],
            "total": len(result.violations),
            "limit": violations_limit,
            "offset": 0,
        },
    }
