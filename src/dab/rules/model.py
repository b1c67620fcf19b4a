"""Rules, findings and evaluation results: plain frozen data, no behaviour beyond small helpers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from hashlib import sha256
from typing import Any, Literal, NamedTuple

RULE_DOCS = "docs/RULES.md"
RuleScope = Literal["capsule", "column"]
RULE_SCOPES: tuple[str, ...] = ("capsule", "column")


class Severity(StrEnum):
    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def weight(self) -> int:
        return SEVERITY_WEIGHTS[self]


SEVERITY_WEIGHTS: Mapping[Severity, int] = {
    Severity.CRITICAL: 10,
    Severity.ERROR: 5,
    Severity.WARNING: 2,
    Severity.INFO: 1,
}


@dataclass(frozen=True, slots=True)
class When:
    """Which subjects a rule applies to; empty tuples mean "any"."""

    capsule_types: tuple[str, ...] = ()
    layers: tuple[str, ...] = ()
    access: tuple[str, ...] = ()
    """dbt model access levels (``public``, ``protected``, ``private``)."""
    expression: str | None = None
    """Optional CEL predicate over the subject; the rule applies only where it is true."""


@dataclass(frozen=True, slots=True)
class Check:
    """One of the closed set of check kinds (see ``dab.rules.checks.CHECKS``) and its parameters."""

    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Rule:
    rule_id: str
    name: str
    severity: Severity
    category: str
    rule_set: str
    check: Check
    remediation: str
    description: str = ""
    scope: RuleScope = "capsule"
    when: When = field(default_factory=When)
    enabled: bool = True

    @property
    def doc_url(self) -> str:
        """Where the rule is documented (``docs/RULES.md`` of the repository, one anchor per rule)."""
        return f"{RULE_DOCS}#{self.rule_id}"


class Failure(NamedTuple):
    """What a check reports for one failing subject: a stable key and a specific message.
    (A tuple, like ``Violation``: tens of thousands are built per evaluation.)"""

    detail_key: str
    message: str


def fingerprint(rule_id: str, subject_urn: str, detail_key: str) -> str:
    """Stable identity of a violation across runs, independent of evaluation order.

    Example:
        >>> fingerprint("r", "urn:x", "")[:12]
        '8dfa72d9c5a7'
    """
    # The three joined by \x1f, UTF-8 (an f-string: half the cost of a join, ~45k per run).
    return sha256(f"{rule_id}\x1f{subject_urn}\x1f{detail_key}".encode()).hexdigest()


class Violation(NamedTuple):
    """One failing (rule, subject, detail). A named tuple, not a frozen dataclass: an evaluation
    of 10k models builds ~45k of them, and a frozen dataclass's ``__init__`` (one
    ``object.__setattr__`` per field) cost about 7x a tuple's, ~10 % of the whole evaluation."""

    rule_id: str
    severity: Severity
    category: str
    rule_set: str
    subject_urn: str
    capsule_urn: str
    layer: str
    message: str
    remediation: str
    detail_key: str
    fingerprint: str


Finding = Violation


@dataclass(frozen=True, slots=True)
class Tally:
    applicable: int = 0
    passed: int = 0
    failed: int = 0

    def add(self, applicable: int, failed: int) -> Tally:
        return Tally(self.applicable + applicable, self.passed + applicable - failed, self.failed + failed)

    @property
    def score(self) -> float:
        return 1.0 if self.applicable == 0 else self.passed / self.applicable


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Per-rule counts: subjects the rule applied to and how many of them failed."""

    rule_id: str
    rule_set: str
    severity: Severity
    applicable: int
    failed: int

    @property
    def passed(self) -> int:
        return self.applicable - self.failed


@dataclass(frozen=True, slots=True)
class EvaluationResult:
    checks: tuple[CheckResult, ...]
    violations: tuple[Violation, ...]
    score: float
    weighted_score: float
    by_rule: Mapping[str, Tally]
    by_rule_set: Mapping[str, Tally]
    by_layer: Mapping[str, Tally]
    by_severity: Mapping[str, Tally]

    @property
    def applicable(self) -> int:
        return sum(c.applicable for c in self.checks)

    @property
    def failed(self) -> int:
        return sum(c.failed for c in self.checks)
