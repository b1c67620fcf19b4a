"""Reports: the conformance report as a standalone HTML page, JSON or CSV."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from dab.api.deps import SessionDep, SettingsDep
from dab.api.json_body import json_bytes
from dab.reports.pii_report import pii_csv, pii_html
from dab.services.compliance_pii import pii_report
from dab.services.reports_conformance import MEDIA_TYPES, ReportFormat, conformance_report, render_report

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get(
    "/conformance",
    responses={200: {"content": {"text/html": {}, "text/csv": {}, "application/json": {}}}},
)
async def get_conformance_report(
    session: SessionDep,
    settings: SettingsDep,
    report_format: Annotated[ReportFormat, Query(alias="format")] = "html",
) -> Response:
    """The latest stored run and every unresolved violation (evaluated now if never stored)."""
    report = await conformance_report(
        session, rules_dir=settings.dab_rules_dir, config_file=settings.dab_rules_config_file
    )
    rendered = render_report(report, report_format)
    body = rendered if isinstance(rendered, str) else json_bytes(rendered)
    headers = (
        {"Content-Disposition": 'attachment; filename="conformance.csv"'} if report_format == "csv" else None
    )
    return Response(body, media_type=MEDIA_TYPES[report_format], headers=headers)


@router.get(
    "/pii-inventory",
    responses={200: {"content": {"text/html": {}, "text/csv": {}, "application/json": {}}}},
)
async def get_pii_inventory_report(
    session: SessionDep, report_format: Annotated[ReportFormat, Query(alias="format")] = "html"
) -> Response:
    """Every PII column with its type, risk, masking and evidence."""
    report = await pii_report(session)
    if report_format == "html":
        return Response(pii_html(report), media_type=MEDIA_TYPES["html"])
    if report_format == "csv":
        headers = {"Content-Disposition": 'attachment; filename="pii-inventory.csv"'}
        return Response(pii_csv(report["items"]), media_type=MEDIA_TYPES["csv"], headers=headers)
    return Response(json_bytes(report), media_type=MEDIA_TYPES["json"])
