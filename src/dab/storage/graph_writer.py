"""Persist a parsed Graph as a set-based diff against what is stored for its project.

Rows are compared by content hash: unchanged rows are not touched, changed rows are
updated by primary key, vanished rows are deleted (their edges and columns go with them
through ON DELETE CASCADE). Runs inside the caller's transaction; never commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dab.errors import Conflict
from dab.storage.records import (
    Base,
    CapsuleLineageRecord,
    CapsuleRecord,
    ColumnRecord,
    DataTestRecord,
    utcnow,
)

BATCH = 5_000
T = TypeVar("T")


@dataclass
class DiffStats:
    created: int = 0
    updated: int = 0
    deleted: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "deleted": self.deleted}


def chunked(items: Sequence[T], size: int = BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def _insert(session: AsyncSession, record: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    for batch in chunked(rows):
        await session.execute(insert(record), list(batch))


async def _delete_by_id(session: AsyncSession, record: Any, ids: Sequence[int]) -> None:
    for batch in chunked(ids, 1_000):
        await session.execute(delete(record).where(record.id.in_(batch)))


async def _refuse_foreign_urns(session: AsyncSession, record: Any, urns: list[str]) -> None:
    """A URN owned by another project would violate uniqueness: say which, as a 409."""
    for batch in chunked(urns, 1_000):
        owner = (
            await session.execute(select(record.urn, record.project).where(record.urn.in_(batch)).limit(1))
        ).first()
        if owner is not None:
            raise Conflict(
                f"{owner.urn} already belongs to project {owner.project!r}; "
                f"ingest it under that project_name or remove that project first"
            )


async def sync_by_urn(
    session: AsyncSession,
    record: Any,
    rows: list[dict[str, Any]],
    *,
    project: str,
    keep_manual_pii: bool = False,
) -> DiffStats:
    """Make the project's rows of ``record`` equal ``rows`` (keyed by urn, compared by hash)."""
    stored = {
        urn: (row_id, digest, manual)
        for row_id, urn, digest, manual in await session.execute(
            select(
                record.id,
                record.urn,
                record.content_hash,
                (record.pii_origin == "manual") if keep_manual_pii else record.id.is_(None),
            ).where(record.project == project)
        )
    }
    wanted = {row["urn"] for row in rows}
    stats = DiffStats()
    gone = [row_id for urn, (row_id, _, _) in stored.items() if urn not in wanted]
    await _delete_by_id(session, record, gone)
    stats.deleted = len(gone)

    new_rows = [row for row in rows if row["urn"] not in stored]
    await _refuse_foreign_urns(session, record, [row["urn"] for row in new_rows])
    await _insert(session, record, new_rows)
    stats.created = len(new_rows)

    now = utcnow()
    changed: list[dict[str, Any]] = []
    for row in rows:
        current = stored.get(row["urn"])
        if current is None or current[1] == row["content_hash"]:
            continue
        change = {**row, "id": current[0], "updated_at": now}
        if current[2]:  # a person classified this column through the API: keep their answer
            change.pop("pii_type", None)
            change.pop("pii_origin", None)
        changed.append(change)
    for batch in chunked(changed):
        await session.execute(update(record), list(batch))
    stats.updated = len(changed)
    return stats


async def sync_capsule_edges(
    session: AsyncSession, edges: Iterable[tuple[str, str]], *, project: str
) -> DiffStats:
    stored = {
        (source, target): edge_id
        for edge_id, source, target in await session.execute(
            select(
                CapsuleLineageRecord.id, CapsuleLineageRecord.source_urn, CapsuleLineageRecord.target_urn
            ).where(CapsuleLineageRecord.project == project)
        )
    }
    wanted = set(edges)
    gone = [edge_id for pair, edge_id in stored.items() if pair not in wanted]
    await _delete_by_id(session, CapsuleLineageRecord, gone)
    new = [
        {"project": project, "source_urn": s, "target_urn": t, "edge_type": "FLOWS_TO"}
        for s, t in sorted(wanted - stored.keys())
    ]
    await _insert(session, CapsuleLineageRecord, new)
    return DiffStats(created=len(new), deleted=len(gone))


async def sync_capsules(session: AsyncSession, rows: list[dict[str, Any]], *, project: str) -> DiffStats:
    return await sync_by_urn(session, CapsuleRecord, rows, project=project)


async def sync_columns(session: AsyncSession, rows: list[dict[str, Any]], *, project: str) -> DiffStats:
    return await sync_by_urn(session, ColumnRecord, rows, project=project, keep_manual_pii=True)


async def sync_tests(session: AsyncSession, rows: list[dict[str, Any]], *, project: str) -> DiffStats:
    return await sync_by_urn(session, DataTestRecord, rows, project=project)
