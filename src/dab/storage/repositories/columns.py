"""Column reads: filtered pages, detail with tags and tests, summaries by URN."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dab.storage.records import ColumnRecord, ColumnTagRecord, DataTestRecord, TagRecord
from dab.storage.repositories._text import chunked
from dab.storage.search_index import (
    TEXT_TOTAL_CAP,
    capped_count,
    capped_total,
    contains_text,
    document_contains,
    fts_rows,
    search_document,
    uses_fts,
)

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
        fields = (K.name, K.urn, K.description)
        conditions.append(contains_text(K.id, fields, f.q, fts=sqlite, document=not sqlite))
    return conditions


def _text_only(filters: ColumnFilters) -> bool:
    return filters.q is not None and filters == ColumnFilters(q=filters.q)


def _count(filters: ColumnFilters, conditions: list[ColumnElement[bool]], *, fts: bool) -> Any:
    """The filtered total; with a text, at most ``TEXT_TOTAL_CAP + 1`` matches are counted (a
    text-only filter counts them in the FTS table alone)."""
    if not filters.q:
        return select(func.count(K.id)).where(*conditions)
    by_index = fts_rows(K.id, filters.q) if fts and _text_only(filters) else None
    return capped_count(by_index if by_index is not None else select(K.id).where(*conditions))


def _page(filters: ColumnFilters, conditions: list[ColumnElement[bool]]) -> Any:
    """Without a text: by capsule, position in the capsule, then id. With one: by id, the order
    the FTS table yields its matches, so the page is read and not every match sorted (the first
    page of the 80k columns matching "stg" took 84 ms idle by capsule and position, 0.1 ms so)."""
    stmt = select(*SUMMARY_COLUMNS)
    if not filters.q:
        return stmt.where(*conditions).order_by(K.capsule_urn, K.ordinal, K.id)
    return stmt.where(*conditions).order_by(K.id)


ID_WINDOW = 2_000


def _window_page(text: str, rows: int) -> Any:
    """The first ``rows`` matches of ``text`` among the first ``ID_WINDOW`` columns by id (a
    primary-key walk of at most that many rows), or None when the text cannot use the
    search document."""
    document = search_document(K.id).label("document")
    window = select(*SUMMARY_COLUMNS, document).order_by(K.id).limit(ID_WINDOW).subquery("w")
    matched = document_contains(window.c.document, text)
    if matched is None:
        return None
    return (
        select(*(window.c[c.key] for c in SUMMARY_COLUMNS)).where(matched).order_by(window.c.id).limit(rows)
    )


class ColumnRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def list_page(
        self, filters: ColumnFilters, *, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int, bool]:
        """A page, the filtered total and whether that total is exact (see ``TEXT_TOTAL_CAP``)."""
        fts = uses_fts(self._session)
        conditions = _conditions(filters, sqlite=fts)
        counted = int(await self._session.scalar(_count(filters, conditions, fts=fts)) or 0)
        by_index = fts_rows(K.id, filters.q) if fts and filters.q and _text_only(filters) else None
        if by_index is not None:  # the page's ids straight from the index, in its order
            ids = by_index.limit(limit).offset(offset)
            stmt = select(*SUMMARY_COLUMNS).where(K.id.in_(ids)).order_by(K.id)
        elif filters.q and not fts:
            return await self._text_page(filters, conditions, counted, limit=limit, offset=offset)
        else:
            stmt = _page(filters, conditions).limit(limit).offset(offset)
        rows = [dict(r) for r in (await self._session.execute(stmt)).mappings()]
        return (rows, *capped_total(counted, filters.q))

    async def _text_page(
        self,
        filters: ColumnFilters,
        conditions: list[ColumnElement[bool]],
        counted: int,
        *,
        limit: int,
        offset: int,
    ) -> tuple[list[dict[str, Any]], int, bool]:
        """A text's page in id order on PostgreSQL (SQLite pages through its FTS table). The
        trigram index yields row addresses, not ids in order, so a page by id either sorts
        every match (a bitmap scan: the cost grows with the matches) or walks the primary key
        until the page is full (the cost grows with the rows before the page's last match:
        200k for a text whose matches sit at the end). Left to itself the planner walked such
        texts (0.3-0.8 s). So: a text with at most ``TEXT_TOTAL_CAP`` matches (the count says
        so) sorts them; a broader one first reads the first ``ID_WINDOW`` rows by id (a full
        page there is the answer: every earlier match is in the window), and sorts its
        matches when the window falls short."""
        total = capped_total(counted, filters.q)
        broad = filters.q and counted > TEXT_TOTAL_CAP and _text_only(filters)
        window = _window_page(filters.q, limit + offset) if broad and filters.q else None
        if window is not None:
            rows = [dict(r) for r in (await self._session.execute(window)).mappings()]
            if len(rows) == limit + offset:
                return rows[offset:], *total
        # id + 0: a sort key no index provides, so the planner sorts the matches instead of
        # walking the primary key.
        stmt = select(*SUMMARY_COLUMNS).where(*conditions).order_by(K.id + 0).limit(limit).offset(offset)
        return [dict(r) for r in (await self._session.execute(stmt)).mappings()], *total

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
