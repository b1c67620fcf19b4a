"""A passive WAL checkpoint after a stream of writes, off the request path (SQLite only).

An OpenLineage batch raises ``wal_autocheckpoint`` to 10,000 pages for its transaction
(``sqlite_pragmas.BATCH_WRITE``) so that a page rewritten by several batches is copied to the
database once rather than once per batch. But the commit that crosses the threshold runs the
whole checkpoint before its response: those batches made the p95 per batch ~45 % longer
(PERFORMANCE.md, "OpenLineage, part 6"). Here the request that committed asks for a
``PASSIVE`` checkpoint in the background instead: at most one runs at a time, at most one starts
per ``interval``, on a pooled connection in its own thread, while the next batch already runs
(WAL mode lets a checkpointer copy pages beside the writer; a passive one never waits for a
lock). The commit's threshold stays as the fallback for when this one falls behind.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time

import aiosqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from dab.platform.logging import get_logger
from dab.storage.sqlite_driver import in_connection_thread, raw_connection

log = get_logger("dab.storage")


def _passive(raw: sqlite3.Connection) -> tuple[int, int, int]:
    busy, frames, copied = raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return int(busy), int(frames), int(copied)


class Checkpointer:
    """``after_write()`` from the event loop once a write has committed; ``close()`` before the
    engine is disposed. Does nothing for an engine that is not SQLite."""

    def __init__(self, engine: AsyncEngine, *, interval: float = 0.2) -> None:
        self._engine = engine
        self._interval = interval
        self._enabled = engine.dialect.name == "sqlite"
        self._task: asyncio.Task[None] | None = None
        self._last = float("-inf")
        self.runs = 0
        """Checkpoints completed (for tests and logs)."""

    def after_write(self) -> None:
        if not self._enabled or (self._task is not None and not self._task.done()):
            return
        if time.monotonic() - self._last < self._interval:
            return
        self._task = asyncio.get_running_loop().create_task(self._checkpoint())

    async def _checkpoint(self) -> None:
        try:
            async with self._engine.connect() as conn:
                driver = (await conn.get_raw_connection()).driver_connection
                if isinstance(driver, aiosqlite.Connection):
                    raw = raw_connection(driver)
                    busy, frames, copied = await in_connection_thread(driver, _passive, raw)
                    self.runs += 1
                    log.debug("wal_checkpoint", busy=busy, frames=frames, copied=copied)
        except (OSError, sqlite3.Error, SQLAlchemyError) as exc:
            # The commit's own checkpoint remains; a failed passive one loses nothing.
            log.warning("wal_checkpoint_failed", error=type(exc).__name__)
        finally:
            self._last = time.monotonic()

    async def close(self) -> None:
        """Wait for a checkpoint in progress (it is short and never waits for a lock)."""
        task, self._task = self._task, None
        if task is not None:
            await task
