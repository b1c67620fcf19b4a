"""Domains with capsule counts, and the capsules of one domain (cached reads)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from dab.api.cached import cached_json
from dab.api.deps import LimitQuery, OffsetQuery, SessionDep
from dab.api.schemas.catalog import CapsuleRead, DomainDetail, DomainRead
from dab.api.schemas.common import Page
from dab.api.writes import committed
from dab.services import catalog_domains, governance_domains
from dab.services.catalog_capsules import CapsuleSort
from dab.services.governance_inputs import DomainCreate, DomainUpdate

SortQuery = Annotated[CapsuleSort, Query(description="Sort key; prefix with - for descending")]

router = APIRouter(prefix="/domains", tags=["catalog"])


@router.get("", response_model=Page[DomainRead])
async def list_domains(
    request: Request, session: SessionDep, limit: LimitQuery = 50, offset: OffsetQuery = 0
) -> Response:
    return await cached_json(
        request, lambda: catalog_domains.list_domains(session, limit=limit, offset=offset)
    )


@router.get("/{name}/capsules", response_model=Page[CapsuleRead])
async def list_domain_capsules(
    name: str,
    request: Request,
    session: SessionDep,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
    sort: SortQuery = CapsuleSort.NAME,
) -> Response:
    return await cached_json(
        request,
        lambda: catalog_domains.list_domain_capsules(session, name, sort=sort, limit=limit, offset=offset),
    )


@router.get("/{name}", response_model=DomainDetail)
async def get_domain(name: str, request: Request, session: SessionDep) -> Response:
    return await cached_json(request, lambda: catalog_domains.get_domain(session, name))


@router.post("", response_model=DomainRead, status_code=201)
async def create_domain(body: DomainCreate, request: Request) -> dict[str, Any]:
    return await committed(request, lambda s: governance_domains.create_domain(s, body))


@router.patch("/{name}", response_model=DomainRead)
async def update_domain(name: str, body: DomainUpdate, request: Request) -> dict[str, Any]:
    """``name`` is the domain's name, id or URN."""
    return await committed(request, lambda s: governance_domains.update_domain(s, name, body))


@router.delete("/{name}", status_code=204)
async def delete_domain(name: str, request: Request) -> Response:
    await committed(request, lambda s: governance_domains.delete_domain(s, name))
    return Response(status_code=204)
