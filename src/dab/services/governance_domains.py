"""Domains made or described through the API; ingestion only ever adds the ones dbt names."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dab.domain.urns import domain_urn
from dab.errors import Conflict, NotFound
from dab.services.governance_inputs import DomainCreate, DomainUpdate
from dab.storage.records import new_uuid
from dab.storage.repositories.domains import DomainRepository


async def _require(repo: DomainRepository, ref: str) -> dict[str, Any]:
    row = await repo.get(ref)
    if row is None:
        raise NotFound(f"domain {ref!r} not found")
    return row


async def create_domain(session: AsyncSession, body: DomainCreate) -> dict[str, Any]:
    repo = DomainRepository(session)
    if await repo.get(body.name) is not None:
        raise Conflict(f"a domain named {body.name!r} already exists")
    domain_id = new_uuid()
    values = {**body.model_dump(), "id": domain_id, "urn": domain_urn(body.name), "origin": "api"}
    await repo.create(values)
    return await _require(repo, domain_id)


async def update_domain(session: AsyncSession, ref: str, body: DomainUpdate) -> dict[str, Any]:
    """Owner and description; the name is what dbt's meta refers to, so it does not change."""
    repo = DomainRepository(session)
    domain = await _require(repo, ref)
    values = body.model_dump(exclude_unset=True)
    if values:
        await repo.update(domain["id"], values)
    return await _require(repo, domain["id"])


async def delete_domain(session: AsyncSession, ref: str) -> None:
    """Only a domain no capsule belongs to; its products keep existing without a domain."""
    repo = DomainRepository(session)
    domain = await _require(repo, ref)
    if domain["capsule_count"]:
        raise Conflict(
            f"domain {domain['name']!r} has {domain['capsule_count']} capsules from dbt metadata; "
            "move them in the dbt project first"
        )
    await repo.delete(domain["id"])
