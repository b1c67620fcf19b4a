"""PostgreSQL: a bulk ``COPY`` refreshes its table's planner statistics inside the transaction
(graph_writer._analyze), on the real server of DAB_TEST_DATABASE_URL. Without them, statements
later in the same ingestion planned the freshly filled tables as empty."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from dab.storage import db, graph_writer
from dab.storage.records import TagRecord


@pytest.fixture
def pg_url(clean_database: str) -> str:
    if db.is_sqlite(clean_database):
        pytest.skip("PostgreSQL only (DAB_TEST_DATABASE_URL)")
    return clean_database


def _tags(count: int, offset: int = 0) -> list[dict[str, str]]:
    return [
        {"id": f"t{i}", "urn": f"urn:dab:tag:bulk:t{i}", "name": f"t{i}", "category": "bulk", "origin": "dbt"}
        for i in range(offset, offset + count)
    ]


async def _reltuples(session: AsyncSession) -> float:
    query = text("SELECT reltuples FROM pg_class WHERE relname = 'tag'")
    return float((await session.execute(query)).scalar_one())


def test_a_bulk_copy_analyzes_its_table_within_the_transaction(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(graph_writer, "ANALYZE_AFTER", 40)

    async def run() -> tuple[float, float, float]:
        engine = db.create_engine(pg_url)
        try:
            async with db.make_session_factory(engine)() as session, session.begin():
                before = await _reltuples(session)
                await graph_writer._insert(session, TagRecord, _tags(39))
                below = await _reltuples(session)  # under the threshold: no ANALYZE
                await graph_writer._insert(session, TagRecord, _tags(40, offset=39))
                after = await _reltuples(session)  # both batches counted
                # (Rolled back: PostgreSQL updates pg_class's counts in place, so they stay;
                # the planner scales them by the table's actual size, which the rollback keeps.)
                await session.rollback()
        finally:
            await engine.dispose()
        return before, below, after

    before, below, after = asyncio.run(run())
    assert below == before
    assert after == 79
