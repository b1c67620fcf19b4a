"""Deriving column lineage from the job's start (``lineage_early``: helpers read the stored
artifacts themselves while this process parses and writes) stores exactly what the serial path
stores, over a first ingestion and re-ingestions that change a model's lineage and PII."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select
from tests.api.test_compliance_pii import _contacts_project
from tests.api.test_lineage_while_writing import CONTACTS, SERIAL, _ingest_all
from tests.conftest import _truncate_all

from dab.platform.logging import configure_logging
from dab.services import lineage_early
from dab.services.column_lineage import LineageOptions
from dab.services.ingest_dbt import IngestRequest, create_job, run_job
from dab.storage.db import create_engine, make_session_factory
from dab.storage.records import CapsuleRecord

EARLY = LineageOptions(workers=2, parallel_min=1, early_min_bytes=0)


def test_rows_equal_the_serial_path(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    configure_logging(stream=sys.stdout)
    matched: list[tuple[int, int]] = []
    run = lineage_early._Join.run

    async def spy(self: Any, on_chunk: Any) -> Any:
        # A helper spawns in ~1 s, later than this small project's join: wait until the helpers
        # hold their tasks, so that they derive (the big-project case) instead of this process.
        while self.early.reading:
            await asyncio.sleep(0.05)
        out = await run(self, on_chunk)
        matched.append((len(self.plan.tasks), self.matched))
        return out

    monkeypatch.setattr(lineage_early._Join, "run", spy)
    serial = asyncio.run(_ingest_all(database_url, SERIAL))
    assert matched == []
    early = asyncio.run(_ingest_all(database_url, EARLY))
    assert [m[0] for m in matched] == [6, 1, 1]  # every model, then the changed gold model twice
    assert matched == [(6, 6), (1, 1), (1, 1)]  # every task matched: the helpers derived them
    assert lineage_early._running == {}
    for step, (want, got) in enumerate(zip(serial, early, strict=True)):
        for key in want:
            assert got[key] == want[key], f"version {step}: {key} differs"


def test_a_helper_killed_midway_leaves_the_rows_equal(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A helper that dies during the early derivation (killed, out of memory) costs time only:
    this process derives what it did not deliver."""
    configure_logging(stream=sys.stdout)
    serial = asyncio.run(_ingest_all(database_url, SERIAL))
    run = lineage_early._Join.run
    matched: list[int] = []

    async def kill_first(self: Any, on_chunk: Any) -> Any:
        while self.early.reading:
            await asyncio.sleep(0.05)
        for helper in self.early.helpers:
            helper.kill()
        out = await run(self, on_chunk)
        matched.append(self.matched)
        return out

    monkeypatch.setattr(lineage_early._Join, "run", kill_first)
    early = asyncio.run(_ingest_all(database_url, EARLY))
    assert len(matched) == 3
    for step, (want, got) in enumerate(zip(serial, early, strict=True)):
        for key in want:
            assert got[key] == want[key], f"version {step}: {key} differs"


def test_a_failed_job_stops_its_early_derivation(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A job whose artifacts do not parse fails as before and leaves no derivation running."""
    stopped: list[bool] = []
    stop = lineage_early.EarlyLineage.stop

    def spy(self: Any, kill: bool = False) -> None:
        stopped.append(kill)
        stop(self, kill)

    monkeypatch.setattr(lineage_early.EarlyLineage, "stop", spy)
    body = _contacts_project()
    body["manifest"]["nodes"][CONTACTS]["depends_on"] = "not an object"

    async def ingest() -> dict[str, Any]:
        await _truncate_all(database_url)
        engine = create_engine(database_url)
        try:
            factory = make_session_factory(engine)
            artifacts = {kind: orjson.dumps(doc) for kind, doc in body.items()}
            async with factory.begin() as session:
                job_id = (await create_job(session, IngestRequest(artifacts=artifacts))).id
            job = await run_job(factory, job_id, lineage=EARLY)
            async with factory() as session:
                capsules = (await session.execute(select(func.count()).select_from(CapsuleRecord))).scalar()
            return {**job, "capsules": capsules}
        finally:
            await engine.dispose()

    job = asyncio.run(ingest())
    assert job["status"] == "failed" and "depends_on" in job["error"]["json_path"]
    assert job["capsules"] == 0
    assert stopped == [True]  # it had started (before the parse), and was killed
    assert lineage_early._running == {}
