"""SQLite: insert batches of rows another process already encoded (``services/first_write.py``).

The statements are ``graph_writer._insert``'s: one ``executemany`` per batch on the
transaction's connection, with the search index filled in one statement afterwards. Taking
the next batch (waiting for it, unpickling it) runs in a worker thread while SQLite writes
the current one (``pipeline.pipelined``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dab.domain.gc_pause import gc_paused
from dab.storage import search_index
from dab.storage.graph_writer import insert_sql
from dab.storage.pipeline import pipelined

Encoded = tuple[list[str], list[tuple[Any, ...]]]
"""One batch: the column names and the rows' DBAPI values in that order."""


async def insert_encoded(
    session: AsyncSession, record: Any, *, batches: int, rows: int, take: Callable[[], Encoded]
) -> None:
    """Insert ``batches`` batches (``rows`` rows in all, numbered by the database), each the
    next ``take()``; ``take`` blocks until its batch is there and must not touch the connection."""
    if not batches:
        return
    conn = await session.connection()
    table = record.__table__

    def next_batch(_: int) -> Encoded:
        with gc_paused():  # unpickled tuples hold no cycles
            return take()

    async def write(encoded: Encoded) -> None:
        names, values = encoded
        await conn.exec_driver_sql(insert_sql(conn.dialect, table, names), values)

    async with search_index.sqlite_bulk_insert(conn, str(record.__tablename__), rows):
        await pipelined(range(batches), next_batch, write)
