"""Column lineage spread over processes: same results in the same order as in one process; a
cancelled derivation kills the helpers that are mid-chunk; helpers die with their parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

import anyio
import orjson
import pytest

from dab.columnlineage.graph import Task, derive_tasks, plan_lineage, worker_count
from dab.ingest.dbt import parse_dbt
from dab.services import lineage_workers
from dab.services.lineage_workers import CHUNKS_PER_LANE, chunk_bounds, derive_spread, lanes_for

V12 = Path(__file__).parents[2] / "fixtures" / "dbt" / "v12"


@pytest.fixture(scope="module")
def tasks() -> list[Task]:
    docs = {k: orjson.loads((V12 / f"{k}.json").read_bytes()) for k in ("manifest", "catalog")}
    return plan_lineage(parse_dbt(docs["manifest"], docs["catalog"])).tasks


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child stays a zombie until reaped; /proc says which.
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().split(") ", 1)[1][0] != "Z"


def _wait_dead(pid: int, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False


def test_lanes_follow_the_setting_and_the_plan_size() -> None:
    assert lanes_for(3, 10, parallel_min=400) == 1  # a small plan stays in this process
    assert lanes_for(3, 400, parallel_min=400) == 3
    assert lanes_for(1, 10_000) == 1
    assert lanes_for(0, 10_000) == worker_count(0) >= 1


@pytest.mark.parametrize(
    ("count", "lanes"), [(0, 1), (0, 2), (1, 2), (7, 3), (400, 2), (10_000, 1), (10_000, 2)]
)
def test_chunks_cover_every_task_once_and_the_last_ones_are_smaller(count: int, lanes: int) -> None:
    bounds = chunk_bounds(count, lanes)
    assert bounds[0] == 0 and bounds[-1] == count
    sizes = [end - start for start, end in pairwise(bounds)]
    assert all(size > 0 for size in sizes) or count == 0
    if lanes == 1:
        assert sizes == [count]
    if count >= 400 and lanes > 1:
        big = -(-count // (lanes * CHUNKS_PER_LANE))
        # The lanes' last chunks are a quarter of the others, over the last lanes' worth of tasks.
        assert sizes[0] == big and max(sizes[-lanes * 2 :]) <= big // 4
        assert sum(s for s in sizes if s < big) == lanes * big


def test_spread_gives_the_same_results_in_task_order(tasks: list[Task]) -> None:
    many = tasks * 7  # chunks that split models of one project across lanes
    expected = derive_tasks(many)
    assert anyio.run(derive_spread, many, 3, 1) == expected
    assert anyio.run(derive_spread, many, 1, 1) == expected
    assert len(expected) == len(many) and any(packed[1] for packed in expected)


def test_an_error_in_a_lane_is_raised_as_in_one_process(tasks: list[Task]) -> None:
    broken: list[Task] = [(sql, None, dialect, masking) for sql, _, dialect, masking in tasks]  # type: ignore[misc]
    with pytest.raises(Exception) as alone:
        derive_tasks(broken)
    with pytest.raises(type(alone.value)):  # not wrapped in an ExceptionGroup
        anyio.run(derive_spread, broken * 4, 2, 1)


def test_cancelling_kills_the_helpers_that_are_mid_chunk(tasks: list[Task]) -> None:
    many = tasks * 2_000  # long enough that the helper is still in its first chunk when cancelled
    busy_pids: list[int] = []

    async def cancel_when_a_helper_runs() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(derive_spread, many, 2, 1)
            with anyio.fail_after(120):
                while not any(h.busy and h.pid for h in lineage_workers._helpers):
                    await anyio.sleep(0.05)
            busy_pids.extend(h.pid for h in lineage_workers._helpers if h.busy and h.pid)
            group.cancel_scope.cancel()

    anyio.run(cancel_when_a_helper_runs)
    assert busy_pids
    assert all(_wait_dead(pid) for pid in busy_pids)
    # The next derivation starts a new helper.
    assert anyio.run(derive_spread, tasks * 3, 2, 1) == derive_tasks(tasks * 3)


_ORPHAN = """
import sys, time
from dab.services import lineage_workers
lineage_workers.start_helpers(2, 1_000, parallel_min=1)
print(lineage_workers._helpers[0].pid, flush=True)
time.sleep(600)
"""


def test_helpers_stop_when_their_parent_is_killed() -> None:
    # The server kills its ingestion child with SIGKILL on shutdown: its helpers must not linger.
    parent = subprocess.Popen([sys.executable, "-c", _ORPHAN], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        helper = int(parent.stdout.readline())
        assert _alive(helper)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait(30)
    assert _wait_dead(helper)


def test_alongside_the_helpers_start_first_and_the_join_takes_every_chunk(tasks: list[Task]) -> None:
    many = tasks * 40

    async def write_then_join() -> tuple[list[Any], bool]:
        async with lineage_workers.derivation_alongside(many, 2, 1) as join:
            with anyio.fail_after(120):  # this process is "writing": only the helper derives
                while not any(h.busy for h in lineage_workers._helpers):
                    await anyio.sleep(0.01)
            return await join(take), True

    taken: dict[int, list[Any]] = {}

    async def take(start: int, results: list[Any]) -> None:
        assert start not in taken  # each chunk once
        taken[start] = results

    results, joined = anyio.run(write_then_join)
    assert joined and results == derive_tasks(many)
    # Every finished chunk went through this process, whichever lane derived it.
    assert len(taken) > 2 and [p for start in sorted(taken) for p in taken[start]] == results


def test_leaving_the_write_early_kills_the_busy_helpers(tasks: list[Task]) -> None:
    many = tasks * 2_000
    busy_pids: list[int] = []

    async def write_fails() -> None:
        async with lineage_workers.derivation_alongside(many, 2, 1):
            with anyio.fail_after(120):
                while not any(h.busy and h.pid for h in lineage_workers._helpers):
                    await anyio.sleep(0.05)
            busy_pids.extend(h.pid for h in lineage_workers._helpers if h.busy and h.pid)
            raise LookupError("the write failed")

    with pytest.raises(LookupError, match="the write failed"):  # as raised, not in a group
        anyio.run(write_fails)
    assert busy_pids
    assert all(_wait_dead(pid) for pid in busy_pids)
