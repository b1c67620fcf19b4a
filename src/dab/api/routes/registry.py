"""Every router that needs an API key, in one explicit tuple."""

from __future__ import annotations

from fastapi import APIRouter

from dab.api.routes import capsules, columns, compliance, conformance, domains, ingest, reports, search

PROTECTED_ROUTERS: tuple[APIRouter, ...] = (
    ingest.router,
    capsules.router,
    columns.router,
    domains.router,
    search.router,
    conformance.router,
    reports.router,
    compliance.router,
)
