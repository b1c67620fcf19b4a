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

from collections.abc import Awaitable, Callable

import anyio

from dab.columnlineage.graph import PARALLEL_MIN_MODELS, Packed, Task, derive_tasks, worker_count
from dab.columnlineage.sql import TreeHook
from dab.platform.child_process import ChildProcess

CHUNKS_PER_LANE = 8
"""More, smaller chunks even out lanes of unequal speed (a busy core); each costs one round trip."""

_helpers: list[ChildProcess] = []


def _ready() -> None:
    """The helpers' initializer: unpickling it imports this module, hence sqlglot, at start-up."""


def _helpers_for(count: int) -> list[ChildProcess]:
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
    for helper in _helpers_for(lanes_for(workers, tasks, parallel_min) - 1):
        helper.start()


async def derive_spread(
    tasks: list[Task], workers: int, parallel_min: int = PARALLEL_MIN_MODELS, on_tree: TreeHook | None = None
) -> list[Packed]:
    """Each task's lineage, in order; over ``worker_count(workers)`` processes for big plans.
    ``on_tree`` (module-level, so that helpers can unpickle it) sees each parsed tree."""
    lanes = lanes_for(workers, len(tasks), parallel_min)
    if lanes <= 1:
        return await anyio.to_thread.run_sync(derive_tasks, tasks, on_tree)
    size = max(1, -(-len(tasks) // (lanes * CHUNKS_PER_LANE)))
    chunks = [tasks[i : i + size] for i in range(0, len(tasks), size)]
    results: list[list[Packed]] = [[] for _ in chunks]
    pending = iter(range(len(chunks)))  # shared by the lanes: one event loop, no race

    async def lane(run: Callable[[list[Task]], Awaitable[list[Packed]]]) -> None:
        for i in pending:
            results[i] = await run(chunks[i])

    async def here(chunk: list[Task]) -> list[Packed]:
        return await anyio.to_thread.run_sync(derive_tasks, chunk, on_tree)

    def there(helper: ChildProcess) -> Callable[[list[Task]], Awaitable[list[Packed]]]:
        async def run(chunk: list[Task]) -> list[Packed]:
            packed: list[Packed] = await helper.run(derive_tasks, chunk, on_tree)
            return packed

        return run

    try:
        async with anyio.create_task_group() as group:
            for helper in _helpers_for(lanes - 1):
                group.start_soon(lane, there(helper))
            group.start_soon(lane, here)
    except BaseExceptionGroup as failed:  # a lane's error, as one process would have raised it
        raise failed.exceptions[0] from None
    return [packed for chunk in results for packed in chunk]
