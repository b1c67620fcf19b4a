"""Async engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from dab.storage import sqlite_driver
from dab.storage.generation import watch_writes


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


# orjson for JSON columns: bulk writes serialise hundreds of thousands of meta/tag values.
_JSON: dict[str, Any] = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}


POOL_SIZE = 20
"""Connections kept open per engine (one API worker): above the 16 concurrent requests a
worker is benchmarked with, so a steady load opens none."""


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # WAL lets readers run while an ingestion writes; FKs make ON DELETE CASCADE real; a
        # statement waits for another writer's lock as long as any statement may run.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.close()

    return on_connect


def create_engine(
    url: str,
    *,
    echo: bool = False,
    connect_timeout: float = 5.0,
    statement_timeout: float = 30.0,
    pool_timeout: float = 10.0,
) -> AsyncEngine:
    """An engine whose every wait is bounded: an unreachable or frozen database fails a
    request within seconds (connect, pool checkout, statement) instead of hanging it."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # Opening a SQLite connection (and its thread) costs ~2.5 ms, so the pool keeps as many
        # as a busy worker uses at once: with 5 kept, 16 concurrent requests opened and closed
        # an overflow connection per request. An idle connection is a parked thread.
        engine = create_async_engine(
            url,
            echo=echo,
            pool_size=POOL_SIZE,
            max_overflow=10,
            pool_timeout=pool_timeout,
            module=sqlite_driver.dbapi(),  # one thread hand-off per statement
            **_JSON,
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(int(statement_timeout * 1000)))
    else:
        connect_args = {
            "timeout": connect_timeout,
            "command_timeout": statement_timeout,
            # The server cancels too, so a statement stuck behind a lock frees its connection.
            "server_settings": {"statement_timeout": str(int(statement_timeout * 1000))},
        }
        engine = create_async_engine(
            url,
            echo=echo,
            pool_size=POOL_SIZE,
            max_overflow=20,
            pool_timeout=pool_timeout,
            connect_args=connect_args,
            **_JSON,
        )
        ping_when_idle(engine)
    watch_writes(engine)  # every committed catalog write retires cached reads everywhere
    return engine


IDLE_PING_SECONDS = 1.0
"""A pooled PostgreSQL connection idle this long is pinged before use; a busier one is not."""


def ping_when_idle(engine: AsyncEngine) -> None:
    """Instead of ``pool_pre_ping`` (a round trip on every checkout, one of three per read):
    a connection back from the pool within ``IDLE_PING_SECONDS`` is used as is, an older one is
    pinged and replaced when the ping fails. A database that restarts while connections are
    busy is noticed by the first statement instead (a disconnect: that request answers 503
    and SQLAlchemy retires the pool's older connections)."""
    dialect = engine.dialect

    def checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return  # new (its info is cleared on connect), or just used
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:  # any failed ping: the pool opens a new connection instead
            raise DisconnectionError(f"idle connection failed its ping: {type(exc).__name__}") from exc

    event.listen(engine.sync_engine, "checkin", checkin)
    event.listen(engine.sync_engine, "checkout", checkout)


_IDLE_SINCE = "dab_idle_since"


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def make_read_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for requests that only read. On PostgreSQL they run in autocommit, so a read
    makes no BEGIN and COMMIT round trips (two of the four a capsule read made). SQLite opens
    no transaction for a SELECT anyway (and switching its isolation level costs a thread hop)."""
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> str | None:
    """The schema revision (``alembic_version``) of a database that answers; raises when it cannot.

    None when the schema was never migrated.
    """
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
        try:
            revision = await connection.scalar(text("SELECT version_num FROM alembic_version"))
        except DBAPIError as exc:
            if is_outage(exc):
                raise
            return None
        return str(revision) if revision is not None else None


def is_outage(exc: DBAPIError) -> bool:
    """A lost or unusable connection, as opposed to an error of the statement itself."""
    if exc.connection_invalidated:
        return True
    missing_table = "no such table" in str(exc) or "does not exist" in str(exc)
    return isinstance(exc, OperationalError | InterfaceError) and not missing_table
