"""Catalog reads of domains and the capsules in each."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dab.errors import NotFound
from dab.services.catalog_capsules import CapsuleSort, list_capsules, page
from dab.storage.repositories.capsules import CapsuleFilters
from dab.storage.repositories.domains import DomainRepository


async def list_domains(session: AsyncSession, *, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    rows, total = await DomainRepository(session).list_page(limit=limit, offset=offset)
    return page(rows, total, limit, offset)


async def get_domain(session: AsyncSession, name: str) -> dict[str, Any]:
    repo = DomainRepository(session)
    row = await repo.get(name)
    if row is None:
        raise NotFound(f"domain {name!r} not found")
    row["capsules_by_layer"] = await repo.layer_counts(row["name"])
    return row


async def list_domain_capsules(
    session: AsyncSession, name: str, *, sort: CapsuleSort, limit: int, offset: int
) -> dict[str, Any]:
    row = await DomainRepository(session).get(name)
    if row is None:
        raise NotFound(f"domain {name!r} not found")
    filters = CapsuleFilters(domain=row["name"])
    return await list_capsules(session, filters, sort=sort, limit=limit, offset=offset)
