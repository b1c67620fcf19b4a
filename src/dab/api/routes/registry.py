"""Every router that needs an API key, in one explicit tuple."""

from __future__ import annotations

from fastapi import APIRouter

from dab.api.routes import (
    capsules,
    columns,
    compliance,
    conformance,
    conformance_gate,
    domains,
    graph,
    ingest,
    lineage,
    products,
    reports,
    search,
    tags,
)

PROTECTED_ROUTERS: tuple[APIRouter, ...] = (
    ingest.router,
    lineage.router,
    capsules.router,
    columns.router,
    domains.router,
    search.router,
    conformance.router,
    conformance_gate.router,
    reports.router,
    products.router,
    tags.router,
    graph.router,
    compliance.router,
)
