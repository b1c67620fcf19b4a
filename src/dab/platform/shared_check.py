"""One in-flight probe shared by every concurrent caller, and a good answer reused briefly.

Health and readiness used to open a database connection per request: at thousands of requests a
second the probe became the load, and during an ingestion every probe queued behind it. Here
concurrent callers await the same probe, and a *healthy* answer is reused for at most
``max_age`` seconds (counted from when the probe started, so a cached OK can never hide a
failure longer than that). A failed answer is never reused: the next caller probes again, so
recovery shows at once and failure shows within ``max_age``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class SharedCheck(Generic[T]):
    def __init__(
        self,
        probe: Callable[[], Awaitable[T]],
        *,
        healthy: Callable[[T], bool],
        max_age: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._probe = probe
        self._healthy = healthy
        self._max_age = max_age
        self._clock = clock
        self._good: tuple[float, T] | None = None  # (probe start, answer)
        self._inflight: asyncio.Future[T] | None = None
        self.probes = 0  # how many probes ran (for tests and metrics)

    async def get(self) -> T:
        now = self._clock()
        if self._good is not None and now - self._good[0] < self._max_age:
            return self._good[1]
        inflight = self._inflight
        if inflight is None or inflight.get_loop() is not asyncio.get_running_loop():
            inflight = self._inflight = asyncio.ensure_future(self._run(now))
        # A caller that goes away (client disconnect) must not cancel the probe the others await.
        return await asyncio.shield(inflight)

    def invalidate(self) -> None:
        """Forget the cached good answer (an outage was seen elsewhere): the next caller probes."""
        self._good = None

    async def _run(self, started: float) -> T:
        try:
            self.probes += 1
            answer = await self._probe()
            self._good = (started, answer) if self._healthy(answer) else None
            return answer
        finally:
            self._inflight = None
