"""Data products: create, change, delete, and their PART_OF memberships (never touched by ingest)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dab.domain import slo
from dab.domain.urns import product_urn
from dab.errors import Conflict, InvalidInput, NotFound
from dab.services.catalog_capsules import page
from dab.services.governance_inputs import MembershipCreate, ProductCreate, ProductUpdate, not_null
from dab.services.governance_refs import subject_urn
from dab.storage.records import new_uuid
from dab.storage.repositories.domains import DomainRepository
from dab.storage.repositories.products import ProductRepository


async def require_product(repo: ProductRepository, ref: str, *, light: bool = False) -> dict[str, Any]:
    """The product by id or URN; ``light`` skips the domain name and member count."""
    row = await (repo.ref(ref) if light else repo.get(ref))
    if row is None:
        raise NotFound(f"data product {ref!r} not found")
    return row


async def _domain_id(session: AsyncSession, ref: str | None, location: str = "body.domain_id") -> str | None:
    if ref is None:
        return None
    domain = await DomainRepository(session).get(ref)
    if domain is None:
        field = location.rsplit(".", 1)[-1]
        raise InvalidInput(f"{field}: no domain with id, URN or name {ref!r}", location=location)
    return str(domain["id"])


async def _check_name_free(repo: ProductRepository, name: str, product_id: str | None = None) -> None:
    owner = await repo.id_of_name(name)
    if owner is not None and owner != product_id:
        raise Conflict(f"a data product named {name!r} already exists")


async def list_products(
    session: AsyncSession, *, status: str | None = None, domain: str | None = None, limit: int, offset: int
) -> dict[str, Any]:
    domain_id = await _domain_id(session, domain, "query.domain") if domain else None
    rows, total = await ProductRepository(session).list_page(
        status=status, domain_id=domain_id, limit=limit, offset=offset
    )
    return page(rows, total, limit, offset)


async def get_product(session: AsyncSession, ref: str) -> dict[str, Any]:
    return await require_product(ProductRepository(session), ref)


async def create_product(session: AsyncSession, body: ProductCreate) -> dict[str, Any]:
    repo = ProductRepository(session)
    await _check_name_free(repo, body.name)
    values = body.model_dump()
    values["domain_id"] = await _domain_id(session, body.domain_id)
    product_id = new_uuid()
    await repo.create({**values, "id": product_id, "urn": product_urn(body.name)})
    return await require_product(repo, product_id)


async def update_product(session: AsyncSession, ref: str, body: ProductUpdate) -> dict[str, Any]:
    repo = ProductRepository(session)
    product = await require_product(repo, ref)
    values = body.model_dump(exclude_unset=True)
    not_null(values, "name", "status", "version")
    if "name" in values:
        await _check_name_free(repo, values["name"], product["id"])
        values["urn"] = product_urn(values["name"])
    if "domain_id" in values:
        values["domain_id"] = await _domain_id(session, values["domain_id"])
    if values:
        await repo.update(product["id"], values)
    return await require_product(repo, product["id"])


async def delete_product(session: AsyncSession, ref: str) -> None:
    repo = ProductRepository(session)
    product = await require_product(repo, ref, light=True)
    await repo.delete(product["id"])


async def list_product_capsules(
    session: AsyncSession, ref: str, *, limit: int, offset: int
) -> dict[str, Any]:
    repo = ProductRepository(session)
    product = await require_product(repo, ref, light=True)
    rows, total = await repo.members(product["id"], limit=limit, offset=offset)
    return page(rows, total, limit, offset)


async def add_product_capsule(
    session: AsyncSession, ref: str, capsule_ref: str, body: MembershipCreate
) -> tuple[dict[str, Any], bool]:
    """The membership and whether it is new (an existing one takes the new role)."""
    repo = ProductRepository(session)
    product = await require_product(repo, ref, light=True)
    urn = await subject_urn(session, "capsule", capsule_ref)
    created = await repo.add_member(product["id"], urn, role=body.role, added_by=body.added_by)
    membership = await repo.membership(product["id"], urn)
    assert membership is not None
    return membership, created


async def remove_product_capsule(session: AsyncSession, ref: str, capsule_ref: str) -> None:
    repo = ProductRepository(session)
    product = await require_product(repo, ref, light=True)
    # A dormant member (capsule not ingested now) is removed by its URN.
    urn = (
        capsule_ref if capsule_ref.startswith("urn:") else await subject_urn(session, "capsule", capsule_ref)
    )
    if not await repo.remove_member(product["id"], urn):
        raise NotFound(f"capsule {capsule_ref!r} is not part of data product {product['name']!r}")


async def product_slo_status(
    session: AsyncSession, ref: str, *, now: datetime, window_days: int = 30
) -> dict[str, Any]:
    """SLO status from the stored evidence; freshness looks at the outputs (all members if none)."""
    repo = ProductRepository(session)
    product = await require_product(repo, ref, light=True)
    members = await repo.present_members(product["id"])
    urns = [urn for urn, _ in members]
    outputs = [urn for urn, role in members if role == "output"]
    targets = slo.SloTargets(
        product["slo_freshness_hours"], product["slo_availability_percent"], product["slo_quality_threshold"]
    )
    status = slo.evaluate(
        targets,
        arrivals=await repo.arrivals(outputs or urns),
        runs=await repo.runs(urns, since=slo.window_start(now, window_days)),
        tests=await repo.tests(urns),
        now=now,
        window_days=window_days,
    )
    judged = "output capsules" if outputs else "all members (the product has no output capsule)"
    status["freshness"]["evidence"]["capsules_judged"] = judged
    return {"product_id": product["id"], "product_urn": product["urn"], **status}
