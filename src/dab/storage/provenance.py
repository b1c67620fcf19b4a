"""Which source asserted a node, and what a snapshot source may remove.

A capsule row is owned by one project (``capsule.project``/``capsule.source``); other sources
that assert the same node add a ``source_assertion`` row. A snapshot write (dbt) that no longer
mentions a node it owns deletes it only when nobody else asserts it; otherwise it hands the node
(with its columns) to the asserting source and removes only its own part: its tests and, through
the usual diff, its edges and tags. When the snapshot mentions the node again it takes it back.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dab.domain.capsule import CapsuleType
from dab.storage.graph_writer import chunked
from dab.storage.records import CapsuleRecord, ColumnRecord, DataTestRecord, SourceAssertionRecord

C = CapsuleRecord
A = SourceAssertionRecord
_FORGET = {"content_hash": "", "subtree_hash": None, "lineage_hash": None, "column_lineage": None}
"""A moved row must be rewritten by its next owner's diff, whatever its content digest says."""


async def _move(session: AsyncSession, urns: Sequence[str], values: dict[str, Any]) -> None:
    for batch in chunked(urns, 500):
        await session.execute(update(C).where(C.urn.in_(batch)).values(**values, **_FORGET))
        await session.execute(
            update(ColumnRecord)
            .where(ColumnRecord.capsule_urn.in_(batch))
            .values(project=values["project"], content_hash="")
        )


async def reclaim(session: AsyncSession, project: str, source: str, urns: Collection[str]) -> list[str]:
    """Nodes of ``urns`` that were handed to another source come back to ``project``."""
    prefix = f"urn:dab:{source}:%"
    held = await session.scalars(select(C.urn).where(C.urn.like(prefix), C.source != source))
    back = sorted(urn for urn in held if urn in urns)
    await _move(session, back, {"project": project, "source": source})
    return back


async def hand_over(session: AsyncSession, project: str, wanted: Collection[str]) -> list[str]:
    """Nodes ``project`` owns but no longer mentions, asserted by another source: theirs now."""
    rows = await session.execute(
        select(A.subject_urn, A.source, A.project)
        .join(C, C.urn == A.subject_urn)
        .where(C.project == project, A.project != project)
        .order_by(A.subject_urn, A.source)
    )
    heirs: dict[str, tuple[str, str]] = {}
    for urn, source, owner in rows:
        if urn not in wanted:
            heirs.setdefault(urn, (source, owner))
    for urn, (source, owner) in heirs.items():
        await _move(session, [urn], {"project": owner, "source": source, "capsule_type": CapsuleType.DATASET})
    for batch in chunked(sorted(heirs), 500):
        await session.execute(delete(DataTestRecord).where(DataTestRecord.capsule_urn.in_(batch)))
    return sorted(heirs)


async def asserted_by(session: AsyncSession, urns: Iterable[str]) -> dict[str, list[str]]:
    """Sources asserting each capsule: its owner's source and every other asserting source."""
    out: dict[str, set[str]] = {}
    for batch in chunked(sorted(set(urns)), 500):
        for urn, source in await session.execute(select(C.urn, C.source).where(C.urn.in_(batch))):
            out.setdefault(urn, set()).add(source)
        for urn, source in await session.execute(
            select(A.subject_urn, A.source).where(A.subject_urn.in_(batch))
        ):
            out.setdefault(urn, set()).add(source)
    return {urn: sorted(sources) for urn, sources in out.items()}
