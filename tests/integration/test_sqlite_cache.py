"""The larger page cache around a bulk column-edge insert: raised only for big SQLite inserts,
always handed back (also when the insert fails or is cancelled), on a real database file."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import anyio
import pytest

from dab.storage.db import create_engine
from dab.storage.sqlite_cache import BULK_CACHE_KIB, BULK_CACHE_MIN_ROWS, larger_page_cache


async def _cache_size(conn: Any) -> int:
    return int((await conn.exec_driver_sql("PRAGMA cache_size")).scalar_one())


def _run(tmp_path: Path, body: Any) -> Any:
    async def run() -> Any:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'dab.sqlite3'}")
        try:
            async with engine.connect() as conn:
                return await body(conn)
        finally:
            await engine.dispose()

    return asyncio.run(run())


class TestLargerPageCache:
    def test_raised_during_a_big_insert_and_restored_after(self, tmp_path: Path) -> None:
        async def body(conn: Any) -> tuple[int, int, int]:
            before = await _cache_size(conn)
            async with larger_page_cache(conn, BULK_CACHE_MIN_ROWS):
                during = await _cache_size(conn)
            return before, during, await _cache_size(conn)

        before, during, after = _run(tmp_path, body)
        assert during == -BULK_CACHE_KIB
        assert after == before != during

    def test_left_alone_for_a_small_insert(self, tmp_path: Path) -> None:
        async def body(conn: Any) -> tuple[int, int]:
            before = await _cache_size(conn)
            async with larger_page_cache(conn, BULK_CACHE_MIN_ROWS - 1):
                return before, await _cache_size(conn)

        before, during = _run(tmp_path, body)
        assert during == before

    def test_restored_when_the_insert_fails(self, tmp_path: Path) -> None:
        async def failing(conn: Any) -> None:
            with pytest.raises(RuntimeError, match="insert failed"):
                async with larger_page_cache(conn, BULK_CACHE_MIN_ROWS):
                    raise RuntimeError("insert failed")

        before, after = _run(tmp_path, _around(failing))
        assert after == before

    def test_restored_when_the_ingestion_is_cancelled(self, tmp_path: Path) -> None:
        async def cancelled(conn: Any) -> None:
            with anyio.CancelScope() as scope:
                async with larger_page_cache(conn, BULK_CACHE_MIN_ROWS):
                    scope.cancel()
                    await anyio.sleep(1)
            assert scope.cancelled_caught

        before, after = _run(tmp_path, _around(cancelled))
        assert after == before


def _around(inner: Any) -> Any:
    """``inner(conn)`` between two reads of the cache size."""

    async def body(conn: Any) -> tuple[int, int]:
        before = await _cache_size(conn)
        await inner(conn)
        return before, await _cache_size(conn)

    return body
