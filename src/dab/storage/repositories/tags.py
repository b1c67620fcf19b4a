"""Tags and their TAGGED_WITH links to capsules and columns (URN-keyed; see records.governance)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from dab.storage.records import (
    CapsuleRecord,
    CapsuleTagRecord,
    ColumnRecord,
    ColumnTagRecord,
    TagRecord,
    utcnow,
)
from dab.storage.repositories._text import chunked, icontains
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


Pair = tuple[str, str]


def is_row_id(ref: str) -> bool:
    """A capsule or column reference that is its stored id (anything else is a URN)."""
    return ref.isdigit() and len(ref) < 19


def _link_fields(record: Any) -> tuple[Any, ...]:
    return (record.tag_id, record.origin, record.added_by, record.added_at)


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

    async def refs(self, refs: set[str]) -> dict[str, dict[str, Any]]:
        """``ref`` (id or URN) -> id, URN and origin, for the tags that exist."""
        found: dict[str, dict[str, Any]] = {}
        for batch in chunked(sorted(refs)):
            stmt = select(G.id, G.urn, G.origin).where(or_(G.id.in_(batch), G.urn.in_(batch)))
            for row in (await self._session.execute(stmt)).mappings():
                found.update({key: dict(row) for key in (row["id"], row["urn"]) if key in refs})
        return found

    async def subject_urns(self, kind: str, refs: set[str]) -> dict[str, str]:
        """``ref`` -> URN for the ingested capsules or columns among ``refs`` (ids or URNs)."""
        subject = SUBJECTS[kind][2]
        by_id: dict[int, list[str]] = {}
        for ref in refs:
            if is_row_id(ref):
                by_id.setdefault(int(ref), []).append(ref)
        found: dict[str, str] = {}
        for batch in chunked(sorted(refs - {r for rs in by_id.values() for r in rs})):
            found.update(
                (u, u) for u in await self._session.scalars(select(subject.urn).where(subject.urn.in_(batch)))
            )
        for ids in chunked(sorted(by_id)):
            for row_id, urn in await self._session.execute(
                select(subject.id, subject.urn).where(subject.id.in_(ids))
            ):
                found.update((ref, urn) for ref in by_id[row_id])
        return found

    async def add_links(
        self, kind: str, pairs: list[tuple[str, str, str | None]]
    ) -> dict[Pair, dict[str, Any]]:
        """Many TAGGED_WITH (subject URN, tag id, added_by) with origin ``api`` in one statement;
        the stored rows of those that were new (existing links are left as they are)."""
        record, key, _, _ = SUBJECTS[kind]
        now = utcnow()
        rows = [
            {key: urn, "tag_id": tag_id, "origin": "api", "added_by": by, "added_at": now}
            for urn, tag_id, by in pairs
        ]
        # Parameters, not VALUES in the statement: one cached compilation for any batch size
        # (SQLAlchemy's insertmanyvalues still sends one multi-row INSERT ... RETURNING).
        stmt = (
            dialect_insert(self._session, record)
            .on_conflict_do_nothing(index_elements=[key, "tag_id"])
            .returning(getattr(record, key), *_link_fields(record))
        )
        result = await self._session.execute(stmt, rows)
        return {(row[0], row[1]): dict(row._mapping) for row in result}

    async def links(self, kind: str, pairs: list[Pair]) -> dict[Pair, dict[str, Any]]:
        """The stored links among (subject URN, tag id) ``pairs``."""
        record, key, _, _ = SUBJECTS[kind]
        subject = getattr(record, key)
        stmt = select(subject, *_link_fields(record)).where(tuple_(subject, record.tag_id).in_(pairs))
        return {(row[0], row[1]): dict(row._mapping) for row in await self._session.execute(stmt)}

    async def remove_links(self, kind: str, pairs: list[Pair]) -> None:
        """Delete the links (subject URN, tag id) ``pairs``."""
        record, key, _, _ = SUBJECTS[kind]
        for part in chunked(pairs):
            await self._session.execute(
                delete(record).where(tuple_(getattr(record, key), record.tag_id).in_(part))
            )

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
