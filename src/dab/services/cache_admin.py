"""Use cases: the database side of the read cache, and `dab cache clear|stats`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dab.platform.cache import PREFIX, DatabaseGeneration, RedisCache, touch_generation_file
from dab.storage.generation import bump_generation, local_commits, read_generation


def database_generation(
    factory: async_sessionmaker[AsyncSession], generation_file: Path | None
) -> DatabaseGeneration:
    async def read() -> str | None:
        async with factory() as session:
            token, _ = await read_generation(session)
            return token

    return DatabaseGeneration(read, local_commits=local_commits, generation_file=generation_file)


async def clear_caches(
    session: AsyncSession, *, redis_url: str | None, generation_file: Path | None, prefix: str = PREFIX
) -> dict[str, Any]:
    """Retire every cached read in every process: a new database generation (in-process caches
    of all workers notice within a second), and with Redis a new generation and no entries.

    The caller commits ``session``; Redis is cleared first so a failure there changes nothing.
    """
    result: dict[str, Any] = {"redis_entries_deleted": None}
    if redis_url:
        cache = RedisCache(redis_url, prefix=prefix)
        try:
            result["redis_entries_deleted"] = await cache.clear()
        finally:
            await cache.close()
    result["generation"] = await bump_generation(session)
    touch_generation_file(generation_file)
    return result


async def cache_stats(
    session: AsyncSession, *, redis_url: str | None, prefix: str = PREFIX
) -> dict[str, Any]:
    token, changed_at = await read_generation(session)
    stats: dict[str, Any] = {
        "database_generation": token,
        "database_generation_changed_at": changed_at.isoformat() if changed_at else None,
        "redis": None,
    }
    if redis_url:
        cache = RedisCache(redis_url, prefix=prefix)
        try:
            stats["redis"] = await cache.stats()
        finally:
            await cache.close()
    return stats
