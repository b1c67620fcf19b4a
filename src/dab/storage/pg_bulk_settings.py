"""PostgreSQL settings for the rest of one big write's transaction (``SET LOCAL``).

A first ingestion inserts millions of rows into tables with trigram GIN indexes. GIN queues
new entries in a pending list and merges it into the index whenever it passes
``gin_pending_list_limit`` (4MB by default), sorting it in ``work_mem`` (4MB): at 2.2M column
rows the merges were most of the server's time. Bigger limits mean fewer, larger merges (a
fifth off an isolated 2.2M-row insert, docs/PERFORMANCE.md, "Ingestion at the floor", part
5). ``SET LOCAL`` ends with the transaction, so nothing else that uses the connection
afterwards, and no other session, sees them; no lock is taken.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

BIG_WRITE_ROWS = 50_000
"""Rows (capsules, columns and tests) from which a write sets ``SETTINGS``."""

SETTINGS: dict[str, str] = {"gin_pending_list_limit": "64MB", "work_mem": "64MB"}


async def apply_for_big_write(session: AsyncSession, rows: int) -> bool:
    """``SET LOCAL`` each of ``SETTINGS`` when this PostgreSQL transaction writes ``rows`` or
    more; whether it did."""
    if rows < BIG_WRITE_ROWS or session.get_bind().dialect.name != "postgresql":
        return False
    conn = await session.connection()
    for name, value in SETTINGS.items():
        await conn.exec_driver_sql(f"SET LOCAL {name} = '{value}'")
    return True
