"""A larger SQLite page cache for the length of one big insert, on the connection doing it.

The column-edge insert checks two foreign keys and updates two indexes per row, all at
random places of the column URN index and the edge indexes. With SQLite's default cache
(2 MiB) most of those pages are read back from the WAL or the OS again and again; a cache
that holds them cuts the insert's CPU (see docs/PERFORMANCE.md, "Column lineage, fifth pass").
The previous size comes back afterwards, which hands the extra pages back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio

BULK_CACHE_KIB = 64 * 1024
"""The cache during a bulk insert (negative ``cache_size`` means KiB)."""
BULK_CACHE_MIN_ROWS = 20_000
"""Smaller inserts fit the default cache well enough."""


@asynccontextmanager
async def larger_page_cache(conn: Any, rows: int, kib: int = BULK_CACHE_KIB) -> AsyncIterator[None]:
    """On SQLite, ``cache_size`` raised to ``kib`` while ``rows`` rows are inserted."""
    if conn.dialect.name != "sqlite" or rows < BULK_CACHE_MIN_ROWS:
        yield
        return
    before = (await conn.exec_driver_sql("PRAGMA cache_size")).scalar_one()
    await conn.exec_driver_sql(f"PRAGMA cache_size = {-int(kib)}")
    try:
        yield
    finally:
        with anyio.CancelScope(shield=True):  # a cancelled ingestion still hands the pages back
            await conn.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")
