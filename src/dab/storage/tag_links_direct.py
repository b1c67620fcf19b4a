"""Tag-link batches on the driver's own connection: no ORM session, no statement compilation.

A batch of tag applies (``services/governance_tag_links.apply_tags``) used to run through an
``AsyncSession``: per batch ~8 statements each compiled, cache-keyed and handed to the driver
by SQLAlchemy, plus the session's flush and the two generation upserts of ``before_commit``;
that was over half the server's CPU per write under load (PERFORMANCE.md, "Tag applies, part
2"). Here the same four look-ups and writes (``TagLinks``, which ``TagRepository`` also
implements) are fixed SQL texts on the pooled connection's driver: the sqlite3 connection in
aiosqlite's thread (one hand-off per call) or the asyncpg connection. The transaction ends
with both generation rows in one statement and the commit (``finish``).

Driver errors come out as SQLAlchemy's (``IntegrityError`` for a constraint, so the group
commit splits the batch; ``OperationalError`` for an outage, answered 503), and a connection
that failed that way is invalidated rather than returned to the pool.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import aiosqlite
import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from dab.storage._tag_links import DirectLinks, TagLinks
from dab.storage.generation import count_local_commit
from dab.storage.tag_links_pg import PgTagLinks
from dab.storage.tag_links_sqlite import SqliteTagLinks

__all__ = ["TagLinks", "direct_tag_links"]

_OUTAGES = (sqlite3.OperationalError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError)


def as_sqlalchemy_error(exc: BaseException) -> BaseException:
    """The SQLAlchemy exception the session path would have raised for a driver error."""
    if isinstance(exc, sqlite3.IntegrityError | asyncpg.IntegrityConstraintViolationError):
        return IntegrityError("tag link batch", None, exc)
    if isinstance(exc, _OUTAGES):
        return OperationalError("tag link batch", None, exc)
    if isinstance(exc, sqlite3.Error | asyncpg.PostgresError):
        return DBAPIError("tag link batch", None, exc)
    return exc


@asynccontextmanager
async def direct_tag_links(
    engine: AsyncEngine, fallback: Callable[[], AbstractAsyncContextManager[TagLinks]]
) -> AsyncIterator[TagLinks]:
    """One transaction's ``TagLinks`` on a pooled connection's driver, committed on exit
    (rolled back on an error); ``fallback()`` for a driver this module does not know."""
    async with engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        store: DirectLinks
        if isinstance(driver, aiosqlite.Connection):
            store = SqliteTagLinks(driver, conn.dialect)
        elif isinstance(driver, asyncpg.Connection):
            store = PgTagLinks(driver)
        else:
            async with fallback() as other:
                yield other
            return
        try:
            yield store
            wrote = await store.finish()
        except BaseException as exc:
            await store.abandon()
            error = as_sqlalchemy_error(exc)
            if isinstance(error, OperationalError):
                await conn.invalidate()  # a broken or locked-out connection never goes back to the pool
            if error is exc:
                raise
            raise error from exc
    if wrote:
        count_local_commit()
