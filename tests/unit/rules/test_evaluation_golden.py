"""The whole evaluation of a generated project, pinned: every built-in rule, every violation
(fields, fingerprint, message, order), every tally and score. Engine and check speed-ups must
leave this digest unchanged; a deliberate change of a rule's results updates it here, with the
reason in the commit."""

from __future__ import annotations

import hashlib
import sys
from collections import Counter
from pathlib import Path

from dab.ingest.dbt import parse_dbt
from dab.rules import EvaluationResult, builtin_rules, evaluate

sys.path.insert(0, str(Path(__file__).parents[3] / "benchmarks"))
from generate_dbt_project import generate_manifest
from scenarios import BREAKERS, broken, conforming

VIOLATION_FIELDS = (
    "rule_id", "severity", "category", "rule_set", "subject_urn", "capsule_urn", "layer", "message",
    "remediation", "detail_key", "fingerprint",
)  # fmt: skip


def result_digest(result: EvaluationResult) -> str:
    """SHA-256 of what an evaluation says, from field values (not ``repr``, which may change)."""
    out = hashlib.sha256()
    for violation in result.violations:
        out.update("\x1f".join(str(getattr(violation, f)) for f in VIOLATION_FIELDS).encode())
        out.update(b"\x1e")
    for check in result.checks:
        out.update(
            f"{check.rule_id}|{check.rule_set}|{check.severity}|{check.applicable}|{check.failed}".encode()
        )
    out.update(repr((result.score, result.weighted_score)).encode())
    for tallies in (result.by_rule, result.by_rule_set, result.by_layer, result.by_severity):
        out.update(repr([(k, t.applicable, t.passed, t.failed) for k, t in tallies.items()]).encode())
    return out.hexdigest()


def test_the_evaluation_of_a_generated_project_is_unchanged() -> None:
    manifest, catalog, run_results = generate_manifest(400, 8, seed=15)
    graph = parse_dbt(manifest, catalog, run_results)
    result = evaluate(graph, builtin_rules())
    fired = Counter(v.rule_id for v in result.violations)
    assert len(fired) >= 15, "the project must exercise many rules for the digest to mean much"
    assert (len(result.violations), len(result.checks)) == (GOLDEN_COUNTS)
    assert result_digest(result) == GOLDEN_DIGEST


def test_every_rule_breaking_scenario_evaluates_as_before() -> None:
    """The hand-made scenarios reach the rules the generated project never fires."""
    rules = builtin_rules()
    out = hashlib.sha256(result_digest(evaluate(conforming().graph(), rules)).encode())
    for rule_id in sorted(BREAKERS):
        out.update(result_digest(evaluate(broken(rule_id), rules)).encode())
    assert out.hexdigest() == SCENARIOS_DIGEST


GOLDEN_COUNTS = (1622, 48)
GOLDEN_DIGEST = "0899ea5fbb547437d7f6deeb97c41d955ac7e3aecee9f37c7d814a112fa9bf69"
SCENARIOS_DIGEST = "2df65891fda1c7323635490d202f6e5e8b23e1afa442681bcd9a5029a825d6f8"
