"""JUnit XML stays well-formed whatever the violation texts hold (control characters)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from dab.reports import junit_xml
from dab.rules.loader import builtin_rules
from dab.rules.model import CheckResult, EvaluationResult, Violation


def test_control_characters_never_break_the_xml() -> None:
    rule = builtin_rules()[0]
    hostile = "bad\x00 na\x01me\x1b[31m\x0b\x0c end"
    violation = Violation(
        rule_id=rule.rule_id,
        severity=rule.severity,
        category=rule.category,
        rule_set=rule.rule_set,
        subject_urn=f"urn:dab:dbt:model:p:{hostile}",
        capsule_urn="urn:dab:dbt:model:p:m",
        layer="gold",
        message=hostile,
        remediation="fix",
        detail_key="k",
        fingerprint="f",
    )
    check = CheckResult(rule.rule_id, rule.rule_set, rule.severity, applicable=1, failed=1)
    result = EvaluationResult((check,), (violation,), 0.0, 0.0, {}, {}, {}, {})
    document = junit_xml(result, [rule])
    root = ET.fromstring(document)  # a real XML parser: raises on an invalid character
    failure = root.find("./testsuite/testcase/failure")
    assert failure is not None and failure.text is not None
    assert "bad\ufffd na\ufffdme" in failure.text
