"""Conformance rules: definitions, built-in rule sets and a pure evaluator over a Graph.

Pure core: imports dab.domain and dab.errors only, never FastAPI, SQLAlchemy, Typer or settings.
"""

from dab.rules.checks import CHECKS
from dab.rules.config import RuleConfig, RuleOverride, apply_config
from dab.rules.engine import Scope, evaluate
from dab.rules.loader import builtin_rules, load_rules_from_yaml, rule_from_dict
from dab.rules.model import (
    Check,
    CheckResult,
    EvaluationResult,
    Finding,
    Rule,
    Severity,
    Tally,
    Violation,
    When,
    fingerprint,
)

__all__ = [
    "CHECKS",
    "Check",
    "CheckResult",
    "EvaluationResult",
    "Finding",
    "Rule",
    "RuleConfig",
    "RuleOverride",
    "Scope",
    "Severity",
    "Tally",
    "Violation",
    "When",
    "apply_config",
    "builtin_rules",
    "evaluate",
    "fingerprint",
    "load_rules_from_yaml",
    "rule_from_dict",
]
