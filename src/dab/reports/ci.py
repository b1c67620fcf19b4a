"""Evaluation results for CI systems: SARIF 2.1.0 (code scanning) and JUnit XML (test reports)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from dab.rules import EvaluationResult, Rule, Violation

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {"critical": "error", "error": "error", "warning": "warning", "info": "note"}


def _sarif_rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.rule_id,
        "name": rule.name,
        "shortDescription": {"text": rule.name},
        "fullDescription": {"text": rule.description or rule.name},
        "help": {"text": rule.remediation},
        "defaultConfiguration": {"level": SARIF_LEVEL[rule.severity.value]},
        "properties": {
            "category": rule.category,
            "rule_set": rule.rule_set,
            "severity": rule.severity.value,
            "tags": [rule.rule_set, rule.category],
            "doc": rule.doc_url,
        },
    }


def _location(violation: Violation, paths: Mapping[str, str | None]) -> dict[str, Any]:
    location: dict[str, Any] = {
        "logicalLocations": [{"fullyQualifiedName": violation.subject_urn, "kind": "object"}]
    }
    path = paths.get(violation.capsule_urn)
    if path:
        location["physicalLocation"] = {"artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"}}
    return location


def sarif_log(
    result: EvaluationResult,
    rules: Sequence[Rule],
    paths: Mapping[str, str | None],
    *,
    version: str,
    baseline_state: str | None = None,
) -> dict[str, Any]:
    """A SARIF 2.1.0 log: one run, the evaluated rules, one result per violation.

    ``baseline_state`` (``new`` for the PR gate) is set on every result when given.
    """
    evaluated = {c.rule_id for c in result.checks}
    selected = [r for r in sorted(rules, key=lambda r: r.rule_id) if r.rule_id in evaluated]
    index = {r.rule_id: i for i, r in enumerate(selected)}
    results = [
        {
            "ruleId": v.rule_id,
            "ruleIndex": index[v.rule_id],
            "level": SARIF_LEVEL[v.severity.value],
            "message": {"text": f"{v.message} Remediation: {v.remediation}"},
            "locations": [_location(v, paths)],
            "partialFingerprints": {"dabViolation/v1": v.fingerprint},
            "properties": {"severity": v.severity.value, "layer": v.layer, "capsule_urn": v.capsule_urn},
        }
        for v in result.violations
    ]
    if baseline_state is not None:
        for item in results:
            item["baselineState"] = baseline_state
    driver = {
        "name": "dab",
        "version": version,
        "informationUri": "https://dab.dev",
        "rules": [_sarif_rule(r) for r in selected],
    }
    run = {"tool": {"driver": driver}, "results": results}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


# Characters XML 1.0 cannot carry at all (not even escaped): C0 controls but tab, LF, CR.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def junit_xml(result: EvaluationResult, rules: Sequence[Rule]) -> str:
    """One testsuite per rule set, one testcase per rule; a failing rule lists its violations."""
    by_id = {r.rule_id: r for r in rules}
    found: dict[str, list[Violation]] = defaultdict(list)
    for violation in result.violations:
        found[violation.rule_id].append(violation)
    suites: dict[str, list[str]] = defaultdict(list)
    for check in result.checks:
        suites[check.rule_set].append(check.rule_id)
    root = ET.Element(
        "testsuites", name="dab conformance", tests=str(len(result.checks)), failures=str(len(found))
    )
    for rule_set, rule_ids in sorted(suites.items()):
        failing = sum(1 for r in rule_ids if found.get(r))
        suite = ET.SubElement(
            root,
            "testsuite",
            name=_xml_text(rule_set),
            tests=str(len(rule_ids)),
            failures=str(failing),
            errors="0",
        )
        for rule_id in rule_ids:
            rule = by_id[rule_id]
            case = ET.SubElement(
                suite, "testcase", classname=_xml_text(f"dab.conformance.{rule_set}"), name=_xml_text(rule_id)
            )
            violations = found.get(rule_id)
            if violations:
                failure = ET.SubElement(
                    case,
                    "failure",
                    message=_xml_text(f"{len(violations)} violation(s) of {rule.name}"),
                    type=rule.severity.value,
                )
                lines = [f"{v.subject_urn}: {v.message}" for v in violations]
                failure.text = _xml_text("\n".join([*lines, f"Remediation: {rule.remediation}"]))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
