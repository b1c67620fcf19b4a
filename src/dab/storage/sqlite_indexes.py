"""SQLite: secondary indexes rebuilt around a large insert instead of updated row by row.

Inserting 220k column rows into a table with four secondary indexes costs ~1.5x inserting them
into the bare table and building the indexes afterwards (one sorted pass each). Inside the
write transaction the table's own indexes (not the implicit ones of UNIQUE constraints, which
also guard the insert) are dropped and created again from their stored SQL, so the schema after
commit is exactly the one before. SQLite DDL is transactional: a failure rolls the drop back,
and readers (WAL) keep seeing the committed schema until then.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

REBUILD_MIN_ROWS = 10_000
"""Smaller inserts keep the indexes: a rebuild reads the whole table."""


@asynccontextmanager
async def indexes_rebuilt(conn: Any, table: str, rows: int) -> AsyncIterator[None]:
    """Around an insert of ``rows`` rows into ``table`` on SQLite, when they at least double it."""
    if conn.dialect.name != "sqlite" or rows < REBUILD_MIN_ROWS:
        yield
        return
    # A no-op UPDATE opens the write transaction first (Python's sqlite3 autocommits DDL otherwise).
    await conn.exec_driver_sql(f'UPDATE "{table}" SET rowid = rowid WHERE 0')
    stored = (await conn.exec_driver_sql(f'SELECT count(*) FROM "{table}"')).scalar_one()
    definitions = (
        await conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            (table,),
        )
    ).all()
    if stored > rows or not definitions:
        yield
        return
    for name, _ in definitions:
        await conn.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    for _, sql in definitions:
        await conn.exec_driver_sql(sql)
