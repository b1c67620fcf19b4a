"""Column lineage derived from the start of a job, while this process parses and writes.

The helper's derivation is the ingestion's critical path (docs/PERFORMANCE.md, "Column
lineage"): started only after the parse and the plan, it left the second core idle for their
seconds. Here each helper reads the job's stored artifacts itself (``lineage_early_tasks``) as
soon as the job starts and derives their models, batch by batch, driven by a thread of this
process (a thread, not a task: the server parses and writes a job under two event loops).
When the plan is known the helpers go on in its order; at the join this process keeps each
result whose task digest equals its own task's, derives the rest itself from the plan's end,
and hands the results on in contiguous runs of the plan, as ``derivation_alongside`` does.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress

import anyio

from dab.columnlineage.graph import LineagePlan, Packed, derive_tasks, task_digest, worker_count
from dab.columnlineage.sql import TreeHook
from dab.platform.child_process import ChildProcess
from dab.platform.logging import get_logger
from dab.services.column_lineage import LineageOptions
from dab.services.lineage_early_tasks import Derived, derive_held, drop_held, hold_tasks
from dab.services.lineage_workers import Join, OnChunk, helpers_for

BATCH = 400
"""Models per helper call: a round trip costs ~1 ms, a batch ~0.5 s of derivation."""
LOCAL_BATCH = 100
"""Models this process derives at a time at the join, between taking the helpers' results."""
log = get_logger("dab.ingest")


class EarlyLineage:
    """One job's early derivation: a driver thread per helper, and what they derived."""

    def __init__(self, job_id: str, helpers: list[ChildProcess]) -> None:
        self.job_id = job_id
        self.helpers = helpers
        self.changed = threading.Condition()  # guards everything below
        self.order: list[str] = []
        """Unique ids still to derive, in the order to derive them (the manifest's, then the plan's)."""
        self.adopted = False
        self.claimed: set[str] = set()
        self.done: dict[str, tuple[str, Packed]] = {}
        self.facts: bool | None = None
        self.reading = len(helpers)
        self.busy = 0
        self.stopped = False

    def start(self, artifacts: Mapping[str, bytes], masking: tuple[str, ...], max_bytes: int) -> None:
        for helper in self.helpers:
            args = (helper, artifacts, masking, max_bytes)
            threading.Thread(target=self._drive, args=args, name="dab-early-lineage", daemon=True).start()

    def _drive(
        self, helper: ChildProcess, artifacts: Mapping[str, bytes], masking: tuple[str, ...], max_bytes: int
    ) -> None:
        reading = True
        try:
            uids, facts = helper.call(hold_tasks, self.job_id, artifacts, masking, max_bytes)
            with self.changed:
                reading, self.reading = False, self.reading - 1
                self.facts = facts  # the same for every helper: one function of the manifest
                if not self.adopted and not self.order:
                    self.order = uids
                self.changed.notify_all()
            while (batch := self._next()) is not None:
                derived: list[Derived] = []
                try:
                    derived = helper.call(derive_held, self.job_id, batch)
                finally:
                    self._finished(derived)
            helper.call(drop_held, self.job_id)
        except Exception as exc:  # a dead or killed helper: this process derives what is left
            if not self.stopped:
                log.warning("early_lineage_stopped", job_id=self.job_id, error=type(exc).__name__)
            with self.changed:
                self.reading -= reading
                self.changed.notify_all()

    def _next(self) -> list[str] | None:
        """The next unclaimed batch from the front of the order (claimed), or None when done."""
        with self.changed:
            free = [uid for uid in self.order if uid not in self.claimed]
            if self.stopped or not free:
                return None
            size = max(LOCAL_BATCH // 2, min(BATCH, len(free) // (2 * len(self.helpers) + 2)))
            batch = free[:size]
            self.claimed.update(batch)
            self.busy += 1
            return batch

    def _finished(self, derived: list[Derived]) -> None:
        with self.changed:
            self.busy -= 1
            self.done.update((uid, (digest, packed)) for uid, digest, packed in derived)
            self.changed.notify_all()

    def adopt(self, uids: list[str]) -> None:
        """From now on the helpers derive these (the plan's models), in this order."""
        with self.changed:
            self.adopted = True
            self.order = [uid for uid in uids if uid not in self.claimed]

    def claim_tail(self, count: int) -> list[str]:
        """Up to ``count`` unclaimed ids from the end of the order, for this process to derive."""
        with self.changed:
            free = [uid for uid in reversed(self.order) if uid not in self.claimed][:count]
            self.claimed.update(free)
            return free

    def take_done(self) -> dict[str, tuple[str, Packed]]:
        with self.changed:
            done, self.done = self.done, {}
            return done

    def wait(self) -> bool:
        """Until a helper finishes a batch or its reading; False once no helper can (all idle)."""
        with self.changed:
            if self.done:
                return True
            if not self.busy and not self.reading:
                return False
            self.changed.wait(0.5)
            return True

    def stop(self, kill: bool = False) -> None:
        """No further batches; with ``kill`` the helpers mid-call are killed (an abandoned job)."""
        with self.changed:
            self.stopped = True
            self.changed.notify_all()
        if kill:
            for helper in self.helpers:
                if helper.busy:
                    helper.kill()


_running: dict[str, EarlyLineage] = {}
KEEP = 2
"""Early derivations kept for jobs parsed but not written yet (a request that went away)."""


def begin_early(
    job_id: str, artifacts: Mapping[str, bytes], options: LineageOptions | None, max_bytes: int
) -> None:
    """Start the job's early derivation when it is big enough to be spread over processes."""
    options = options or LineageOptions()
    helpers = worker_count(options.workers) - 1
    if helpers < 1 or len(artifacts.get("manifest", b"")) < options.early_min_bytes:
        return
    while len(_running) >= KEEP:
        drop_early(next(iter(_running)))
    early = EarlyLineage(job_id, helpers_for(helpers))
    _running[job_id] = early
    early.start(artifacts, options.masking_functions, max_bytes)


def take_early(job_id: str) -> EarlyLineage | None:
    return _running.pop(job_id, None)


def drop_early(job_id: str) -> None:
    """The job will not be written (or was written without it): its helpers stop now."""
    early = _running.pop(job_id, None)
    if early is not None:
        early.stop(kill=True)


class _Join:
    """The join's side in this process: the plan's results, filled from both ends."""

    def __init__(self, early: EarlyLineage, plan: LineagePlan, on_tree: TreeHook | None) -> None:
        self.early, self.plan, self.on_tree = early, plan, on_tree
        self.results: list[Packed | None] = [None] * len(plan.tasks)
        self.where: dict[str, int] = {}
        for i, model in enumerate(plan.models):
            if model.unique_id is not None:
                self.where.setdefault(model.unique_id, i)
        self.matched = 0

    def keep(self, done: dict[str, tuple[str, Packed]]) -> list[int]:
        """The indexes filled by results whose task equals the plan's (the others stay empty)."""
        if self.early.facts != (self.on_tree is not None):
            return []  # their facts would differ from this process's: derive here instead
        filled = []
        for uid, (digest, packed) in done.items():
            i = self.where.get(uid)
            if i is not None and self.results[i] is None and task_digest(self.plan.tasks[i]) == digest:
                self.results[i] = packed
                filled.append(i)
        self.matched += len(filled)
        return filled

    def derive(self, indexes: list[int]) -> list[int]:
        results = derive_tasks([self.plan.tasks[i] for i in indexes], self.on_tree)
        for i, packed in zip(indexes, results, strict=True):
            self.results[i] = packed
        return indexes

    def local_batch(self) -> list[int]:
        """The next indexes this process derives: the order's tail, then whatever is left."""
        claimed = self.early.claim_tail(LOCAL_BATCH)
        if claimed:
            return [self.where[uid] for uid in claimed if uid in self.where]
        if self.early.wait():
            return []
        return [i for i, r in enumerate(self.results) if r is None][:LOCAL_BATCH]

    async def hand_on(self, indexes: list[int], on_chunk: OnChunk | None) -> None:
        if on_chunk is None:
            return
        for start, end in _runs(indexes):
            await on_chunk(start, [r for r in self.results[start:end] if r is not None])

    async def run(self, on_chunk: OnChunk | None) -> list[Packed]:
        while None in self.results:
            await self.hand_on(self.keep(self.early.take_done()), on_chunk)
            batch = await anyio.to_thread.run_sync(self.local_batch)
            if batch:
                await self.hand_on(await anyio.to_thread.run_sync(self.derive, batch), on_chunk)
        return [r for r in self.results if r is not None]


def _runs(indexes: list[int]) -> list[tuple[int, int]]:
    """Sorted ``indexes`` as (start, end) runs of consecutive ones."""
    out: list[tuple[int, int]] = []
    for i in sorted(indexes):
        if out and out[-1][1] == i:
            out[-1] = (out[-1][0], i + 1)
        else:
            out.append((i, i + 1))
    return out


@asynccontextmanager
async def early_alongside(
    early: EarlyLineage, plan: LineagePlan, on_tree: TreeHook | None
) -> AsyncIterator[Join]:
    """``derivation_alongside`` for a job whose helpers began deriving at its start: the body
    writes meanwhile, then awaits ``join``, which returns every task's result, in plan order."""
    join_side = _Join(early, plan, on_tree)
    early.adopt([m.unique_id for m in plan.models if m.unique_id is not None])
    joined: list[list[Packed]] = []

    async def join(on_chunk: OnChunk | None = None) -> list[Packed]:
        joined.append(await join_side.run(on_chunk))
        return joined[-1]

    try:
        yield join
        if not joined:
            await join(None)
    except BaseException:
        early.stop(kill=True)
        raise
    early.stop()
    with suppress(Exception):
        log.info("early_lineage_joined", models=len(plan.tasks), from_helpers=join_side.matched)
