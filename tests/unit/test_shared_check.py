"""SharedCheck: one in-flight probe for concurrent callers; a good answer reused ≤ max_age."""

from __future__ import annotations

import asyncio

import pytest

from dab.platform.shared_check import SharedCheck

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Probe:
    """A probe whose answer the test sets, and which can be held open to overlap callers."""

    def __init__(self) -> None:
        self.answer = "ok"
        self.gate: asyncio.Event | None = None
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        return self.answer


def make(probe: Probe, clock: Clock) -> SharedCheck[str]:
    return SharedCheck(probe, healthy=lambda answer: answer == "ok", max_age=1.0, clock=clock)


async def test_concurrent_callers_share_one_probe() -> None:
    probe, clock = Probe(), Clock()
    check = make(probe, clock)
    probe.gate = asyncio.Event()
    waiters = [asyncio.create_task(check.get()) for _ in range(50)]
    await asyncio.sleep(0)
    probe.gate.set()
    assert await asyncio.gather(*waiters) == ["ok"] * 50
    assert probe.calls == 1


async def test_a_good_answer_is_reused_for_at_most_max_age() -> None:
    probe, clock = Probe(), Clock()
    check = make(probe, clock)
    assert await check.get() == "ok"
    probe.answer = "down"
    clock.now += 0.99
    assert await check.get() == "ok"  # still within the second
    clock.now += 0.02
    assert await check.get() == "down"  # the failure shows once the second is over
    assert probe.calls == 2


async def test_a_failure_is_never_reused() -> None:
    probe, clock = Probe(), Clock()
    check = make(probe, clock)
    probe.answer = "down"
    assert await check.get() == "down"
    probe.answer = "ok"
    assert await check.get() == "ok"  # recovery shows at once, same instant
    assert probe.calls == 2


async def test_invalidate_forgets_the_good_answer() -> None:
    probe, clock = Probe(), Clock()
    check = make(probe, clock)
    await check.get()
    probe.answer = "down"
    check.invalidate()
    assert await check.get() == "down"


async def test_a_caller_cancelled_does_not_cancel_the_shared_probe() -> None:
    probe, clock = Probe(), Clock()
    check = make(probe, clock)
    probe.gate = asyncio.Event()
    first = asyncio.create_task(check.get())
    second = asyncio.create_task(check.get())
    await asyncio.sleep(0)
    first.cancel()
    probe.gate.set()
    assert await second == "ok"
    with pytest.raises(asyncio.CancelledError):
        await first
    assert probe.calls == 1


async def test_a_probe_that_raises_reaches_every_waiter_and_is_retried() -> None:
    clock = Clock()
    calls = 0

    async def broken() -> str:
        nonlocal calls
        calls += 1
        raise RuntimeError("boom")

    check: SharedCheck[str] = SharedCheck(broken, healthy=lambda a: a == "ok", clock=clock)
    results = await asyncio.gather(check.get(), check.get(), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    with pytest.raises(RuntimeError):
        await check.get()
    assert calls == 2
