"""A first write on SQLite whose rows a forked child encodes (``services/first_write.py``)
stores exactly what the in-process write stores, also when the child fails on the way."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.api import test_ingest_equal_content as equal_content
from tests.api.ingest_helpers import artifacts
from tests.api.test_ingest_equal_content import _reset, state

from dab.services import first_write, forked
from dab.services.ingest_dbt import JobPolicy
from dab.storage import graph_writer, mappers
from dab.storage.db import create_engine
from dab.storage.records import CapsuleRecord, DataTestRecord, IngestionJobRecord

FORKING = JobPolicy(fork_rows=True)


def ingest(url: str, body: dict[str, Any], policy: JobPolicy = FORKING) -> dict[str, Any]:
    return equal_content.ingest(url, body, policy=policy, completes=False)


@pytest.fixture
def sqlite_url(clean_database: str) -> str:
    if not clean_database.startswith("sqlite"):
        pytest.skip("the forked encoder is SQLite's (PostgreSQL encodes beside its COPY)")
    return clean_database


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every fixture project takes the forked path, in batches of three rows; yields whether
    each started write really forked."""
    started: list[bool] = []

    class Recorded(forked.Stream):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            started.append(self.forked)

    monkeypatch.setattr(first_write, "FORK_MIN_ROWS", 0)
    monkeypatch.setattr(first_write, "ROWS_PER_BATCH", 3)
    monkeypatch.setattr(first_write, "Stream", Recorded)
    monkeypatch.setattr(forked, "spare_core", lambda: True)
    monkeypatch.setattr(first_write, "worth_forking", lambda: True)  # whatever the load now
    return started


def _in_process(url: str) -> dict[str, list[tuple[Any, ...]]]:
    job = ingest(url, artifacts(), JobPolicy())
    assert job["status"] == "completed", job["error"]
    whole = state(url)
    _reset(url)
    return whole


def _in_child_only(monkeypatch: pytest.MonkeyPatch, fail: Callable[[], None], *, at: int) -> list[str]:
    """``fail()`` in the child when it encodes batch ``at`` of the columns; never here.
    Returns the batches encoded here (kind and start)."""
    parent = os.getpid()
    original = first_write._Rows.batch
    here: list[str] = []

    def batch(self: Any, kind: str, start: int) -> Any:
        if os.getpid() == parent:
            here.append(f"{kind} {start}")
        elif kind == "columns" and start == at * first_write.ROWS_PER_BATCH:
            fail()
        return original(self, kind, start)

    monkeypatch.setattr(first_write._Rows, "batch", batch)
    return here


class TestForkedFirstWrite:
    def test_stores_what_the_in_process_write_stores(self, sqlite_url: str, forks: list[bool]) -> None:
        whole = _in_process(sqlite_url)
        job = ingest(sqlite_url, artifacts())
        assert job["status"] == "completed", job["error"]
        assert forks[-1] is True
        assert job["stats"]["columns"]["created"] > 3 * 2  # several batches came from the child
        assert state(sqlite_url) == whole

    def test_stats_equal_the_in_process_write(self, sqlite_url: str, forks: list[bool]) -> None:
        before = ingest(sqlite_url, artifacts(), JobPolicy())["stats"]
        _reset(sqlite_url)
        after = ingest(sqlite_url, artifacts())["stats"]
        assert forks == [True]
        moving = ("input_fingerprint",)  # the job's own digest of its inputs: equal too
        assert {k: v for k, v in after.items() if k not in moving} == {
            k: v for k, v in before.items() if k not in moving
        }

    def test_a_step_failing_in_the_child_is_taken_over_here(
        self, sqlite_url: str, forks: list[bool], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        whole = _in_process(sqlite_url)

        def fail() -> None:
            raise RuntimeError("only in the child")

        here = _in_child_only(monkeypatch, fail, at=2)
        assert ingest(sqlite_url, artifacts())["status"] == "completed"
        assert forks == [True]
        assert here[0] == "columns 6"  # batches 0 and 1 came from the child, the rest from here
        assert here[-1].startswith("tests ")
        assert state(sqlite_url) == whole

    def test_a_child_that_dies_is_taken_over_here(
        self, sqlite_url: str, forks: list[bool], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        whole = _in_process(sqlite_url)
        here = _in_child_only(monkeypatch, lambda: os._exit(9), at=1)
        assert ingest(sqlite_url, artifacts())["status"] == "completed"
        assert here[0] == "columns 3"
        assert state(sqlite_url) == whole

    def test_an_encoding_error_fails_the_job_and_stores_nothing(
        self, sqlite_url: str, forks: list[bool], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def broken(*args: Any, **kwargs: Any) -> Any:
            raise ValueError("a test cannot be mapped")

        monkeypatch.setattr(first_write, "_KINDS", {**first_write._KINDS, "tests": (DataTestRecord, broken)})
        job = ingest(sqlite_url, artifacts())
        assert job["status"] == "failed"
        assert job["error"]["message"] == "database error: ValueError"  # as without the child
        assert forks == [True]
        assert _count(sqlite_url, CapsuleRecord) == 0  # the capsules and columns went with it
        assert _count(sqlite_url, IngestionJobRecord) == 1

    def test_a_reingestion_after_it_changes_nothing(self, sqlite_url: str, forks: list[bool]) -> None:
        ingest(sqlite_url, artifacts())
        body = artifacts()
        body["run_results"]["metadata"]["invocation_id"] = "a-later-run"  # not equal: the full path
        again = ingest(sqlite_url, body)
        for kind in ("capsules", "columns", "tests"):
            assert again["stats"][kind] == {"created": 0, "updated": 0, "deleted": 0}, kind
        assert forks == [True]  # the second write had rows stored: the plain diff

    def test_not_without_the_entry_points_consent(self, sqlite_url: str, forks: list[bool]) -> None:
        assert ingest(sqlite_url, artifacts(), JobPolicy())["status"] == "completed"
        assert forks == []

    def test_not_while_the_machine_is_busy(
        self, sqlite_url: str, forks: list[bool], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        whole = _in_process(sqlite_url)
        monkeypatch.setattr(forked.os, "getloadavg", lambda: (64.0, 64.0, 64.0))
        monkeypatch.setattr(first_write, "worth_forking", forked.worth_forking)
        assert ingest(sqlite_url, artifacts())["status"] == "completed"
        assert forks == [False]
        assert state(sqlite_url) == whole


def _count(url: str, record: Any) -> int:
    async def run() -> int:
        engine = create_engine(url)
        async with engine.connect() as conn:
            found = await conn.scalar(select(func.count()).select_from(record))
        await engine.dispose()
        return int(found or 0)

    return asyncio.run(run())


def test_the_child_encodes_the_rows_the_writer_would(monkeypatch: pytest.MonkeyPatch) -> None:
    """Guards the duplication the forked path relies on: the same mappers, the same batches."""
    assert first_write._KINDS["columns"][1] is mappers.column_row
    assert first_write._KINDS["tests"][1] is mappers.test_row
    assert first_write.ROWS_PER_BATCH == graph_writer.BATCH
