"""The cache generation row: changed by every committed transaction that wrote catalog data.

Writes are noticed on the connection (ORM and Core statements alike), so no writer has to
remember to invalidate anything; the token changes just before the writer's commit, in the same
transaction, so it is exactly as durable as the write itself.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import TextClause

from dab.storage.records import CacheGenerationRecord, utcnow

ROW_ID = 1
GRAPH_ROW_ID = 2
"""A second token in the same table, changed only by writes that can change the stored graph:
an evaluation persisting its violations must not throw away the graph kept for the next one."""
WROTE = "dab_wrote_catalog"
WROTE_GRAPH = "dab_wrote_graph"
# Bookkeeping that no cached read shows: writing it does not retire cached reads. SQL facts are
# a cache of what parsing stored SQL gives, so saving them changes no answer and no graph.
UNCACHED_TABLES = frozenset({"cache_generation", "ingestion_job", "ingestion_artifact", "sql_fact"})
# Conformance results and rules: cached reads show them, the graph (capsules, columns, ...) does not.
GRAPH_NEUTRAL_TABLES = UNCACHED_TABLES | {"conformance_run", "violation", "rule"}
_commits_in_this_process = 0


def new_token() -> str:
    return secrets.token_hex(16)


def local_commits() -> int:
    """How many catalog-writing transactions this process committed (changes on each)."""
    return _commits_in_this_process


def count_local_commit() -> None:
    """Count a catalog-writing commit made outside a Session (``tag_links_direct``), which
    moved both generation rows itself."""
    global _commits_in_this_process
    _commits_in_this_process += 1


def _table_of(statement: Any) -> str | None:
    table = getattr(statement, "table", None)
    return getattr(table, "name", None)


def _is_catalog_write(statement: Any, neutral: frozenset[str] = UNCACHED_TABLES) -> bool:
    if isinstance(statement, UpdateBase):
        return _table_of(statement) not in neutral
    if isinstance(statement, TextClause):
        verb = statement.text.lstrip().split(None, 1)[:1]
        return bool(verb) and verb[0].upper() in {"INSERT", "UPDATE", "DELETE", "TRUNCATE"}
    return False


def _before_execute(conn: Connection, statement: Any, *_args: Any) -> None:
    if _is_catalog_write(statement):
        conn.info[WROTE] = True
        if _is_catalog_write(statement, GRAPH_NEUTRAL_TABLES):
            conn.info[WROTE_GRAPH] = True


def note_write(conn: Connection, *, graph: bool = True) -> None:
    """Count a write the connection's events cannot see (statements run on the DBAPI
    connection itself, ``batch_db``) as a catalog write (and, with ``graph``, a graph write)."""
    conn.info[WROTE] = True
    if graph:
        conn.info[WROTE_GRAPH] = True


def _forget(conn: Connection) -> None:
    if conn.invalidated:
        return  # a lost connection: its marks went with it (reading info would raise instead)
    conn.info.pop(WROTE, None)
    conn.info.pop(WROTE_GRAPH, None)


def watch_writes(engine: AsyncEngine) -> None:
    """Track catalog writes on every connection of ``engine`` (idempotent)."""
    sync_engine = engine.sync_engine
    if not event.contains(sync_engine, "before_execute", _before_execute):
        event.listen(sync_engine, "before_execute", _before_execute)
        event.listen(sync_engine, "rollback", _forget)
        event.listen(sync_engine, "commit", _forget)


def _upsert(dialect: str, tokens: dict[int, str]) -> Any:
    """New tokens for the given rows in one statement (one round trip per writing commit)."""
    now = utcnow()
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(CacheGenerationRecord).values(
        [{"id": row_id, "token": token, "changed_at": now} for row_id, token in sorted(tokens.items())]
    )
    return stmt.on_conflict_do_update(
        index_elements=["id"], set_={"token": stmt.excluded.token, "changed_at": stmt.excluded.changed_at}
    )


@event.listens_for(Session, "before_commit")
def _bump_before_commit(session: Session) -> None:
    session.flush()  # the commit's own flush comes after this hook: write pending objects first
    for conn in _open_connections(session):
        tokens = {}
        if conn.info.pop(WROTE, False):
            tokens[ROW_ID] = new_token()
            session.info[WROTE] = True
        if conn.info.pop(WROTE_GRAPH, False):
            tokens[GRAPH_ROW_ID] = new_token()
        if tokens:
            conn.execute(_upsert(conn.dialect.name, tokens))


@event.listens_for(Session, "after_commit")
def _count_commit(session: Session) -> None:
    global _commits_in_this_process
    if session.info.pop(WROTE, False):
        _commits_in_this_process += 1


def _open_connections(session: Session) -> list[Connection]:
    transaction = session.get_transaction()
    if transaction is None:
        return []
    found = {id(entry[0]): entry[0] for entry in transaction._connections.values()}
    return list(found.values())  # SessionTransaction has no public accessor for its connections


async def bump_generation(session: AsyncSession) -> str:
    """Retire every cached read now (``dab cache clear``, restores); returns the new token."""
    token = new_token()
    conn = await session.connection()
    await conn.execute(_upsert(conn.dialect.name, {ROW_ID: token, GRAPH_ROW_ID: new_token()}))
    return token


async def read_generation(session: AsyncSession, row_id: int = ROW_ID) -> tuple[str | None, Any]:
    """The current token and when it changed; ``(None, None)`` before the first write."""
    row = (
        await session.execute(
            select(CacheGenerationRecord.token, CacheGenerationRecord.changed_at).where(
                CacheGenerationRecord.id == row_id
            )
        )
    ).first()
    return (row[0], row[1]) if row else (None, None)


async def read_graph_token(session: AsyncSession) -> str | None:
    """The graph's token (see ``GRAPH_ROW_ID``); ``None`` before the first graph write since it
    was introduced, when nothing may be kept."""
    return (await read_generation(session, GRAPH_ROW_ID))[0]
