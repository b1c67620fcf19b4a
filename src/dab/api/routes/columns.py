"""Columns: filtered list, detail and column-level lineage (cached reads)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from dab.api.cached import cached_json
from dab.api.deps import LimitQuery, OffsetQuery, ReadSessionDep, SettingsDep
from dab.api.schemas.catalog import ColumnDetail, ColumnRead, LineageRead
from dab.api.schemas.common import Page
from dab.api.schemas.compliance import ClassificationUpdate
from dab.services import catalog_columns
from dab.services.catalog_columns import ColumnFilters
from dab.services.catalog_lineage import LineageDirection, column_lineage
from dab.services.compliance_pii import classify_column

QText = Annotated[str | None, Query(max_length=200, description="Substring of name, URN or description")]

router = APIRouter(prefix="/columns", tags=["catalog"])


@router.get("", response_model=Page[ColumnRead])
async def list_columns(
    request: Request,
    session: ReadSessionDep,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
    capsule: Annotated[str | None, Query(description="Capsule URN")] = None,
    semantic_type: str | None = None,
    pii_type: str | None = None,
    tag: Annotated[str | None, Query(description="Tag name, any category or origin")] = None,
    q: QText = None,
) -> Response:
    filters = ColumnFilters(capsule, semantic_type, pii_type, tag, q)
    return await cached_json(
        request, lambda: catalog_columns.list_columns(session, filters, limit=limit, offset=offset)
    )


@router.get("/{urn:path}/lineage", response_model=LineageRead)
async def get_column_lineage(
    urn: str,
    request: Request,
    session: ReadSessionDep,
    settings: SettingsDep,
    direction: LineageDirection = "both",
    depth: Annotated[int, Query(ge=1, description="Levels to follow (1..DAB_LINEAGE_MAX_DEPTH)")] = 3,
) -> Response:
    """Empty (the root only) until column lineage has been computed; never an error."""
    return await cached_json(
        request,
        lambda: column_lineage(
            session, urn, direction=direction, depth=depth, max_depth=settings.dab_lineage_max_depth
        ),
    )


@router.put("/{urn:path}/classification")
async def put_column_classification(urn: str, body: ClassificationUpdate, request: Request) -> dict[str, Any]:
    """A manual PII classification: wins over detection and survives re-ingestion."""
    async with request.app.state.session_factory.begin() as session:
        out = await classify_column(
            session, urn, pii=body.pii, pii_type=body.pii_type, masked=body.masked, reason=body.reason
        )
    await request.app.state.cache.bump()
    return out


@router.get("/{urn:path}", response_model=ColumnDetail)
async def get_column(urn: str, request: Request, session: ReadSessionDep) -> Response:
    return await cached_json(request, lambda: catalog_columns.get_column(session, urn))
