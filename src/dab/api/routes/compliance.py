"""Compliance (PII): inventory, unmasked exposure, trace from origin to consumers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from dab.api.cached import cached_json
from dab.api.deps import LimitQuery, OffsetQuery, SessionDep, SettingsDep
from dab.api.schemas.compliance import PiiExposureRead, PiiInventoryRead
from dab.services.compliance_pii import GroupBy, pii_exposure, pii_inventory, pii_trace
from dab.storage.repositories.pii import InventoryFilters

router = APIRouter(prefix="/compliance", tags=["compliance"])


@router.get("/pii-inventory", response_model=PiiInventoryRead)
async def get_pii_inventory(
    request: Request,
    session: SessionDep,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
    pii_type: Annotated[str | None, Query(description="One of the known PII types")] = None,
    layer: str | None = None,
    domain: str | None = None,
    masked: bool | None = None,
    group_by: Annotated[GroupBy | None, Query(description="Add counts by pii_type, layer or domain")] = None,
) -> Response:
    """Every PII column, masked ones included."""
    filters = InventoryFilters(pii_type, layer, domain, masked)
    return await cached_json(
        request,
        lambda: pii_inventory(session, filters, limit=limit, offset=offset, group_by=group_by),
    )


@router.get("/pii-exposure", response_model=PiiExposureRead)
async def get_pii_exposure(
    request: Request, session: SessionDep, pii_type: Annotated[str | None, Query()] = None
) -> Response:
    """Unmasked PII in the gold layer or read by an exposure, with its path from the origin."""
    return await cached_json(request, lambda: pii_exposure(session, pii_type=pii_type))


@router.get("/pii-trace/{urn:path}")
async def get_pii_trace(
    urn: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    depth: Annotated[int, Query(ge=1, description="Hops to follow each way")] = 10,
) -> Response:
    """Upstream to the origin and downstream to every consumer, with the kind of each hop."""
    return await cached_json(
        request,
        lambda: pii_trace(session, urn, depth=depth, max_depth=settings.dab_lineage_max_depth),
    )
