"""Read cache keyed by a write generation (DESIGN.md §6).

A cached read captures the generation *before* it reads the database and stores its answer
under that generation, so an answer computed from pre-write data can never be filed under the
post-write generation. The generation combines:

- the database's ``cache_generation`` token, changed in the same transaction as every catalog
  write by any process (CLI, workers, replicas, restores), read at most once a second and at
  once after a commit in this process or a touch of ``DAB_HOME/cache_generation``;
- with Redis, the random token at ``dab:generation``: bumped after API writes, reset by
  ``dab cache clear``, and re-created as a *new* random token when missing, so the runbook's
  ``KEYS "dab:*" | xargs redis-cli DEL`` (or FLUSHDB) can never bring an old generation back.

Keys contain no spaces: ``dab:cache:<generation>:<sha256 of the request>`` (``dab:`` is
``CACHE_KEY_PREFIX``). Redis failures
degrade to a miss, never a 5xx.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from dab.platform.logging import get_logger
from dab.platform.metrics import CACHE_HITS, CACHE_MISSES

PREFIX = "dab:"
log = get_logger("dab.cache")

TokenReader = Callable[[], Awaitable[str | None]]
CommitCounter = Callable[[], int]


def entry_key(generation: str, key: str, prefix: str = PREFIX) -> str:
    return f"{prefix}cache:{generation}:{hashlib.sha256(key.encode()).hexdigest()[:40]}"


class DatabaseGeneration:
    """The database token, re-read at most every ``interval`` seconds (sooner when told)."""

    def __init__(
        self,
        read: TokenReader,
        *,
        interval: float = 1.0,
        local_commits: CommitCounter | None = None,
        generation_file: Path | None = None,
    ) -> None:
        self._read = read
        self._interval = interval
        self._commits = local_commits or (lambda: 0)
        self._file = generation_file
        self._fallback = secrets.token_hex(8)  # before the first write: this process's own
        self._token: str | None = None
        self._checked_at = 0.0
        self._seen: tuple[int, int] = (-1, -1)
        self._flight: tuple[tuple[int, int], asyncio.Future[str | None]] | None = None

    def _file_stamp(self) -> int:
        try:
            return self._file.stat().st_mtime_ns if self._file else 0
        except OSError:
            return 0

    def expire(self) -> None:
        self._token = None
        self._flight = None  # a read already running may predate what made the caller expire

    async def current(self) -> str | None:
        seen = (self._commits(), self._file_stamp())
        now = time.monotonic()
        if self._token is not None and seen == self._seen and now - self._checked_at < self._interval:
            return self._token
        # One read serves every caller that finds the token due while it runs: without this, 16
        # concurrent requests each opened a connection once a second (pool overflow, stalls).
        # A read started before a caller's ``seen`` changed cannot answer for it, so it starts its own.
        flight = self._flight
        if flight is None or flight[0] != seen or flight[1].done():
            flight = (seen, asyncio.ensure_future(self._refresh(seen, now)))
            self._flight = flight
        return await asyncio.shield(flight[1])

    async def _refresh(self, seen: tuple[int, int], started: float) -> str | None:
        try:
            token = await self._read()
        except Exception as exc:  # a database that cannot answer gives no generation: no caching
            log.warning("cache_generation_unreadable", error=type(exc).__name__)
            self._token = None
            return None
        token = token or self._fallback
        if self._flight is not None and self._flight[0] == seen:  # not overtaken by a newer read
            self._token, self._checked_at, self._seen = token, started, seen
        return token


class Cache(Protocol):
    backend: str

    async def generation(self) -> str | None: ...
    async def get(self, generation: str, key: str) -> bytes | None: ...
    async def set(self, generation: str, key: str, value: bytes) -> None: ...
    async def bump(self) -> None: ...
    async def clear(self) -> int: ...
    async def stats(self) -> dict[str, Any]: ...
    async def ping(self) -> bool: ...
    async def close(self) -> None: ...


class MemoryCache:
    """Bounded LRU in this process, for the embedded single-process default."""

    backend = "memory"

    def __init__(
        self, database: DatabaseGeneration, *, ttl_seconds: int = 300, max_entries: int = 10_000
    ) -> None:
        self._database = database
        self._ttl = ttl_seconds
        self._max = max_entries
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._current: str | None = None

    async def generation(self) -> str | None:
        token = await self._database.current()
        if token != self._current:
            self._items.clear()  # entries of older generations can never be read again
            self._current = token
        return token

    async def get(self, generation: str, key: str) -> bytes | None:
        name = entry_key(generation, key)
        item = self._items.get(name)
        if item is None or item[0] < time.monotonic():
            CACHE_MISSES.inc()
            return None
        self._items.move_to_end(name)
        CACHE_HITS.inc()
        return item[1]

    async def set(self, generation: str, key: str, value: bytes) -> None:
        if generation != self._current:
            return  # computed before a write this process has seen since: not worth keeping
        self._items[entry_key(generation, key)] = (time.monotonic() + self._ttl, value)
        while len(self._items) > self._max:
            self._items.popitem(last=False)

    async def bump(self) -> None:
        self._database.expire()
        self._items.clear()

    async def clear(self) -> int:
        dropped = len(self._items)
        await self.bump()
        return dropped

    async def stats(self) -> dict[str, Any]:
        return {"backend": self.backend, "entries": len(self._items), "max_entries": self._max}

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._items.clear()


class RedisCache:
    """Shared cache for many API processes; every Redis error is a miss, never a 5xx."""

    backend = "redis"

    def __init__(
        self,
        url: str,
        database: DatabaseGeneration | None = None,
        *,
        ttl_seconds: int = 300,
        prefix: str = PREFIX,
    ) -> None:
        self._redis: Redis = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._prefix = prefix
        self._generation_key = f"{prefix}generation"
        self._database = database
        self._ttl = ttl_seconds
        self._retry_at = 0.0
        self._pending_bump = False

    def _available(self) -> bool:
        return time.monotonic() >= self._retry_at

    def _failed(self, operation: str, exc: Exception) -> None:
        # Back off for a moment so a dead Redis costs one timeout, not one per request.
        self._retry_at = time.monotonic() + 5.0
        log.warning("cache_unavailable", operation=operation, error=type(exc).__name__)

    async def redis_token(self) -> str:
        """The Redis generation; a missing key (deleted, flushed, evicted) becomes a new one."""
        value = await self._redis.get(self._generation_key)
        if value is None:
            await self._redis.set(self._generation_key, secrets.token_hex(8), nx=True)
            value = await self._redis.get(self._generation_key)
        return value.decode() if isinstance(value, bytes) else str(value)

    async def generation(self) -> str | None:
        if not self._available():
            return None
        if self._pending_bump:
            # A write this process made never reached Redis: flush on reconnect, then cache again.
            await self.bump()
            if self._pending_bump:
                return None
        database = await self._database.current() if self._database else "-"
        if database is None:
            return None
        try:
            return f"{await self.redis_token()}.{database}"
        except (RedisError, OSError) as exc:
            self._failed("generation", exc)
            return None

    async def get(self, generation: str, key: str) -> bytes | None:
        value = None
        try:
            found = await self._redis.get(entry_key(generation, key, self._prefix))
            value = found if isinstance(found, bytes) else None
        except (RedisError, OSError) as exc:
            self._failed("get", exc)
        (CACHE_HITS if value is not None else CACHE_MISSES).inc()
        return value

    async def set(self, generation: str, key: str, value: bytes) -> None:
        try:
            await self._redis.set(entry_key(generation, key, self._prefix), value, ex=self._ttl)
        except (RedisError, OSError) as exc:
            self._failed("set", exc)

    async def bump(self) -> None:
        if self._database:
            self._database.expire()
        try:
            await self._redis.set(self._generation_key, secrets.token_hex(8))
            self._pending_bump = False
        except (RedisError, OSError) as exc:
            # Read nothing from Redis until the bump succeeds, or old entries would be served.
            self._pending_bump = True
            self._failed("bump", exc)

    async def clear(self) -> int:
        """New generation first (so nothing old is read meanwhile), then drop every entry."""
        await self.bump()
        if self._pending_bump:
            raise ConnectionError("Redis is unreachable: nothing was cleared")
        dropped = 0
        batch: list[bytes] = []
        async for name in self._redis.scan_iter(match=f"{self._prefix}cache:*", count=1000):
            batch.append(name)
            if len(batch) >= 1000:
                dropped += await self._redis.unlink(*batch)
                batch.clear()
        if batch:
            dropped += await self._redis.unlink(*batch)
        return dropped

    async def stats(self) -> dict[str, Any]:
        token = await self.redis_token()
        entries = current = 0
        async for name in self._redis.scan_iter(match=f"{self._prefix}cache:*", count=1000):
            entries += 1
            current += name.decode().startswith(f"{self._prefix}cache:{token}.")
        info = await self._redis.info()
        return {
            "backend": self.backend,
            "redis_generation": token,
            "entries": entries,
            "entries_current_redis_generation": current,
            "keyspace_hits": info.get("keyspace_hits"),
            "keyspace_misses": info.get("keyspace_misses"),
            "used_memory_human": info.get("used_memory_human"),
        }

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

    async def generation(self) -> str | None:
        return None

    async def get(self, generation: str, key: str) -> bytes | None:  # noqa: ARG002
        return None

    async def set(self, generation: str, key: str, value: bytes) -> None:  # noqa: ARG002
        return None

    async def bump(self) -> None:
        return None

    async def clear(self) -> int:
        return 0

    async def stats(self) -> dict[str, Any]:
        return {"backend": self.backend}

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
    *,
    enabled: bool,
    redis_url: str | None,
    ttl_seconds: int,
    database: DatabaseGeneration,
    prefix: str = PREFIX,
) -> Cache:
    if not enabled:
        return NullCache()
    if redis_url:
        return RedisCache(redis_url, database, ttl_seconds=ttl_seconds, prefix=prefix)
    return MemoryCache(database, ttl_seconds=ttl_seconds)


async def announce_write(
    *, redis_url: str | None, generation_file: Path | None, prefix: str = PREFIX
) -> None:
    """For writers outside the API process (the CLI): tell servers at once.

    Only a speed-up: the write already changed the database generation, which every server
    reads within a second, so a Redis blip here cannot leave a stale cache behind.
    """
    touch_generation_file(generation_file)
    if redis_url:
        cache = RedisCache(redis_url, prefix=prefix)
        await cache.bump()
        await cache.close()
