"""INSERT ... ON CONFLICT for the session's engine, and unique-key races turned into Conflict."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dab.errors import Conflict


def dialect_insert(session: AsyncSession, record: Any) -> Any:
    """``insert(record)`` of the engine's dialect, which has ``on_conflict_do_*``."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    return insert(record)


async def add_unique(session: AsyncSession, row: Any, what: str) -> None:
    """Add and flush ``row``; a concurrent writer that took the same unique name is a Conflict."""
    session.add(row)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"{what} already exists") from exc
