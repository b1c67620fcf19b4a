"""Domains with the number of capsules in each."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dab.storage.records import CapsuleRecord, DomainRecord
from dab.storage.repositories._upsert import add_unique

D = DomainRecord


def _with_counts() -> Any:
    counts = (
        select(CapsuleRecord.domain_name, func.count(CapsuleRecord.id).label("capsule_count"))
        .group_by(CapsuleRecord.domain_name)
        .subquery()
    )
    return (
        select(
            D.id,
            D.urn,
            D.name,
            D.description,
            D.owner,
            D.origin,
            func.coalesce(counts.c.capsule_count, 0).label("capsule_count"),
        )
        .select_from(D)
        .outerjoin(counts, counts.c.domain_name == D.name)
    )


class DomainRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def list_page(self, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        stmt = _with_counts().order_by(D.name, D.id).limit(limit).offset(offset)
        rows = (await self._session.execute(stmt)).mappings()
        total = await self._session.scalar(select(func.count(D.id)))
        return [dict(r) for r in rows], int(total or 0)

    async def get(self, ref: str) -> dict[str, Any] | None:
        """A domain by name, id or URN."""
        stmt = _with_counts().where(or_(D.name == ref, D.id == ref, D.urn == ref))
        row = (await self._session.execute(stmt)).mappings().first()
        return dict(row) if row is not None else None

    async def create(self, values: dict[str, Any]) -> None:
        await add_unique(self._session, D(**values), f"domain {values['name']!r}")

    async def update(self, domain_id: str, values: dict[str, Any]) -> None:
        await self._session.execute(update(D).where(D.id == domain_id).values(**values))

    async def delete(self, domain_id: str) -> None:
        await self._session.execute(delete(D).where(D.id == domain_id))

    async def layer_counts(self, name: str) -> dict[str, int]:
        stmt = (
            select(CapsuleRecord.layer, func.count(CapsuleRecord.id))
            .where(CapsuleRecord.domain_name == name)
            .group_by(CapsuleRecord.layer)
            .order_by(CapsuleRecord.layer)
        )
        return {layer: int(n) for layer, n in (await self._session.execute(stmt)).all()}
