"""The write path in many small batches, and capsule digests of an older form: the store ends
exactly as one full write of the same input leaves it."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import update
from tests.api.ingest_helpers import artifacts
from tests.api.test_ingest_equal_content import _reset, _restamped, ingest, state

from dab.storage import graph_writer
from dab.storage.db import create_engine
from dab.storage.records import CapsuleRecord


def test_rows_written_in_batches_of_three_equal_one_batch(
    clean_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Batches of 3 make every table take many COPY/executemany rounds (on PostgreSQL the next
    # one encoded in a worker thread while the server takes the current one).
    ingest(clean_database, artifacts())
    whole = state(clean_database)
    _reset(clean_database)
    monkeypatch.setattr(graph_writer, "COPY_BATCH", 3)
    monkeypatch.setattr(graph_writer, "BATCH", 3)
    job = ingest(clean_database, artifacts())
    assert job["stats"]["columns"]["created"] > 3
    assert state(clean_database) == whole


def _age_subtree_digests(url: str) -> None:
    async def run() -> None:
        engine = create_engine(url)
        async with engine.begin() as conn:
            await conn.execute(update(CapsuleRecord).values(subtree_hash="an-older-form"))
        await engine.dispose()

    asyncio.run(run())


def test_an_older_subtree_digest_costs_a_comparison_never_a_rewrite(clean_database: str) -> None:
    ingest(clean_database, artifacts())
    _age_subtree_digests(clean_database)
    body = _restamped(artifacts(), "2031-01-01T00:00:00Z")
    body["run_results"]["metadata"]["invocation_id"] = "a-later-run"  # not equal: the full path
    job = ingest(clean_database, body)
    for kind in ("capsules", "columns", "tests"):
        assert job["stats"][kind] == {"created": 0, "updated": 0, "deleted": 0}, kind
    after = _graph_tables(state(clean_database))
    _reset(clean_database)
    ingest(clean_database, body)  # (the run history differs: it keeps the first run too)
    assert _graph_tables(state(clean_database)) == after  # digests of the current form again


def _graph_tables(rows: dict[str, list[tuple[object, ...]]]) -> dict[str, list[tuple[object, ...]]]:
    return {name: rows[name] for name in ("capsule", "capsule_column", "data_test")}
