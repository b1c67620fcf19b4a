"""Domains with the number of capsules in each."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dab.storage.records import CapsuleRecord, DomainRecord

D = DomainRecord


def _with_counts() -> Any:
    counts = (
        select(CapsuleRecord.domain_name, func.count(CapsuleRecord.id).label("capsule_count"))
        .group_by(CapsuleRecord.domain_name)
        .subquery()
    )
    return (
        select(
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

    async def get(self, name: str) -> dict[str, Any] | None:
        row = (await self._session.execute(_with_counts().where(D.name == name))).mappings().first()
        return dict(row) if row is not None else None

    async def layer_counts(self, name: str) -> dict[str, int]:
        stmt = (
            select(CapsuleRecord.layer, func.count(CapsuleRecord.id))
            .where(CapsuleRecord.domain_name == name)
            .group_by(CapsuleRecord.layer)
            .order_by(CapsuleRecord.layer)
        )
        return {layer: int(n) for layer, n in (await self._session.execute(stmt)).all()}
