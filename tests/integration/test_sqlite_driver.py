"""dab's SQLite driver (one thread hand-off per statement) on a real database file: the hand-offs
it makes, and that it answers and fails exactly as SQLAlchemy's stock aiosqlite adapter does."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from dab.storage.db import create_engine
from dab.storage.sqlite_driver import OneHandoffConnection, in_connection_thread, raw_connection

SCHEMA = (
    "CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, size REAL)",
    "INSERT INTO item (id, name, size) VALUES (1, 'a', 1.5), (2, 'b', NULL), (3, 'c', 3.0)",
)


def _run(url: str, body: Callable[[AsyncEngine], Awaitable[Any]], *, stock: bool = False) -> Any:
    """``body`` on a fresh table; ``stock``: SQLAlchemy's own adapter instead of dab's engine."""

    async def main() -> Any:
        engine = create_async_engine(url) if stock else create_engine(url)
        try:
            async with engine.begin() as conn:
                for statement in SCHEMA:
                    await conn.execute(text(statement))
            return await body(engine)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def _count_handoffs(engine: AsyncEngine) -> list[str]:
    """Every function a pooled connection queues for its thread, by name."""
    calls: list[str] = []

    @event.listens_for(engine.sync_engine, "checkout")
    def wrap(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        queue = dbapi_connection._connection._tx
        if getattr(queue, "counted", False):
            return

        class Counted:
            counted = True

            def put_nowait(self, item: Any) -> None:
                function = item[1]
                calls.append(getattr(getattr(function, "func", function), "__name__", "?"))
                queue.put_nowait(item)

            def __getattr__(self, name: str) -> Any:
                return getattr(queue, name)

        dbapi_connection._connection._tx = Counted()

    return calls


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'driver.sqlite3'}"


class TestHandOffs:
    def test_a_select_is_one_hand_off_and_a_read_returns_its_connection_with_none(self, url: str) -> None:
        async def body(engine: AsyncEngine) -> tuple[list[str], list[Any]]:
            async with engine.connect() as conn:  # the connection is pooled now
                await conn.execute(text("SELECT 1"))
            calls = _count_handoffs(engine)
            async with engine.connect() as conn:
                rows = (await conn.execute(text("SELECT id, name FROM item ORDER BY id"))).all()
            return list(calls), list(rows)

        calls, rows = _run(url, body)
        assert rows == [(1, "a"), (2, "b"), (3, "c")]
        assert calls == ["_run"]  # stock: cursor, execute, fetchall, close, then the pool's rollback

    def test_a_write_commits_with_one_more_hand_off(self, url: str) -> None:
        async def body(engine: AsyncEngine) -> list[str]:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            calls = _count_handoffs(engine)
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO item (id, name) VALUES (4, 'd')"))
            return list(calls)

        assert _run(url, body) == ["_run", "commit"]

    def test_the_driver_is_used_for_every_sqlite_engine(self, url: str) -> None:
        async def body(engine: AsyncEngine) -> type:
            async with engine.connect() as conn:
                raw = await conn.get_raw_connection()
                return type(raw.dbapi_connection)

        assert _run(url, body) is OneHandoffConnection


async def _observations(engine: AsyncEngine) -> dict[str, Any]:
    """What a caller can see of each kind of statement, for comparing two drivers."""
    seen: dict[str, Any] = {}
    async with engine.connect() as conn:
        result = await conn.execute(text("SELECT id, name, size FROM item ORDER BY id"))
        seen["keys"] = list(result.keys())
        seen["rows"] = [tuple(row) for row in result]
        seen["empty"] = (await conn.execute(text("SELECT id FROM item WHERE id < 0"))).all()
        seen["scalar"] = await conn.scalar(text("SELECT count(*) FROM item"))
    async with engine.begin() as conn:
        insert = await conn.execute(text("INSERT INTO item (name) VALUES ('e')"))
        seen["lastrowid"] = insert.lastrowid
        update = await conn.execute(text("UPDATE item SET size = 9 WHERE id > 1"))
        seen["update_rowcount"] = update.rowcount
        returning = await conn.execute(text("UPDATE item SET size = 7 WHERE id < 3 RETURNING id"))
        seen["returning"] = sorted(returning.scalars().all())
        many = await conn.execute(
            text("INSERT INTO item (id, name) VALUES (:id, :name)"),
            [{"id": 10 + n, "name": f"m{n}"} for n in range(5)],
        )
        seen["executemany_rowcount"] = many.rowcount
    async with engine.connect() as conn:
        seen["after"] = (await conn.execute(text("SELECT id, name, size FROM item ORDER BY id"))).all()
    return seen


class TestSameAnswersAsTheStockAdapter:
    def test_rows_counts_and_ids(self, tmp_path: Path) -> None:
        ours = _run(f"sqlite+aiosqlite:///{tmp_path / 'ours.sqlite3'}", _observations)
        stock = _run(f"sqlite+aiosqlite:///{tmp_path / 'stock.sqlite3'}", _observations, stock=True)
        assert ours == stock
        assert ours["rows"] == [(1, "a", 1.5), (2, "b", None), (3, "c", 3.0)]
        assert ours["update_rowcount"] == 3 and ours["executemany_rowcount"] == 5

    def test_a_large_result_buffered_and_streamed(self, url: str) -> None:
        count = 100_000
        sql = f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) SELECT i FROM n"

        async def body(engine: AsyncEngine) -> tuple[int, int, int]:
            async with engine.connect() as conn:
                buffered = (await conn.execute(text(sql))).scalars().all()
                streamed = 0
                result = await conn.stream(text(sql).execution_options(yield_per=1000))
                async for partition in result.partitions():
                    streamed += len(partition)
            return len(buffered), sum(buffered), streamed

        assert _run(url, body) == (count, count * (count + 1) // 2, count)


async def _insert(conn: AsyncConnection, item_id: int, name: str) -> None:
    await conn.execute(text("INSERT INTO item (id, name) VALUES (:id, :name)"), {"id": item_id, "name": name})


class TestTransactionsAndErrors:
    def test_rollback_discards_and_commit_keeps(self, url: str) -> None:
        async def body(engine: AsyncEngine) -> list[str]:
            async with engine.connect() as conn:
                await _insert(conn, 20, "dropped")
                assert conn.in_transaction()
                await conn.rollback()
                await _insert(conn, 21, "kept")
                await conn.commit()
            async with engine.connect() as conn:
                return list((await conn.execute(text("SELECT name FROM item WHERE id >= 20"))).scalars())

        assert _run(url, body) == ["kept"]

    def test_a_transaction_left_open_is_rolled_back_when_the_connection_returns(self, url: str) -> None:
        async def body(engine: AsyncEngine) -> int:
            async with engine.connect() as conn:
                await _insert(conn, 30, "never committed")
            async with engine.connect() as conn:
                return int(await conn.scalar(text("SELECT count(*) FROM item WHERE id = 30")))

        assert _run(url, body) == 0

    def test_integrity_error_is_mapped_and_the_connection_stays_usable(self, url: str) -> None:
        async def body(engine: AsyncEngine) -> tuple[str, int]:
            async with engine.connect() as conn:
                await _insert(conn, 40, "first")
                with pytest.raises(IntegrityError) as raised:
                    await _insert(conn, 41, "a")  # the name is taken
                await conn.rollback()
                total = int(await conn.scalar(text("SELECT count(*) FROM item")))
            return str(raised.value.orig), total

        message, total = _run(url, body)
        assert "UNIQUE constraint failed: item.name" in message
        assert total == 3  # the row before the error went with the rollback

    def test_a_bad_statement_is_an_operational_error_naming_it(self, url: str) -> None:
        async def body(engine: AsyncEngine) -> str:
            async with engine.connect() as conn:
                with pytest.raises(OperationalError) as raised:
                    await conn.execute(text("SELECT nope FROM item"))
                assert await conn.scalar(text("SELECT 1")) == 1
            return str(raised.value.orig)

        assert "no such column: nope" in _run(url, body)

    def test_a_closed_connection_is_reported_as_a_disconnect(self, url: str) -> None:
        async def body(engine: AsyncEngine) -> bool:
            async with engine.connect() as conn:
                raw = await conn.get_raw_connection()
                await raw.driver_connection.close()  # type: ignore[union-attr]
                with pytest.raises(OperationalError) as raised:
                    await conn.execute(text("SELECT 1"))
                return raised.value.connection_invalidated

        # Through dab's engine: its write watcher once raised PendingRollbackError on closing it.
        assert _run(url, body) is True


def test_raw_connection_is_the_sqlite3_connection_inside_aiosqlite(tmp_path: Path) -> None:
    async def main() -> int:
        async with aiosqlite.connect(tmp_path / "raw.sqlite3") as driver:
            raw = raw_connection(driver)
            assert isinstance(raw, sqlite3.Connection)
            answer = await in_connection_thread(driver, lambda c: c.execute("SELECT 41 + 1").fetchone(), raw)
            with pytest.raises(TypeError, match=r"Connection\._conn"):
                raw_connection(object())  # type: ignore[arg-type]
            return int(answer[0])

    assert asyncio.run(main()) == 42
