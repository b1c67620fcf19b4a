"""Column lineage of a big plan spread over processes: this one plus spawned helpers.

sqlglot is pure CPU under the GIL, so threads cannot share it out. The plan's tasks are cut
into contiguous chunks; every lane (a worker thread here, and one ``ChildProcess`` per further
core) takes the next chunk until none is left, and the results are put back in task order, so
the edges equal an in-process derivation's. Cancelling the caller (a shutdown, a cancelled
request) kills the helpers that are mid-chunk; a helper whose parent dies stops by itself
(``ChildProcess``), so the server's ingestion child being killed leaves nothing running. The
helpers stay up between ingestions, so only the first big one pays their start-up (~1 s).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio

from dab.columnlineage.graph import PARALLEL_MIN_MODELS, Packed, Task, derive_tasks, worker_count
from dab.columnlineage.sql import TreeHook
from dab.platform.child_process import ChildProcess

CHUNKS_PER_LANE = 8
"""More, smaller chunks even out lanes of unequal speed (a busy core); each costs one round trip."""
TAIL_SPLIT = 4
"""The last ``lanes`` chunks' worth of tasks go in chunks this many times smaller: the lanes
then finish close together, and the chunk whose edges are inserted last is small (both are on
the ingestion's critical path, see docs/PERFORMANCE.md)."""


def chunk_bounds(count: int, lanes: int) -> list[int]:
    """Where each chunk of ``count`` tasks starts, then ``count``: one chunk for one lane."""
    if lanes <= 1 or count == 0:
        return [0, count]
    size = -(-count // (lanes * CHUNKS_PER_LANE))
    tail = max(0, count - lanes * size) // size * size  # the big chunks end here
    small = max(1, size // TAIL_SPLIT)
    return [*range(0, tail, size), *range(tail, count, small), count]


_helpers: list[ChildProcess] = []


def _ready() -> None:
    """The helpers' initializer: unpickling it imports this module, hence sqlglot, at start-up."""


def helpers_for(count: int) -> list[ChildProcess]:
    """The first ``count`` helper processes of this process, created on first use."""
    while len(_helpers) < count:
        _helpers.append(ChildProcess(_ready, name="dab-lineage-worker"))
    return _helpers[:count]


def lanes_for(workers: int, tasks: int, parallel_min: int = PARALLEL_MIN_MODELS) -> int:
    """Processes (this one included) that derive ``tasks`` models for the setting ``workers``."""
    return 1 if tasks < parallel_min else max(1, worker_count(workers))


def start_helpers(workers: int, tasks: int, parallel_min: int = PARALLEL_MIN_MODELS) -> None:
    """Start the helpers a derivation of ``tasks`` models will use, so that their imports run
    while this process prepares the plan."""
    for helper in helpers_for(lanes_for(workers, tasks, parallel_min) - 1):
        helper.start()


OnChunk = Callable[[int, list[Packed]], Awaitable[None]]
"""Takes a finished chunk: the index of its first task and its results."""


@dataclass
class _Here:
    """When this process joins (``after``) and what it does with finished chunks (``on_chunk``)."""

    after: anyio.Event | None = None
    on_chunk: OnChunk | None = None


class _Spread:
    """One derivation's chunks, shared by its lanes (one event loop: no race)."""

    def __init__(self, tasks: list[Task], lanes: int, on_tree: TreeHook | None = None) -> None:
        self.tasks = tasks
        self.on_tree = on_tree
        self.bounds = chunk_bounds(len(tasks), lanes)
        self.starts = self.bounds[:-1]
        self.results: list[list[Packed]] = [[] for _ in self.starts]
        self.pending = iter(range(len(self.starts)))
        self.send, self.finished = anyio.create_memory_object_stream[int](len(self.starts))

    def chunk(self, i: int) -> list[Task]:
        return self.tasks[self.bounds[i] : self.bounds[i + 1]]

    async def there(self, helper: ChildProcess) -> None:
        for i in self.pending:
            self.results[i] = await helper.run(derive_tasks, self.chunk(i), self.on_tree)
            self.send.send_nowait(i)

    async def _next(self) -> int:
        """A chunk finished elsewhere if any; else one derived here; else the next to finish."""
        try:
            return self.finished.receive_nowait()
        except anyio.WouldBlock:
            pass
        mine = next(self.pending, None)
        if mine is None:
            return await self.finished.receive()
        self.results[mine] = await anyio.to_thread.run_sync(derive_tasks, self.chunk(mine), self.on_tree)
        return mine

    async def here(self, options: _Here) -> None:
        if options.after is not None:
            await options.after.wait()
        for _ in self.starts:
            i = await self._next()
            if options.on_chunk is not None:
                await options.on_chunk(self.starts[i], self.results[i])


async def derive_spread(
    tasks: list[Task],
    workers: int,
    parallel_min: int = PARALLEL_MIN_MODELS,
    *,
    here: _Here | None = None,
    on_tree: TreeHook | None = None,
) -> list[Packed]:
    """Each task's lineage, in order; over ``worker_count(workers)`` processes for big plans.

    ``on_tree`` (module-level, so that helpers can unpickle it) sees each parsed tree; what it
    returns is the fifth item of the task's result. With ``here.after`` this process takes
    chunks only once the event is set (it is busy with other work meanwhile); the helpers start
    at once. With ``here.on_chunk`` every finished chunk is handed to it in this process, which
    prefers that to deriving a further chunk.
    """
    lanes = lanes_for(workers, len(tasks), parallel_min)
    spread = _Spread(tasks, lanes, on_tree)
    try:
        async with anyio.create_task_group() as group:
            for helper in helpers_for(lanes - 1):
                group.start_soon(spread.there, helper)
            group.start_soon(spread.here, here or _Here())
    except BaseExceptionGroup as failed:  # a lane's error, as one process would have raised it
        raise failed.exceptions[0] from None
    return [packed for part in spread.results for packed in part]


Join = Callable[[OnChunk | None], Awaitable[list[Packed]]]


@asynccontextmanager
async def derivation_alongside(
    tasks: list[Task], workers: int, parallel_min: int = PARALLEL_MIN_MODELS, on_tree: TreeHook | None = None
) -> AsyncIterator[Join]:
    """Derive ``tasks`` in the helpers while the body does other work (the ingestion's write).

    The body awaits the yielded ``join`` when it is free: this process then takes the finished
    chunks (to ``on_chunk``) and derives those still left, and the call returns every task's
    result, in order. Leaving the body without joining (an error, a cancellation) cancels the
    derivation, which kills busy helpers.
    """
    here = _Here(anyio.Event())
    done = anyio.Event()
    results: list[list[Packed]] = []

    async def run() -> None:
        results.append(await derive_spread(tasks, workers, parallel_min, here=here, on_tree=on_tree))
        done.set()

    async def join(on_chunk: OnChunk | None = None) -> list[Packed]:
        here.on_chunk = on_chunk
        assert here.after is not None
        here.after.set()
        await done.wait()
        return results[0]

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(run)
            try:
                yield join
            except BaseException:
                group.cancel_scope.cancel()
                raise
            await join(None)  # a body that did not join still waits for a complete result
    except BaseExceptionGroup as failed:  # the body's or the derivation's error, as raised
        raise failed.exceptions[0] from None
