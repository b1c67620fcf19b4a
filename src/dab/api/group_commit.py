"""Group commit: concurrent writes of one kind coalesced into one transaction.

Each request puts its item on a queue drained by one task per process. The task takes every
item waiting (up to ``max_batch``), runs them in one transaction through ``work`` (which returns
one outcome per item, a ``DabError`` for an item that is invalid on its own), and answers each
request only after that transaction has committed. While a transaction runs the next batch
collects, so the batch size follows the load: one item when idle (no added wait), dozens under
load (one commit, one lock hand-off and one cache generation bump for all of them).
Durability is the engine's own: each answer still follows its commit.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Generic, TypeVar

from sqlalchemy.exc import IntegrityError

from dab.errors import DabError
from dab.platform.logging import get_logger

Item = TypeVar("Item")
Out = TypeVar("Out")
Tx = TypeVar("Tx")

Work = Callable[[Tx, Sequence[Item]], Awaitable[list[Out | DabError]]]
log = get_logger("dab.group_commit")
YIELDS = 8
"""Event-loop turns the writer lets pass before taking a batch: requests whose bytes have arrived
get parsed and queued first (under wrk -c16 on SQLite: ~11 links per batch instead of ~7, and
0.49 instead of 0.69 ms of CPU per write). When idle this costs microseconds, not a timer."""


class GroupCommit(Generic[Tx, Item, Out]):
    def __init__(
        self,
        begin: Callable[[], AbstractAsyncContextManager[Tx]],
        work: Work[Tx, Item, Out],
        *,
        on_commit: Callable[[], Awaitable[None]],
        max_batch: int = 256,
    ) -> None:
        self.begin = begin  # one transaction: committed on exit, rolled back on an error
        self._work = work
        self._on_commit = on_commit  # the cache bump: once per batch, before anyone is answered
        self._max = max_batch
        self._queue: deque[tuple[Item, asyncio.Future[Any]]] = deque()
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._busy = False
        self.batches = 0  # committed or failed transactions, for tests and the benchmark

    async def submit(self, item: Item) -> Out:
        """The item's outcome once the transaction holding it has committed; its DabError raised."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        self._running().set()
        outcome = await future
        if isinstance(outcome, DabError):
            raise outcome
        result: Out = outcome
        return result

    def _running(self) -> asyncio.Event:
        if self._task is None or self._task.done() or self._wake is None:
            self._wake = asyncio.Event()
            self._task = asyncio.create_task(self._drain(self._wake), name="group-commit")
        return self._wake

    async def _drain(self, wake: asyncio.Event) -> None:
        while True:
            await wake.wait()
            wake.clear()
            while self._queue:
                for _ in range(YIELDS):
                    await asyncio.sleep(0)
                batch = [self._queue.popleft() for _ in range(min(len(self._queue), self._max))]
                self._busy = True
                try:
                    await self._run(batch)
                except asyncio.CancelledError:  # shut down mid-batch: nobody may wait forever
                    _settle([*batch, *self._queue], ConnectionAbortedError("the server is shutting down"))
                    self._queue.clear()
                    raise
                finally:
                    self._busy = False

    async def _run(self, batch: list[tuple[Item, asyncio.Future[Any]]]) -> None:
        self.batches += 1
        try:
            async with self.begin() as transaction:
                outcomes = await self._work(transaction, [item for item, _ in batch])
        except IntegrityError as exc:
            if len(batch) == 1:
                _settle(batch, exc)
                return
            # A row changed under the batch (a tag deleted after it was checked): one by one,
            # so only the request it concerns fails.
            log.info("group_commit_split", items=len(batch), error=type(exc).__name__)
            for one in batch:
                await self._run([one])
            return
        except Exception as exc:  # the database failed: every request of the batch sees it
            _settle(batch, exc)
            return
        if any(not isinstance(outcome, DabError) for outcome in outcomes):
            try:
                await self._on_commit()
            except Exception as exc:  # the batch has committed: answer it anyway
                # The database's generation rows moved in the transaction, so the cache cannot
                # serve the old answer for long; an unanswered request would wait forever.
                log.warning("group_commit_on_commit_failed", error=type(exc).__name__)
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if not future.done():  # a client gone meanwhile: its change stands, unanswered
                future.set_result(outcome)

    async def close(self) -> None:
        """Answer what is queued, then stop the task (the app's shutdown)."""
        while (self._queue or self._busy) and self._task is not None and not self._task.done():
            await asyncio.sleep(0.01)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None


def _settle(batch: list[tuple[Any, asyncio.Future[Any]]], exc: BaseException) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(exc)
