"""A large insert on SQLite rebuilds the table's secondary indexes afterwards: the schema ends
exactly as it was, the indexes answer as before, and a failure leaves them in place."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from dab.storage import migrate
from dab.storage.db import create_engine
from dab.storage.sqlite_indexes import REBUILD_MIN_ROWS, indexes_rebuilt

TABLE = "capsule_lineage"  # three secondary indexes; its foreign keys are switched off here


@pytest.fixture
def sqlite_file(tmp_path: Path) -> str:
    path = tmp_path / "dab.sqlite3"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    return str(path)


def _schema(path: str) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(path) as db:
        return sorted(db.execute("SELECT type, name, sql FROM sqlite_master"))


def _edges(start: int, count: int) -> list[tuple[str, str, str]]:
    return [("p", f"urn:s:{i}", f"urn:t:{i % 97}") for i in range(start, start + count)]


async def _insert(path: str, rows: list[tuple[str, str, str]], *, fail: bool = False) -> int:
    """Insert inside ``indexes_rebuilt``; returns how many indexes of the table existed inside."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.connect() as conn:
            await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # edges to capsules never made
            await conn.commit()
            return await _insert_on(conn, rows, fail=fail)
    finally:
        await engine.dispose()


async def _insert_on(conn: Any, rows: list[tuple[str, str, str]], *, fail: bool) -> int:
    async with conn.begin(), indexes_rebuilt(conn, TABLE, len(rows)):
        await conn.exec_driver_sql(
            f"INSERT INTO {TABLE} (project, source_urn, target_urn, edge_type, source) "
            "VALUES (?, ?, ?, 'FLOWS_TO', 'dbt')",
            rows,
        )
        found = await conn.exec_driver_sql(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            (TABLE,),
        )
        inside = int(found.scalar_one())
        if fail:
            raise RuntimeError("the insert failed")
        return inside


class TestIndexRebuild:
    def test_a_large_insert_rebuilds_and_ends_with_the_same_schema(self, sqlite_file: str) -> None:
        before = _schema(sqlite_file)
        assert asyncio.run(_insert(sqlite_file, _edges(0, REBUILD_MIN_ROWS))) == 0  # dropped inside
        assert _schema(sqlite_file) == before
        with sqlite3.connect(sqlite_file) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            plan = " ".join(
                str(r)
                for r in db.execute(f"EXPLAIN QUERY PLAN SELECT id FROM {TABLE} WHERE target_urn = 'urn:t:5'")
            )
            assert "ix_capsule_lineage_target_urn" in plan
            assert db.execute(f"SELECT count(*) FROM {TABLE} WHERE target_urn = 'urn:t:5'").fetchone()[
                0
            ] == len([i for i in range(REBUILD_MIN_ROWS) if i % 97 == 5])

    def test_small_inserts_and_inserts_into_a_larger_table_keep_the_indexes(self, sqlite_file: str) -> None:
        indexes = sum(1 for kind, _, sql in _schema(sqlite_file) if kind == "index" and sql and TABLE in sql)
        assert asyncio.run(_insert(sqlite_file, _edges(0, REBUILD_MIN_ROWS - 1))) == indexes
        assert (
            asyncio.run(_insert(sqlite_file, _edges(REBUILD_MIN_ROWS, REBUILD_MIN_ROWS))) == 0
        )  # doubles it
        assert asyncio.run(_insert(sqlite_file, _edges(3 * REBUILD_MIN_ROWS, REBUILD_MIN_ROWS))) == indexes

    def test_a_failure_inside_keeps_the_indexes_and_no_rows(self, sqlite_file: str) -> None:
        before = _schema(sqlite_file)
        with pytest.raises(RuntimeError):
            asyncio.run(_insert(sqlite_file, _edges(0, REBUILD_MIN_ROWS), fail=True))
        assert _schema(sqlite_file) == before
        with sqlite3.connect(sqlite_file) as db:
            assert db.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0] == 0
