"""Data products (Data Mesh): CRUD, PART_OF memberships and SLO status from evidence."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from dab.api.cached import cached_json
from dab.api.deps import LimitQuery, NowDep, OffsetQuery, ReadSessionDep, SessionDep
from dab.api.schemas.common import Page
from dab.api.schemas.governance import MemberRead, MembershipRead, ProductRead, SloStatusRead
from dab.api.writes import committed
from dab.services import governance_products as products
from dab.services.governance_inputs import MembershipCreate, ProductCreate, ProductStatus, ProductUpdate

router = APIRouter(prefix="/products", tags=["governance"])

ProductId = Annotated[str, Path(description="The product's id or URN (percent-encoded)")]
WindowQuery = Annotated[int, Query(ge=1, le=366, description="Availability window in days")]


@router.get("", response_model=Page[ProductRead])
async def list_products(
    request: Request,
    session: SessionDep,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
    status: ProductStatus | None = None,
    domain: Annotated[str | None, Query(description="Domain id, URN or name")] = None,
) -> Response:
    return await cached_json(
        request,
        lambda: products.list_products(session, status=status, domain=domain, limit=limit, offset=offset),
    )


@router.post("", response_model=ProductRead, status_code=201)
async def create_product(body: ProductCreate, request: Request) -> dict[str, Any]:
    return await committed(request, lambda s: products.create_product(s, body))


@router.get("/{product_id}", response_model=ProductRead)
async def get_product(product_id: ProductId, request: Request, session: SessionDep) -> Response:
    return await cached_json(request, lambda: products.get_product(session, product_id))


@router.patch("/{product_id}", response_model=ProductRead)
async def update_product(product_id: ProductId, body: ProductUpdate, request: Request) -> dict[str, Any]:
    return await committed(request, lambda s: products.update_product(s, product_id, body))


@router.delete("/{product_id}", status_code=204)
async def delete_product(product_id: ProductId, request: Request) -> Response:
    await committed(request, lambda s: products.delete_product(s, product_id))
    return Response(status_code=204)


@router.get("/{product_id}/capsules", response_model=Page[MemberRead])
async def list_product_capsules(
    product_id: ProductId,
    request: Request,
    session: SessionDep,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
) -> Response:
    return await cached_json(
        request, lambda: products.list_product_capsules(session, product_id, limit=limit, offset=offset)
    )


@router.post("/{product_id}/capsules/{capsule_id}", response_model=MembershipRead, status_code=201)
async def add_product_capsule(
    product_id: ProductId,
    capsule_id: str,
    request: Request,
    response: Response,
    body: MembershipCreate | None = None,
) -> dict[str, Any]:
    """PART_OF edge; ``capsule_id`` is the capsule's id or (percent-encoded) URN. 200 when it existed."""
    out, created = await committed(
        request, lambda s: products.add_product_capsule(s, product_id, capsule_id, body or MembershipCreate())
    )
    response.status_code = 201 if created else 200
    return out


@router.delete("/{product_id}/capsules/{capsule_id}", status_code=204)
async def remove_product_capsule(product_id: ProductId, capsule_id: str, request: Request) -> Response:
    await committed(request, lambda s: products.remove_product_capsule(s, product_id, capsule_id))
    return Response(status_code=204)


@router.get("/{product_id}/slo-status", response_model=SloStatusRead)
async def get_product_slo_status(
    product_id: ProductId,
    request: Request,
    session: ReadSessionDep,
    now: NowDep,
    window_days: WindowQuery = 30,
) -> Response:
    """Freshness, availability and quality against the product's targets, with the evidence used
    (it only reads: a read session, so PostgreSQL makes no BEGIN and COMMIT round trips)."""
    return await cached_json(
        request,
        lambda: products.product_slo_status(session, product_id, now=now, window_days=window_days),
        minute=now,  # freshness moves with the clock: a cached answer lives a minute
    )
