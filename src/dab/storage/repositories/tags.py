"""Tags and their TAGGED_WITH links to capsules and columns (URN-keyed; see records.governance)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dab.storage.records import (
    CapsuleRecord,
    CapsuleTagRecord,
    ColumnRecord,
    ColumnTagRecord,
    TagRecord,
    utcnow,
)
from dab.storage.repositories._text import icontains
from dab.storage.repositories._upsert import add_unique, dialect_insert

G = TagRecord
TAG_COLUMNS = (G.id, G.urn, G.name, G.category, G.description, G.sensitivity_level, G.origin, G.created_at)

# subject kind -> (link record, its URN column name, subject record, subject columns shown)
SUBJECTS: dict[str, tuple[Any, str, Any, tuple[Any, ...]]] = {
    "capsule": (
        CapsuleTagRecord,
        "capsule_urn",
        CapsuleRecord,
        (CapsuleRecord.id, CapsuleRecord.urn, CapsuleRecord.name, CapsuleRecord.capsule_type),
    ),
    "column": (
        ColumnTagRecord,
        "column_urn",
        ColumnRecord,
        (ColumnRecord.id, ColumnRecord.urn, ColumnRecord.name, ColumnRecord.capsule_urn),
    ),
}


def _with_counts() -> Any:
    counts = [
        select(func.count(link.id))
        .join(subject, subject.urn == getattr(link, key))
        .where(link.tag_id == G.id)
        .scalar_subquery()
        .label(f"{kind}_count")
        for kind, (link, key, subject, _) in SUBJECTS.items()
    ]
    return select(*TAG_COLUMNS, *counts)


class TagRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def list_page(
        self, *, category: str | None, origin: str | None, q: str | None, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        conditions = [G.category == category] if category else []
        if origin:
            conditions.append(G.origin == origin)
        if q:
            conditions.append(icontains(G.name, q) | icontains(G.description, q))
        stmt = _with_counts().where(*conditions).order_by(G.category, G.name, G.id)
        rows = (await self._session.execute(stmt.limit(limit).offset(offset))).mappings()
        total = await self._session.scalar(select(func.count(G.id)).where(*conditions))
        return [dict(r) for r in rows], int(total or 0)

    async def get(self, ref: str) -> dict[str, Any] | None:
        """A tag by id or URN."""
        row = (
            (await self._session.execute(_with_counts().where(or_(G.id == ref, G.urn == ref))))
            .mappings()
            .first()
        )
        return dict(row) if row is not None else None

    async def id_of(self, category: str, name: str) -> str | None:
        return await self._session.scalar(select(G.id).where(G.category == category, G.name == name))

    async def ref(self, ref: str) -> dict[str, Any] | None:
        """id, URN and origin of a tag by id or URN (the light lookup of the write paths)."""
        stmt = select(G.id, G.urn, G.origin).where(or_(G.id == ref, G.urn == ref))
        row = (await self._session.execute(stmt)).mappings().first()
        return dict(row) if row is not None else None

    async def create(self, values: dict[str, Any]) -> None:
        await add_unique(self._session, G(**values), f"tag {values['urn']!r}")

    async def update(self, tag_id: str, values: dict[str, Any]) -> None:
        await self._session.execute(update(G).where(G.id == tag_id).values(**values))

    async def delete(self, tag_id: str) -> None:
        for link, _, _, _ in SUBJECTS.values():
            await self._session.execute(delete(link).where(link.tag_id == tag_id))
        await self._session.execute(delete(G).where(G.id == tag_id))

    async def link(self, kind: str, urn: str, tag_id: str) -> dict[str, Any] | None:
        record, key, _, _ = SUBJECTS[kind]
        columns = (record.id, record.origin, record.added_by, record.added_at)
        stmt = select(*columns).where(getattr(record, key) == urn, record.tag_id == tag_id)
        row = (await self._session.execute(stmt)).mappings().first()
        return dict(row) if row is not None else None

    async def add_link(self, kind: str, urn: str, tag_id: str, *, added_by: str | None) -> bool:
        """TAGGED_WITH with origin ``api``; True when created, False when it was already there."""
        record, key, _, _ = SUBJECTS[kind]
        stmt = dialect_insert(self._session, record).values(
            **{key: urn}, tag_id=tag_id, origin="api", added_by=added_by, added_at=utcnow()
        )
        result: Any = await self._session.execute(stmt.on_conflict_do_nothing(index_elements=[key, "tag_id"]))
        return bool(result.rowcount)

    async def remove_link(self, kind: str, link_id: int) -> None:
        record = SUBJECTS[kind][0]
        await self._session.execute(delete(record).where(record.id == link_id))

    async def tagged(
        self, kind: str, tag_id: str, *, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        """The ingested subjects carrying the tag (dormant links of absent subjects are skipped)."""
        link, key, subject, columns = SUBJECTS[kind]
        joined = (subject.urn == getattr(link, key)) & (link.tag_id == tag_id)
        stmt = (
            select(*columns, link.origin, link.added_by, link.added_at)
            .join(link, joined)
            .order_by(subject.urn)
            .limit(limit)
            .offset(offset)
        )
        rows = (await self._session.execute(stmt)).mappings()
        total = await self._session.scalar(select(func.count(link.id)).join(subject, joined))
        return [dict(r) for r in rows], int(total or 0)
