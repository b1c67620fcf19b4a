"""``batch_db``: a batch's statements as one function, on SQLite in aiosqlite's thread.

Against the real test database (SQLite file, or PostgreSQL with DAB_TEST_DATABASE_URL): the
statements run in the caller's transaction (its rollback takes them back), values go through
the column types' converters, list parameters expand, and what they write retires cached reads.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dab.storage.batch_db import BatchDb, ConnectionDb, SqliteThreadDb, in_driver_thread, run_batch
from dab.storage.bulk_upsert import upsert_rows
from dab.storage.db import create_engine, make_session_factory
from dab.storage.generation import read_generation
from dab.storage.records import LineageEventRecord
from dab.storage.sqlite_pragmas import Tuning, read_pragmas

T = TypeVar("T")
E = LineageEventRecord
KEYS = select(E.event_key).where(E.event_key.in_(bindparam("keys", expanding=True))).order_by(E.event_key)
RECEIVED = update(E).where(E.event_key == bindparam("k")).values(received_at=bindparam("t"))
WHEN = datetime(2026, 11, 30, 18, 0, 1, 250_000, tzinfo=UTC)


def _in_session(url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def go() -> T:
        engine = create_engine(url)
        try:
            async with make_session_factory(engine).begin() as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def _write_and_read(db: BatchDb) -> list[tuple[Any, ...]]:
    rows = [{"event_key": f"k{i}", "received_at": WHEN} for i in range(5)]
    upsert_rows(db, E, rows, ["event_key"])
    db.execute(
        RECEIVED, [{"k": "k1", "t": WHEN.replace(year=2027)}, {"k": "k2", "t": WHEN.replace(year=2028)}]
    )
    return db.rows(KEYS, {"keys": ["k1", "k3", "missing"]})


def _stored(url: str) -> dict[str, datetime]:
    async def read(session: AsyncSession) -> dict[str, datetime]:
        return {key: when for key, when in await session.execute(select(E.event_key, E.received_at))}  # noqa: C416

    return _in_session(url, read)


class TestRunBatch:
    def test_writes_convert_values_and_lists_expand(self, clean_database: str) -> None:
        found = _in_session(clean_database, lambda s: run_batch(s, _write_and_read))
        assert found == [("k1",), ("k3",)]
        stored = _stored(clean_database)
        assert sorted(stored) == ["k0", "k1", "k2", "k3", "k4"]
        # Read back through the ORM: the thread path stored them as SQLAlchemy's type would.
        assert stored["k0"].replace(tzinfo=UTC) == WHEN
        assert stored["k1"].replace(tzinfo=UTC) == WHEN.replace(year=2027)
        assert stored["k2"].replace(tzinfo=UTC) == WHEN.replace(year=2028)

    def test_the_bridged_path_gives_the_same_answers(self, clean_database: str) -> None:
        async def bridged(session: AsyncSession) -> list[tuple[Any, ...]]:
            return await session.run_sync(lambda s: _write_and_read(ConnectionDb(s.connection())))

        assert _in_session(clean_database, bridged) == [("k1",), ("k3",)]
        assert len(_stored(clean_database)) == 5

    def test_an_empty_list_matches_nothing(self, clean_database: str) -> None:
        def work(db: BatchDb) -> list[tuple[Any, ...]]:
            upsert_rows(db, E, [{"event_key": "k", "received_at": WHEN}], ["event_key"])
            return db.rows(KEYS, {"keys": []})

        assert _in_session(clean_database, lambda s: run_batch(s, work)) == []

    def test_sqlite_runs_in_the_driver_thread(self, clean_database: str) -> None:
        on_sqlite = clean_database.startswith("sqlite")
        assert _in_session(clean_database, in_driver_thread) is on_sqlite


class TestAtomicity:
    def test_a_failure_inside_the_batch_stores_nothing(self, clean_database: str) -> None:
        def work(db: BatchDb) -> None:
            upsert_rows(db, E, [{"event_key": "k", "received_at": WHEN}], ["event_key"])
            raise RuntimeError("fault after the first statement")

        with pytest.raises(RuntimeError, match="fault after"):
            _in_session(clean_database, lambda s: run_batch(s, work))
        assert _stored(clean_database) == {}

    def test_a_failure_after_the_batch_takes_it_back(self, clean_database: str) -> None:
        async def work(session: AsyncSession) -> None:
            await run_batch(session, _write_and_read)
            raise RuntimeError("the request failed later")

        with pytest.raises(RuntimeError, match="failed later"):
            _in_session(clean_database, work)
        assert _stored(clean_database) == {}


class TestCacheGeneration:
    def test_a_batch_that_writes_retires_cached_reads_and_a_read_does_not(self, clean_database: str) -> None:
        async def token(session: AsyncSession) -> str | None:
            return (await read_generation(session))[0]

        before = _in_session(clean_database, token)
        _in_session(clean_database, lambda s: run_batch(s, lambda db: db.rows(KEYS, {"keys": ["x"]})))
        assert _in_session(clean_database, token) == before
        _in_session(clean_database, lambda s: run_batch(s, _write_and_read))
        after = _in_session(clean_database, token)
        assert after is not None
        assert after != before


TUNING = Tuning(batch={"cache_size": -4_321, "temp_store": 2}, transaction={"wal_autocheckpoint": 4_321})
NAMES = ("cache_size", "temp_store", "wal_autocheckpoint")


def _settings(db: BatchDb) -> tuple[int, dict[str, int]]:
    raw = db.raw if isinstance(db, SqliteThreadDb) else None
    if raw is None:
        pytest.skip("connection settings are SQLite's")
    return id(raw), read_pragmas(raw, NAMES)


def _tuned_then_after(url: str, *, fail: bool) -> list[tuple[int, dict[str, int]]]:
    """Settings seen inside a tuned batch, by a later batch of the same transaction, and by the
    next transaction on the same (only) pooled connection; ``fail`` rolls the first back."""
    seen: list[tuple[int, dict[str, int]]] = []

    def tuned(db: BatchDb) -> None:
        with db.tuned():
            upsert_rows(db, E, [{"event_key": "k", "received_at": WHEN}], ["event_key"])
            seen.append(_settings(db))

    async def go() -> None:
        engine = create_engine(url)
        factory = make_session_factory(engine)
        try:
            with contextlib.suppress(RuntimeError):
                async with factory.begin() as session:
                    await run_batch(session, tuned, sqlite_tuning=TUNING)
                    seen.append(await run_batch(session, _settings))
                    if fail:
                        raise RuntimeError("the request failed after the batch")
            async with factory.begin() as session:
                seen.append(await run_batch(session, _settings))
        finally:
            await engine.dispose()

    asyncio.run(go())
    return seen


class TestSqliteTuning:
    @pytest.mark.parametrize("fail", [False, True], ids=["committed", "rolled-back"])
    def test_settings_hold_for_their_scope_and_are_put_back(self, clean_database: str, fail: bool) -> None:
        (conn, inside), (same, after_batch), (again, next_transaction) = _tuned_then_after(
            clean_database, fail=fail
        )
        assert conn == same == again  # one connection throughout, handed back by the pool
        defaults = next_transaction
        assert defaults["cache_size"] != -4_321
        assert defaults["wal_autocheckpoint"] != 4_321
        assert inside == {"cache_size": -4_321, "temp_store": 2, "wal_autocheckpoint": 4_321}
        # The batch's own settings end with its hand-off; the checkpoint threshold with the
        # transaction (it acts at the commit).
        assert after_batch == {**defaults, "wal_autocheckpoint": 4_321}
        assert set(_stored(clean_database)) == (set() if fail else {"k"})

    def test_a_failing_batch_puts_everything_back(self, clean_database: str) -> None:
        def work(db: BatchDb) -> None:
            with db.tuned():
                upsert_rows(db, E, [{"event_key": "k", "received_at": WHEN}], ["event_key"])
                raise RuntimeError("fault inside the tuned batch")

        async def go() -> tuple[dict[str, int], dict[str, int]]:
            engine = create_engine(clean_database)
            factory = make_session_factory(engine)
            try:
                async with factory.begin() as session:
                    before = await run_batch(session, _settings)
                with pytest.raises(RuntimeError, match="fault inside"):
                    async with factory.begin() as session:
                        await run_batch(session, work, sqlite_tuning=TUNING)
                async with factory.begin() as session:
                    return before[1], (await run_batch(session, _settings))[1]
            finally:
                await engine.dispose()

        before, after = asyncio.run(go())
        assert after == before
        assert _stored(clean_database) == {}
