"""Encode the next batch of rows in a worker thread while the database writes the current one.

A bulk insert alternates Python work (mapping objects to rows, rows to DBAPI tuples) with
database work. On PostgreSQL the server ingests a ``COPY`` in its own process while asyncpg
awaits the end of it, so the next batch can be encoded meanwhile on the other core. (On SQLite
the insert binds every row under the GIL in aiosqlite's thread: an encoding thread would hold
it against that thread, so SQLite keeps the plain loop.)

One statement is in flight at a time, in batch order, so the connection is never used
concurrently and the writes are the same statements in the same order as a plain loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from anyio import to_thread

B = TypeVar("B")
V = TypeVar("V")


async def pipelined(
    batches: Iterable[B], encode: Callable[[B], V], write: Callable[[V], Awaitable[None]]
) -> None:
    """``write(encode(batch))`` for each batch in order; ``encode`` of batch k+1 runs in a
    worker thread while the write of batch k is awaited. ``encode`` must not touch the
    connection. A failure is raised once nothing is running any more (a transaction is never
    rolled back under a running statement or encode)."""
    remaining = iter(batches)
    for first in remaining:  # at most once: the inner loop takes every other batch
        values = encode(first)
        for batch in remaining:
            encoding = asyncio.ensure_future(to_thread.run_sync(encode, batch))
            try:
                await write(values)
            except BaseException:
                await asyncio.gather(encoding, return_exceptions=True)
                raise
            values = await encoding
        await write(values)
