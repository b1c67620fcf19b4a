"""A large ingestion indexes its new rows for search in one statement (the per-row trigger is
dropped for it and restored): the index ends equal to its tables, and a failure leaves the
trigger in place. SQLite only: PostgreSQL's trigram indexes need no trigger."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from benchmarks.generate_dbt_project import generate_manifest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from dab.settings import Settings
from dab.storage.db import create_engine
from dab.storage.search_index import BULK_INDEX_ROWS, FTS_TABLES, sqlite_bulk_insert

INGEST = "/api/v1/ingest/dbt"


@pytest.fixture
def sqlite_file(settings: Settings) -> str:
    url = make_url(str(settings.database_url))
    if url.get_backend_name() != "sqlite":
        pytest.skip("the FTS5 tables and their triggers are SQLite's")
    return str(url.database)


def _triggers(path: str) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}


def _counts(path: str) -> list[tuple[int, int]]:
    with sqlite3.connect(path) as db:
        return [
            (
                db.execute(f"SELECT count(*) FROM {source}").fetchone()[0],
                db.execute(f"SELECT count(*) FROM {fts}").fetchone()[0],
            )
            for source, fts in FTS_TABLES.items()
        ]


def test_a_large_ingestion_is_indexed_whole_and_keeps_the_triggers(
    client: TestClient, sqlite_file: str
) -> None:
    triggers = _triggers(sqlite_file)
    assert {f"{fts}_insert" for fts in FTS_TABLES.values()} <= triggers
    manifest, catalog, _ = generate_manifest(80, 20, seed=7)
    assert sum(len(t["columns"]) for t in catalog["nodes"].values()) >= BULK_INDEX_ROWS  # the bulk path
    body = {"manifest": manifest, "catalog": catalog}
    assert client.post(INGEST, params={"wait": "true"}, json=body).status_code == 201
    assert _triggers(sqlite_file) == triggers
    counts = _counts(sqlite_file)
    assert all(rows == indexed and rows > 0 for rows, indexed in counts), counts
    with sqlite3.connect(sqlite_file) as db:  # what the scan finds, the index finds
        name = db.execute("SELECT name FROM capsule_column ORDER BY id DESC LIMIT 1").fetchone()[0]
        scanned = db.execute(
            "SELECT count(*) FROM capsule_column WHERE lower(name) LIKE ? OR lower(urn) LIKE ? "
            "OR lower(description) LIKE ?",
            (f"%{name.lower()}%",) * 3,
        ).fetchone()[0]
    assert client.get("/api/v1/columns", params={"q": name}).json()["total"] == scanned > 0


def test_a_failed_bulk_insert_rolls_the_dropped_trigger_back(sqlite_file: str) -> None:
    inside: list[str] = []

    async def fail_inside() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{sqlite_file}")
        try:
            async with engine.begin() as conn, sqlite_bulk_insert(conn, "capsule_column", BULK_INDEX_ROWS):
                found = await conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
                inside.extend(row[0] for row in found)
                raise RuntimeError("the insert failed")
        except RuntimeError:
            pass
        finally:
            await engine.dispose()

    before = _triggers(sqlite_file)
    asyncio.run(fail_inside())
    assert "column_search_insert" in before and "column_search_insert" not in inside
    assert _triggers(sqlite_file) == before
