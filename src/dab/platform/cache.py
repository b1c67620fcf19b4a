"""Read cache keyed by a write generation (DESIGN.md §6).

Every write bumps the generation; every cached read embeds it in its key, so a write can
never leave a stale read behind and no key scan is needed. Redis failures degrade to a miss.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import OrderedDict
from pathlib import Path
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from dab.platform.logging import get_logger
from dab.platform.metrics import CACHE_HITS, CACHE_MISSES

PREFIX = "dab:"
GENERATION_KEY = f"{PREFIX}generation"
log = get_logger("dab.cache")


class Cache(Protocol):
    backend: str

    async def get(self, key: str) -> bytes | None: ...
    async def set(self, key: str, value: bytes) -> None: ...
    async def bump(self) -> None: ...
    async def ping(self) -> bool: ...
    async def close(self) -> None: ...


class MemoryCache:
    """Bounded LRU in this process, for the embedded single-process default."""

    backend = "memory"

    def __init__(
        self, *, ttl_seconds: int = 300, max_entries: int = 10_000, generation_file: Path | None = None
    ) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._generation = 0
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        # Other processes on this DAB_HOME (the CLI) write too: they touch this file.
        self._file = generation_file
        self._seen = self._file_stamp()

    def _file_stamp(self) -> int:
        try:
            return self._file.stat().st_mtime_ns if self._file else 0
        except OSError:
            return 0

    def _key(self, key: str) -> str:
        return f"{PREFIX}{self._generation}:{key}"

    async def get(self, key: str) -> bytes | None:
        stamp = self._file_stamp()
        if stamp != self._seen:
            self._seen = stamp
            self._generation += 1
            self._items.clear()
        item = self._items.get(self._key(key))
        if item is None or item[0] < time.monotonic():
            CACHE_MISSES.inc()
            return None
        self._items.move_to_end(self._key(key))
        CACHE_HITS.inc()
        return item[1]

    async def set(self, key: str, value: bytes) -> None:
        self._items[self._key(key)] = (time.monotonic() + self._ttl, value)
        while len(self._items) > self._max:
            self._items.popitem(last=False)

    async def bump(self) -> None:
        self._generation += 1
        self._items.clear()
        touch_generation_file(self._file)
        self._seen = self._file_stamp()

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._items.clear()


class RedisCache:
    """Shared cache for many API processes; every Redis error is a miss, never a 5xx."""

    backend = "redis"

    def __init__(self, url: str, *, ttl_seconds: int = 300) -> None:
        self._redis: Redis = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._ttl = ttl_seconds
        self._retry_at = 0.0
        self._pending_bump = False

    def _available(self) -> bool:
        return time.monotonic() >= self._retry_at

    def _failed(self, operation: str, exc: Exception) -> None:
        # Back off for a moment so a dead Redis costs one timeout, not one per request.
        self._retry_at = time.monotonic() + 5.0
        log.warning("cache_unavailable", operation=operation, error=type(exc).__name__)

    async def _generation(self) -> bytes:
        value = await self._redis.get(GENERATION_KEY)
        return value if isinstance(value, bytes) else b"0"

    async def get(self, key: str) -> bytes | None:
        if not self._available() or not await self._settle_pending_bump():
            CACHE_MISSES.inc()
            return None
        try:
            generation = await self._generation()
            found = await self._redis.get(f"{PREFIX}{generation.decode()}:{key}")
            value = found if isinstance(found, bytes) else None
        except (RedisError, OSError) as exc:
            self._failed("get", exc)
            value = None  # a miss
        (CACHE_HITS if value is not None else CACHE_MISSES).inc()
        return value

    async def set(self, key: str, value: bytes) -> None:
        if not self._available() or self._pending_bump:
            return
        try:
            generation = await self._generation()
            await self._redis.set(f"{PREFIX}{generation.decode()}:{key}", value, ex=self._ttl)
        except (RedisError, OSError) as exc:
            self._failed("set", exc)

    async def bump(self) -> None:
        try:
            await self._redis.incr(GENERATION_KEY)
            self._pending_bump = False
        except (RedisError, OSError) as exc:
            # A write this process made is not yet visible in Redis: read nothing from the
            # cache until the bump succeeds, or entries of the old generation would be served.
            self._pending_bump = True
            self._failed("bump", exc)

    async def _settle_pending_bump(self) -> bool:
        if self._pending_bump:
            await self.bump()
        return not self._pending_bump

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except (RedisError, OSError):
            return False

    async def close(self) -> None:
        with contextlib.suppress(RedisError, OSError):
            await self._redis.aclose()


class NullCache:
    backend = "disabled"

    async def get(self, key: str) -> bytes | None:  # noqa: ARG002
        return None

    async def set(self, key: str, value: bytes) -> None:  # noqa: ARG002
        return None

    async def bump(self) -> None:
        return None

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None


def touch_generation_file(path: Path | None) -> None:
    if path is None:
        return
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        os.utime(path, ns=(time.time_ns(), time.time_ns()))


def make_cache(
    *, enabled: bool, redis_url: str | None, ttl_seconds: int, generation_file: Path | None = None
) -> Cache:
    if not enabled:
        return NullCache()
    if redis_url:
        return RedisCache(redis_url, ttl_seconds=ttl_seconds)
    return MemoryCache(ttl_seconds=ttl_seconds, generation_file=generation_file)


async def announce_write(*, redis_url: str | None, generation_file: Path | None) -> None:
    """For writers outside the API process (the CLI): invalidate every server's cache."""
    touch_generation_file(generation_file)
    if redis_url:
        cache = RedisCache(redis_url)
        await cache.bump()
        await cache.close()
