"""Resolve the runbook's ``{capsule_id}`` / ``{column_id}``: the stored id or the URN."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dab.errors import NotFound
from dab.storage.records import CapsuleRecord, ColumnRecord
from dab.storage.repositories.tags import is_row_id

RECORDS: dict[str, Any] = {"capsule": CapsuleRecord, "column": ColumnRecord}


async def subject_urn(session: AsyncSession, kind: str, ref: str) -> str:
    """The URN of an ingested capsule or column given its id or URN; NotFound otherwise."""
    record = RECORDS[kind]
    key = record.id == int(ref) if is_row_id(ref) else record.urn == ref
    urn: str | None = await session.scalar(select(record.urn).where(key))
    if urn is None:
        raise NotFound(f"{kind} {ref!r} not found")
    return urn
