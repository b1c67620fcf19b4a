"""The database generation behind the read cache: one read for many callers, never a stale answer
to a caller whose own process wrote (or expired the cache) after that read began."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from dab.platform import cache as cache_module
from dab.platform.cache import DatabaseGeneration

pytestmark = pytest.mark.anyio


class _Store:
    """A token a test changes, read through a gate the test opens."""

    def __init__(self) -> None:
        self.token = "t1"
        self.reads = 0
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail = False

    async def read(self) -> str | None:
        self.reads += 1
        token = self.token  # what the database holds when the statement runs
        await self.gate.wait()
        if self.fail:
            raise ConnectionError("database down")
        return token


async def _reads_started(store: _Store, count: int) -> None:
    while store.reads < count:
        await asyncio.sleep(0)


async def test_concurrent_callers_share_one_read() -> None:
    store = _Store()
    generation = DatabaseGeneration(store.read)
    store.gate.clear()
    callers = [asyncio.create_task(generation.current()) for _ in range(50)]
    await asyncio.sleep(0)
    store.gate.set()
    assert await asyncio.gather(*callers) == ["t1"] * 50
    assert store.reads == 1


async def test_token_reused_within_the_interval_and_reread_after_it() -> None:
    store = _Store()
    generation = DatabaseGeneration(store.read, interval=0.05)
    assert await generation.current() == "t1"
    store.token = "t2"
    assert await generation.current() == "t1"  # within the documented bound
    await asyncio.sleep(0.06)
    assert await generation.current() == "t2"
    assert store.reads == 2


async def _read_around(
    store: _Store, generation: DatabaseGeneration, meanwhile: Callable[[], None]
) -> tuple[str | None, str | None]:
    """A read held open while ``meanwhile`` changes things, then a second caller: both answers."""
    store.gate.clear()
    early = asyncio.create_task(generation.current())
    await _reads_started(store, 1)
    store.token = "t2"
    meanwhile()
    late = asyncio.create_task(generation.current())
    await asyncio.sleep(0)
    store.gate.set()
    return await early, await late


async def test_a_local_commit_during_a_read_gets_its_own_read() -> None:
    commits = [0]
    store = _Store()
    generation = DatabaseGeneration(store.read, local_commits=lambda: commits[0])
    # This process committed a write while the first read ran.
    assert await _read_around(store, generation, lambda: commits.__setitem__(0, 1)) == ("t1", "t2")
    assert await generation.current() == "t2"
    assert store.reads == 2


async def test_expire_during_a_read_is_not_answered_by_that_read() -> None:
    store = _Store()
    generation = DatabaseGeneration(store.read)
    # e.g. ``dab cache clear`` through the API while the first read ran
    assert await _read_around(store, generation, generation.expire) == ("t1", "t2")


class _Log:
    def __init__(self) -> None:
        self.warnings: list[str] = []

    def warning(self, event: str, **_fields: object) -> None:
        self.warnings.append(event)


async def test_a_failed_read_gives_no_generation_and_is_retried_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A stand-in logger: the process-wide one may still point at an earlier test's captured output.
    log = _Log()
    monkeypatch.setattr(cache_module, "log", log)
    store = _Store()
    generation = DatabaseGeneration(store.read)
    store.fail = True
    assert await generation.current() is None
    assert log.warnings == ["cache_generation_unreadable"]
    store.fail = False
    assert await generation.current() == "t1"
    assert store.reads == 2


async def test_a_cancelled_caller_does_not_cancel_the_shared_read() -> None:
    store = _Store()
    generation = DatabaseGeneration(store.read)
    store.gate.clear()
    first = asyncio.create_task(generation.current())
    second = asyncio.create_task(generation.current())
    await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    store.gate.set()
    assert await second == "t1"
    assert store.reads == 1
