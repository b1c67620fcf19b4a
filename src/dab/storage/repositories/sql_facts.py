"""The ``sql_fact`` table: SQL facts of one sqlglot version, read whole, written set-based."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from dab.rules.sqlfacts import SqlFacts
from dab.storage.graph_writer import chunked
from dab.storage.records import SqlFactRecord

F = SqlFactRecord
DELETE_BATCH = 5_000
INSERT_BATCH = 5_000


async def stored_facts(session: AsyncSession, version: str) -> list[tuple[str, SqlFacts]]:
    """Every stored fact of ``version``, by digest: one select of plain columns."""
    conn = await session.connection()
    rows = await conn.execute(
        select(F.digest, F.join_count, F.qualified_tables, F.parsed, F.star_reads).where(
            F.sqlglot_version == version
        )
    )
    loads = orjson.loads
    return [
        (digest, SqlFacts(joins, tuple(loads(tables)), bool(parsed), tuple(loads(stars))))
        for digest, joins, tables, parsed, stars in rows
    ]


async def add_facts(session: AsyncSession, version: str, facts: Iterable[tuple[str, SqlFacts]]) -> None:
    """Insert facts not stored yet; a digest another writer stored meanwhile is left as it is
    (the same SQL and version give the same facts), so concurrent savers never conflict."""
    rows: list[dict[str, Any]] = [
        {
            "sqlglot_version": version,
            "digest": digest,
            "join_count": f.join_count,
            "qualified_tables": orjson.dumps(f.qualified_tables).decode(),
            "parsed": f.parsed,
            "star_reads": orjson.dumps(f.star_reads).decode(),
        }
        for digest, f in facts
    ]
    if not rows:
        return
    conn = await session.connection()
    # Through the connection (not ``batch_db``): its events see a write to a cache table, which
    # retires no cached read. Key order: two PostgreSQL savers lock rows in the same order.
    rows.sort(key=lambda row: str(row["digest"]))
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = insert(F).on_conflict_do_nothing(index_elements=["sqlglot_version", "digest"])
    # One prepared statement over every row: compiling a multi-row VALUES of thousands of rows
    # cost more CPU than the insert itself (10k facts: ~1.3 s, on the ingestion's tail).
    for batch in chunked(rows, INSERT_BATCH):
        await conn.execute(statement, batch)


async def delete_facts(session: AsyncSession, version: str, digests: Sequence[str]) -> None:
    """Delete the facts of ``digests`` (of ``version``) and every fact of another version."""
    conn = await session.connection()
    await conn.execute(delete(F).where(F.sqlglot_version != version))
    for batch in chunked(sorted(digests), DELETE_BATCH):
        await conn.execute(delete(F).where(F.sqlglot_version == version, F.digest.in_(batch)))
