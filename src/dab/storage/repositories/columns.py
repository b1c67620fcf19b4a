"""Column reads: filtered pages, detail with tags and tests, summaries by URN."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dab.storage.records import ColumnRecord, ColumnTagRecord, DataTestRecord, TagRecord
from dab.storage.repositories._text import chunked
from dab.storage.search_index import contains_text, fts_count, uses_fts

K = ColumnRecord
T = DataTestRecord

SUMMARY_COLUMNS = (
    K.id,
    K.urn,
    K.name,
    K.capsule_urn,
    K.data_type,
    K.ordinal,
    K.description,
    K.pii_type,
    K.semantic_type,
    K.is_masked,
)
DETAIL_COLUMNS = (*SUMMARY_COLUMNS, K.pii_origin, K.meta, K.dbt_tags, K.constraints, K.stats, K.updated_at)


@dataclass(frozen=True, slots=True)
class ColumnFilters:
    capsule: str | None = None
    semantic_type: str | None = None
    pii_type: str | None = None
    tag: str | None = None
    q: str | None = None


def _conditions(f: ColumnFilters, *, sqlite: bool) -> list[ColumnElement[bool]]:
    pairs = ((K.capsule_urn, f.capsule), (K.semantic_type, f.semantic_type), (K.pii_type, f.pii_type))
    conditions: list[ColumnElement[bool]] = [col == value for col, value in pairs if value is not None]
    if f.tag is not None:
        tagged = (
            select(ColumnTagRecord.id)
            .join(TagRecord, TagRecord.id == ColumnTagRecord.tag_id)
            .where(ColumnTagRecord.column_urn == K.urn, TagRecord.name == f.tag)
        )
        conditions.append(exists(tagged))
    if f.q:
        conditions.append(contains_text(K.id, (K.name, K.urn, K.description), f.q, fts=sqlite))
    return conditions


def _count(filters: ColumnFilters, conditions: list[ColumnElement[bool]], *, fts: bool) -> Any:
    """The filtered total; a text search with no other filter is counted by the FTS table."""
    only_text = filters.q is not None and filters == ColumnFilters(q=filters.q)
    by_index = fts_count(K.id, filters.q) if fts and only_text and filters.q else None
    return by_index if by_index is not None else select(func.count(K.id)).where(*conditions)


class ColumnRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def list_page(
        self, filters: ColumnFilters, *, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        """Ordered by capsule, position in the capsule, then id (stable)."""
        fts = uses_fts(self._session)
        conditions = _conditions(filters, sqlite=fts)
        stmt = (
            select(*SUMMARY_COLUMNS)
            .where(*conditions)
            .order_by(K.capsule_urn, K.ordinal, K.id)
            .limit(limit)
            .offset(offset)
        )
        rows = await self._session.execute(stmt)
        total = await self._session.scalar(_count(filters, conditions, fts=fts))
        return [dict(r) for r in rows.mappings()], int(total or 0)

    async def get_detail(self, urn: str) -> dict[str, Any] | None:
        row = (await self._session.execute(select(*DETAIL_COLUMNS).where(K.urn == urn))).mappings().first()
        return dict(row) if row is not None else None

    async def exists(self, urn: str) -> bool:
        return (await self._session.scalar(select(K.id).where(K.urn == urn))) is not None

    async def tags(self, urn: str) -> list[dict[str, Any]]:
        stmt = (
            select(TagRecord.id, TagRecord.urn, TagRecord.name, TagRecord.category, ColumnTagRecord.origin)
            .join(TagRecord, TagRecord.id == ColumnTagRecord.tag_id)
            .where(ColumnTagRecord.column_urn == urn)
            .order_by(TagRecord.category, TagRecord.name)
        )
        return [dict(r) for r in (await self._session.execute(stmt)).mappings()]

    async def tests(self, urn: str) -> list[dict[str, Any]]:
        stmt = (
            select(T.urn, T.name, T.kind, T.severity, T.status, T.executed_at)
            .where(T.column_urn == urn)
            .order_by(T.name, T.id)
        )
        return [dict(r) for r in (await self._session.execute(stmt)).mappings()]

    async def summaries(self, urns: Collection[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        columns = (K.urn, K.name, K.capsule_urn, K.data_type)
        for batch in chunked(sorted(urns)):
            for row in (await self._session.execute(select(*columns).where(K.urn.in_(batch)))).mappings():
                out[row["urn"]] = dict(row)
        return out
