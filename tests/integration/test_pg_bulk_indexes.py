"""PostgreSQL: a big ``COPY`` into an empty table builds the table's secondary indexes after the
rows are in (storage/pg_bulk.py), on the real server of DAB_TEST_DATABASE_URL: the same
indexes come back, a failure rolls the drop back, and a table that holds rows or is locked by
another transaction keeps its indexes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from asyncpg.exceptions import UniqueViolationError
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from tests.api.ingest_helpers import artifacts, snapshot
from tests.conftest import TEST_API_KEY, _truncate_all

from dab.api.main import create_app
from dab.services import graph_persistence as persistence
from dab.settings import Settings
from dab.storage import db, pg_bulk

PROBE = "bulk_probe"
INGEST = "/api/v1/ingest/dbt"
Indexes = dict[str, tuple[int, str]]
"""index name -> (oid, definition)."""


@pytest.fixture
def pg_url(clean_database: str) -> str:
    if db.is_sqlite(clean_database):
        pytest.skip("PostgreSQL only (DAB_TEST_DATABASE_URL)")
    return clean_database


@pytest.fixture
def probe(pg_url: str) -> Iterator[str]:
    """A committed table with a primary key, a unique constraint, a btree and a trigram index."""
    statements = [
        f"CREATE TABLE {PROBE} (id integer PRIMARY KEY, urn text UNIQUE, name text NOT NULL)",
        f"CREATE INDEX ix_{PROBE}_name ON {PROBE} (name)",
        f"CREATE INDEX ix_{PROBE}_name_trgm ON {PROBE} USING gin (name gin_trgm_ops)",
    ]
    asyncio.run(_run(pg_url, statements))
    yield pg_url
    asyncio.run(_run(pg_url, [f"DROP TABLE IF EXISTS {PROBE}"]))


async def _run(url: str, statements: list[str]) -> None:
    engine = db.create_engine(url)
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


async def _indexes(driver: Any, table: str) -> Indexes:
    rows = await driver.fetch(
        "SELECT c.relname, c.oid, pg_get_indexdef(c.oid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = $1::regclass",
        table,
    )
    return {name: (int(oid), definition) for name, oid, definition in rows}


async def _in_transaction(conn: Any) -> Any:
    """The asyncpg connection under ``conn``, its transaction begun (SQLAlchemy begins lazily)."""
    await conn.execute(text("SELECT 1"))
    return (await conn.get_raw_connection()).driver_connection


def _rows(count: int, offset: int = 0) -> list[tuple[int, str, str]]:
    return [(i, f"urn:probe:{i}", f"name_{i}") for i in range(offset, offset + count)]


Copy = Callable[[Any], Awaitable[None]]


def _copying(rows: list[tuple[int, str, str]]) -> Copy:
    async def copy(driver: Any) -> None:
        await driver.copy_records_to_table(PROBE, records=rows, columns=["id", "urn", "name"])

    return copy


async def _load(
    url: str, copy: Copy, count: int, *, before: Copy | None = None, readable: list[bool] | None = None
) -> tuple[Indexes, Indexes, str]:
    """Indexes of the probe table before and after ``copy_then_index`` in one transaction
    (committed), and the statement timeout after it."""
    engine = db.create_engine(url)
    try:
        async with engine.begin() as conn:
            driver = await _in_transaction(conn)
            if before is not None:
                await before(driver)
            was = await _indexes(driver, PROBE)
            await pg_bulk.copy_then_index(driver, PROBE, count, lambda: copy(driver), batch=2)
            now = await _indexes(driver, PROBE)
            timeout = str(await driver.fetchval("SHOW statement_timeout"))
            if readable is not None:  # can another transaction read the table before the commit?
                readable.append(await _can_read(url))
    finally:
        await engine.dispose()
    return was, now, timeout


async def _can_read(url: str) -> bool:
    engine = db.create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("SET LOCAL lock_timeout = '200ms'"))
            await conn.execute(text(f"SELECT count(*) FROM {PROBE}"))
        return True
    except DBAPIError:
        return False
    finally:
        await engine.dispose()


async def _count(url: str) -> int:
    engine = db.create_engine(url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(text(f"SELECT count(*) FROM {PROBE}"))).scalar_one())
    finally:
        await engine.dispose()


async def _copy_in_transaction(conn: Any, driver: Any, rows: list[tuple[int, str, str]]) -> None:
    async with conn.begin():
        await _in_transaction(conn)
        await pg_bulk.copy_then_index(driver, PROBE, len(rows), lambda: _copying(rows)(driver), 2)


def _definitions(indexes: Indexes) -> dict[str, str]:
    return {name: definition for name, (_, definition) in indexes.items()}


def _rebuilt(was: Indexes, now: Indexes) -> set[str]:
    return {name for name, (oid, _) in now.items() if was[name][0] != oid}


class TestEmptyTable:
    def test_secondary_indexes_are_built_after_the_copy_as_they_were(
        self, probe: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(pg_bulk, "REBUILD_FROM", 5)
        readable: list[bool] = []
        was, now, timeout = asyncio.run(_load(probe, _copying(_rows(5)), 5, readable=readable))
        assert readable == [False]  # the dropped indexes lock the (empty) table until the commit
        assert _definitions(now) == _definitions(was)
        # Only the indexes that back no constraint were dropped and built again.
        assert _rebuilt(was, now) == {f"ix_{PROBE}_name", f"ix_{PROBE}_name_trgm"}
        assert timeout == "30s"  # the session's own once the builds are done
        assert asyncio.run(_count(probe)) == 5

    def test_below_the_threshold_the_indexes_stay(self, probe: str, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(pg_bulk, "REBUILD_FROM", 6)
        was, now, _ = asyncio.run(_load(probe, _copying(_rows(5)), 5))
        assert now == was

    def test_a_failing_copy_rolls_the_dropped_indexes_back(
        self, probe: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(pg_bulk, "REBUILD_FROM", 2)
        duplicate = _rows(2) + _rows(1)  # the unique key refuses the third row

        async def run() -> tuple[Indexes, Indexes]:
            engine = db.create_engine(probe)
            try:
                async with engine.connect() as conn:
                    driver = (await conn.get_raw_connection()).driver_connection
                    was = await _indexes(driver, PROBE)
                    with pytest.raises(UniqueViolationError):
                        await _copy_in_transaction(conn, driver, duplicate)
                    return was, await _indexes(driver, PROBE)
            finally:
                await engine.dispose()

        was, now = asyncio.run(run())
        assert now == was  # the same index objects: the drop never happened
        assert asyncio.run(_count(probe)) == 0


class TestIndexesKept:
    def test_a_table_with_rows_keeps_its_indexes(self, probe: str, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(pg_bulk, "REBUILD_FROM", 2)
        readable: list[bool] = []
        load = _load(probe, _copying(_rows(4, offset=1)), 4, before=_copying(_rows(1)), readable=readable)
        was, now, _ = asyncio.run(load)
        assert now == was
        assert readable == [True]  # not locked against readers for the rest of the transaction
        assert asyncio.run(_count(probe)) == 5

    def test_a_table_another_transaction_holds_keeps_its_indexes(
        self, probe: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(pg_bulk, "REBUILD_FROM", 2)

        async def run() -> tuple[Indexes, Indexes, str]:
            engine = db.create_engine(probe)
            try:
                async with engine.connect() as reader, reader.begin():
                    await reader.execute(text(f"SELECT count(*) FROM {PROBE}"))  # holds ACCESS SHARE
                    return await _load(probe, _copying(_rows(3)), 3)
            finally:
                await engine.dispose()

        was, now, _ = asyncio.run(run())
        assert now == was  # no wait for the reader, no drop: the rows went in with the indexes
        assert asyncio.run(_count(probe)) == 3

    def test_a_table_of_another_role_is_left_alone(self, pg_url: str) -> None:
        # A catalog table stands for a schema migrated by another role: the ingesting role may
        # not drop its indexes, nor lock it; the transaction goes on untouched.
        async def run() -> tuple[list[tuple[str, str]], int]:
            engine = db.create_engine(pg_url)
            try:
                async with engine.begin() as conn:
                    driver = await _in_transaction(conn)
                    found = await pg_bulk._droppable(driver, "pg_catalog.pg_description")
                    return found, int(await driver.fetchval("SELECT 1"))
            finally:
                await engine.dispose()

        assert asyncio.run(run()) == ([], 1)


def _ingest(settings: Settings) -> tuple[int, dict[str, Any]]:
    in_thread = settings.model_copy(update={"dab_ingest_worker": "thread"})
    with TestClient(create_app(in_thread), headers={"X-API-Key": TEST_API_KEY}) as client:
        response = client.post(INGEST, params={"wait": "true"}, json=artifacts())
        found = client.get("/api/v1/columns", params={"q": "email"}).json()
    return response.status_code, found


async def _all_indexes(url: str) -> dict[str, tuple[int, str]]:
    """Every index of the schema: name -> (oid, definition)."""
    engine = db.create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT indexname, indexname::regclass::oid, indexdef FROM pg_indexes "
                    "WHERE schemaname = 'public'"
                )
            )
            return {name: (int(oid), definition) for name, oid, definition in rows}
    finally:
        await engine.dispose()


class TestIngestion:
    def test_a_first_ingestion_with_indexes_built_after_stores_what_a_plain_one_does(
        self, pg_url: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        indexes = asyncio.run(_all_indexes(pg_url))
        status, plain_search = _ingest(settings)
        assert status == 201
        plain = snapshot(pg_url)
        asyncio.run(_truncate_all(pg_url))
        monkeypatch.setattr(pg_bulk, "REBUILD_FROM", 1)  # every COPY into an empty table
        status, search = _ingest(settings)
        assert status == 201
        assert snapshot(pg_url) == plain
        assert search == plain_search and search["total"] > 0  # the rebuilt trigram indexes answer
        after = asyncio.run(_all_indexes(pg_url))
        assert _definitions(after) == _definitions(indexes)
        assert "ix_capsule_column_urn_trgm" in _rebuilt(indexes, after)  # built again, not kept

    def test_a_failure_after_the_copy_leaves_no_rows_and_every_index(
        self, pg_url: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        indexes = asyncio.run(_all_indexes(pg_url))
        empty = snapshot(pg_url)
        monkeypatch.setattr(pg_bulk, "REBUILD_FROM", 1)

        async def broken_edges(*_args: Any, **_kwargs: Any) -> None:
            raise OperationalError("INSERT INTO capsule_lineage", {}, Exception("connection lost"))

        monkeypatch.setattr(persistence, "sync_capsule_edges", broken_edges)
        status, _ = _ingest(settings)
        assert status == 503
        assert snapshot(pg_url) == empty
        assert asyncio.run(_all_indexes(pg_url)) == indexes
