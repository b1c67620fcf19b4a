"""PostgreSQL: a big ``COPY`` into an empty table builds its secondary indexes afterwards.

Maintained row by row, the indexes cost most of a first ingestion's server time: 2.2M column
rows (100k models) took 154 s with all nine indexes of ``capsule_column``, 2.3 s with none, and
the three trigram GIN indexes about three quarters of it. Built by one scan each after the rows
are in, the same indexes took about half as long (docs/PERFORMANCE.md, "Ingestion at the floor,
part 4").

Only indexes that back no constraint are rebuilt (the primary key and the unique URN stay:
they check the rows as they come and foreign keys point at them). Their definitions are read
from the catalog, so the rebuilt indexes are the migrations' own. The drop, the copy and the
builds are one transaction: a failure anywhere rolls the indexes back with the rows.

Dropping an index locks its table against readers until the commit, so this happens only when
the lock is free at once (``NOWAIT``; otherwise the rows are copied with the indexes in place),
the table holds no row (the first ingestion of a deployment: there is nothing to read), and the
role ingesting owns the table (where the migrations ran as another role, it may not drop them).
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any

REBUILD_FROM = 100_000
"""Rows of one ``COPY`` from which an empty table's secondary indexes are built afterwards."""
BUILD_MEMORY = "256MB"
"""``maintenance_work_mem`` for the builds, this transaction only (the server default is 64MB)."""

LOCK_NOT_AVAILABLE = "55P03"
_OWNED = "SELECT pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = $1::regclass"
_SECONDARY = """
SELECT pg_get_indexdef(i.indexrelid), c.relname
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = $1::regclass AND NOT i.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
ORDER BY c.relname
"""


async def copy_then_index(
    driver: Any, table: str, rows: int, copy: Callable[[], Awaitable[None]], batch: int
) -> None:
    """Run ``copy`` (the ``COPY`` of ``rows`` rows into ``table``, quoted) on the asyncpg
    connection ``driver``, inside its transaction; an empty table's secondary indexes are
    dropped before it and built after it. ``batch``: rows per ``COPY`` statement, which the
    statement timeout was sized for (an index build gets that budget per batch)."""
    indexes = await _droppable(driver, table) if rows >= REBUILD_FROM else []
    if not indexes:
        await copy()
        return
    await driver.execute("DROP INDEX " + ", ".join(_quote(name) for _, name in indexes))
    await copy()
    timeout = await _build_timeout(driver, math.ceil(rows / batch))
    await driver.execute(f"SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'")
    for definition, _ in indexes:
        await driver.execute(definition, timeout=timeout)
    await driver.execute("SET LOCAL statement_timeout = DEFAULT; SET LOCAL maintenance_work_mem = DEFAULT")


async def _droppable(driver: Any, table: str) -> list[tuple[str, str]]:
    """The secondary indexes of ``table`` when it is empty and its lock is free; else none."""
    if not await driver.fetchval(_OWNED, table):  # only the table's owner may drop its indexes
        return []
    await driver.execute("SAVEPOINT dab_bulk")
    indexes: list[tuple[str, str]] = []
    try:
        await driver.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE NOWAIT")
        if not await driver.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table})"):
            indexes = [(definition, name) for definition, name in await driver.fetch(_SECONDARY, table)]
    except Exception as exc:
        if getattr(exc, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise  # (another transaction reads or writes the table: copy with the indexes in place)
    # The lock is kept only to drop the indexes: rolling back to the savepoint releases it.
    await driver.execute(
        "RELEASE SAVEPOINT dab_bulk"
        if indexes
        else "ROLLBACK TO SAVEPOINT dab_bulk; RELEASE SAVEPOINT dab_bulk"
    )
    return indexes


async def _build_timeout(driver: Any, batches: int) -> float | None:
    """Seconds an index build may take: the statement timeout once per ``COPY`` batch it
    replaces (a 2.2M-row URN trigram index took 27-38 s on the loaded test machine, over the
    30 s a statement gets). Set on the server for this transaction, returned for the client."""
    milliseconds = int(
        await driver.fetchval("SELECT setting FROM pg_settings WHERE name = 'statement_timeout'")
    )
    if milliseconds == 0:
        return None
    budget = milliseconds * max(batches, 1)
    await driver.execute(f"SET LOCAL statement_timeout = {budget}")
    return budget / 1000


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
