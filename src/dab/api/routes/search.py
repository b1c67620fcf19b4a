"""Search by name across the catalog, ranked exact > prefix > substring (cached reads)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from dab.api.cached import cached_json
from dab.api.deps import ReadSessionDep
from dab.api.schemas.catalog import SearchRead
from dab.services.catalog_search import SearchKind, search_catalog

router = APIRouter(prefix="/search", tags=["catalog"])


@router.get("", response_model=SearchRead)
async def search(
    request: Request,
    session: ReadSessionDep,
    q: Annotated[str, Query(min_length=1, max_length=200, description="Text to look for (case-insensitive)")],
    limit: Annotated[int, Query(ge=1, le=100, description="Hits to return (at most 100)")] = 20,
    kind: Annotated[SearchKind | None, Query(description="Only hits of this kind")] = None,
) -> Response:
    return await cached_json(request, lambda: search_catalog(session, q, limit=limit, kind=kind))
