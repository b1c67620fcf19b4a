"""A first write's run history (``capsule_run``, ``test_result``) goes in without ``ON
CONFLICT`` (``COPY`` on PostgreSQL): the stored rows are exactly those of the conflict-checked
path, on SQLite and on PostgreSQL (DAB_TEST_DATABASE_URL)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import delete, select
from tests.unit.ingest.dbt_docs import FIXTURES

from dab.domain.graph import Graph
from dab.ingest.dbt import parse_dbt_texts
from dab.services import graph_persistence
from dab.storage import db
from dab.storage.records import CapsuleRunRecord, TestResultRecord

HISTORY = (
    (CapsuleRunRecord, ("capsule_urn", "invocation_id", "status", "execution_time", "completed_at")),
    (TestResultRecord, ("test_urn", "invocation_id", "status", "failures", "executed_at")),
)


def _parsed() -> tuple[Graph, str]:
    texts = {kind: (FIXTURES / "v12" / f"{kind}.json").read_bytes() for kind in ("manifest", "run_results")}
    graph, invocation = parse_dbt_texts(texts)
    assert invocation is not None
    return graph, invocation


async def _history(session: Any) -> list[list[tuple[Any, ...]]]:
    out = []
    for record, names in HISTORY:
        rows = await session.execute(select(*(getattr(record, n) for n in names)))
        out.append(sorted(tuple(row) for row in rows.all()))
    return out


async def _write(session: Any, graph: Graph, invocation: str) -> None:
    await graph_persistence.lock_project(session, "p")
    await graph_persistence.persist_graph(session, graph, project="p", run_invocation_id=invocation)


def test_first_write_history_equals_the_checked_path(
    clean_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph, invocation = _parsed()
    unchecked: list[str] = []
    plain = graph_persistence.insert_new_rows

    async def spy(session: Any, record: Any, rows: Any) -> None:
        unchecked.append(record.__tablename__)
        await plain(session, record, rows)

    monkeypatch.setattr(graph_persistence, "insert_new_rows", spy)

    async def run() -> tuple[list[Any], list[Any], list[Any]]:
        engine = db.create_engine(clean_database)
        try:
            factory = db.make_session_factory(engine)
            async with factory.begin() as session:
                await _write(session, graph, invocation)
            async with factory.begin() as session:
                first = await _history(session)
            async with factory.begin() as session:  # the same history through ON CONFLICT
                for record, _ in HISTORY:
                    await session.execute(delete(record))
                await graph_persistence._record_history(session, graph, invocation)
            async with factory.begin() as session:
                checked = await _history(session)
            async with factory.begin() as session:  # a re-ingestion: not fresh, history kept
                await _write(session, graph, invocation)
            async with factory.begin() as session:
                again = await _history(session)
        finally:
            await engine.dispose()
        return first, checked, again

    first, checked, again = asyncio.run(run())
    assert unchecked == ["capsule_run", "test_result"]  # the first write only
    assert all(first) and first == checked == again
