"""The conformance report: the latest stored run and the unresolved violations, as HTML/JSON/CSV.

When nothing was ever evaluated, the whole graph is evaluated now (in a worker thread) and
the report says so; nothing is stored by a report.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dab.errors import NotFound
from dab.reports import conformance_html, violations_csv
from dab.services.conformance_evaluate import EvaluationRequest, evaluate_conformance
from dab.services.conformance_violations import latest_score, list_violations
from dab.storage.records import CapsuleRecord, utcnow
from dab.storage.repositories.violations import ViolationFilter

ReportFormat = Literal["html", "json", "csv"]
TOP_CAPSULES = 20
UNRESOLVED_OR_WAIVED = ("open", "acknowledged", "waived")
CAPSULE_INFO = (CapsuleRecord.urn, CapsuleRecord.name, CapsuleRecord.description, CapsuleRecord.layer)
MEDIA_TYPES: dict[str, str] = {
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
}


async def _capsules(session: AsyncSession, urns: set[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    ordered = sorted(urns)
    for start in range(0, len(ordered), 500):
        stmt = select(*CAPSULE_INFO).where(CapsuleRecord.urn.in_(ordered[start : start + 500]))
        rows = await session.execute(stmt)
        out.update({r.urn: dict(r._mapping) for r in rows})
    return out


def _top(violations: list[dict[str, Any]], capsules: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    counts = Counter(v["capsule_urn"] for v in violations if v.get("capsule_urn"))
    top = []
    for urn, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_CAPSULES]:
        info = capsules.get(urn, {})
        severities = Counter(v["severity"] for v in violations if v.get("capsule_urn") == urn)
        top.append(
            {
                "capsule_urn": urn,
                "name": info.get("name"),
                "description": info.get("description"),
                "layer": info.get("layer"),
                "violations": count,
                "by_severity": dict(sorted(severities.items())),
            }
        )
    return top


async def _summary_and_violations(
    session: AsyncSession, rules_dir: Path | None, config_file: Path | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    try:
        summary = await latest_score(session)
    except NotFound:
        request = EvaluationRequest(scope="full", persist_violations=False, violations_limit=1_000_000)
        summary = await evaluate_conformance(session, request, rules_dir=rules_dir, config_file=config_file)
        violations = [{**v, "status": "open"} for v in summary.pop("violations")["data"]]
        return summary, violations
    filters = ViolationFilter(statuses=UNRESOLVED_OR_WAIVED)
    page = await list_violations(session, filters, limit=10_000_000, offset=0)
    return summary, page["data"]


async def conformance_report(
    session: AsyncSession, *, rules_dir: Path | None = None, config_file: Path | None = None
) -> dict[str, Any]:
    """Report data: score, breakdowns, top offending capsules, every unresolved violation."""
    summary, violations = await _summary_and_violations(session, rules_dir, config_file)
    capsules = await _capsules(session, {v["capsule_urn"] for v in violations if v.get("capsule_urn")})
    for violation in violations:
        violation["capsule_name"] = capsules.get(violation.get("capsule_urn") or "", {}).get("name")
    return {
        "title": "dab conformance report",
        "generated_at": utcnow(),
        "run_id": summary.get("run_id"),
        "evaluated_at": summary.get("evaluated_at"),
        "scope": summary.get("scope"),
        "score": summary["score"],
        "weighted_score": summary["weighted_score"],
        "applicable": summary["applicable"],
        "passed": summary["passed"],
        "failed": summary["failed"],
        "by_rule_set": summary["by_rule_set"],
        "by_severity": summary["by_severity"],
        "by_layer": summary["by_layer"],
        "top_capsules": _top(violations, capsules),
        "violations": violations,
    }


def render_report(report: dict[str, Any], report_format: ReportFormat) -> str | dict[str, Any]:
    if report_format == "html":
        return conformance_html(report)
    if report_format == "csv":
        return violations_csv(report["violations"])
    return report
