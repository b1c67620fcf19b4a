"""Capsules: filtered list, detail, columns, lineage, impact and violations (cached reads)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from dab.api.cached import cached_json
from dab.api.deps import LimitQuery, OffsetQuery, ReadSessionDep, SettingsDep
from dab.api.schemas.catalog import (
    CapsuleDetail,
    CapsuleRead,
    ColumnRead,
    ImpactRead,
    LineageRead,
    ViolationRead,
)
from dab.api.schemas.common import Page
from dab.services import catalog_capsules as capsules
from dab.services.catalog_capsules import CapsuleFilters, CapsuleSort
from dab.services.catalog_impact import capsule_impact
from dab.services.catalog_lineage import LineageDirection, capsule_lineage

QText = Annotated[str | None, Query(max_length=200, description="Substring of name, URN or description")]

router = APIRouter(prefix="/capsules", tags=["catalog"])

Layer = Literal["bronze", "silver", "gold", "unknown"]
DepthQuery = Annotated[int, Query(ge=1, description="Levels to follow (1..DAB_LINEAGE_MAX_DEPTH)")]
SortQuery = Annotated[CapsuleSort, Query(description="Sort key; prefix with - for descending")]


@router.get("", response_model=Page[CapsuleRead])
async def list_capsules(
    request: Request,
    session: ReadSessionDep,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
    layer: Layer | None = None,
    domain: str | None = None,
    capsule_type: str | None = None,
    tag: Annotated[str | None, Query(description="Tag name, any category or origin")] = None,
    owner: str | None = None,
    source: Annotated[str | None, Query(description="Metadata source, e.g. dbt")] = None,
    has_pii: Annotated[bool | None, Query(description="Has at least one PII column")] = None,
    q: QText = None,
    sort: SortQuery = CapsuleSort.NAME,
) -> Response:
    filters = CapsuleFilters(layer, domain, capsule_type, tag, owner, source, has_pii, q)
    return await cached_json(
        request,
        lambda: capsules.list_capsules(session, filters, sort=sort, limit=limit, offset=offset),
    )


@router.get("/{urn:path}/columns", response_model=Page[ColumnRead])
async def list_capsule_columns(
    urn: str, request: Request, session: ReadSessionDep, limit: LimitQuery = 1000, offset: OffsetQuery = 0
) -> Response:
    return await cached_json(
        request, lambda: capsules.list_capsule_columns(session, urn, limit=limit, offset=offset)
    )


@router.get("/{urn:path}/lineage", response_model=LineageRead)
async def get_capsule_lineage(
    urn: str,
    request: Request,
    session: ReadSessionDep,
    settings: SettingsDep,
    direction: LineageDirection = "both",
    depth: DepthQuery = 3,
) -> Response:
    """Nodes carry a signed distance: negative upstream, positive downstream, 0 for the root."""
    return await cached_json(
        request,
        lambda: capsule_lineage(
            session, urn, direction=direction, depth=depth, max_depth=settings.dab_lineage_max_depth
        ),
    )


@router.get("/{urn:path}/impact", response_model=ImpactRead)
async def get_capsule_impact(
    urn: str,
    request: Request,
    session: ReadSessionDep,
    settings: SettingsDep,
    depth: Annotated[int | None, Query(ge=1, description="Levels (default: the maximum)")] = None,
) -> Response:
    """Every downstream capsule with its distance, one shortest path, and the owners to notify."""
    return await cached_json(
        request,
        lambda: capsule_impact(session, urn, depth=depth, max_depth=settings.dab_lineage_max_depth),
    )


@router.get("/{urn:path}/violations", response_model=Page[ViolationRead])
async def list_capsule_violations(
    urn: str, request: Request, session: ReadSessionDep, limit: LimitQuery = 50, offset: OffsetQuery = 0
) -> Response:
    return await cached_json(
        request, lambda: capsules.list_capsule_violations(session, urn, limit=limit, offset=offset)
    )


@router.get("/{urn:path}", response_model=CapsuleDetail)
async def get_capsule(urn: str, request: Request, session: ReadSessionDep) -> Response:
    return await cached_json(request, lambda: capsules.get_capsule(session, urn))
