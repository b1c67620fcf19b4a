"""``bulk_upsert.upsert_rows`` on the real test database: multi-row ``VALUES`` on SQLite, one
``INSERT ... SELECT FROM unnest($1::t[], ...)`` on PostgreSQL. Both must store the same values
(JSON, booleans, NULLs, timestamps) and honour ``DO UPDATE ... WHERE`` with its constants."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import literal_column, select

from dab.domain.capsule import Capsule, CapsuleType
from dab.storage.batch_db import BatchDb, run_batch
from dab.storage.bulk_upsert import upsert_rows
from dab.storage.db import create_engine, make_session_factory
from dab.storage.mappers import capsule_row
from dab.storage.records import CapsuleRecord

C = CapsuleRecord
WHEN = datetime(2026, 11, 30, 18, 0, 1, 250_000, tzinfo=UTC)


def _row(i: int, **changes: Any) -> dict[str, Any]:
    capsule = Capsule(
        urn=f"urn:dab:test:dataset:ns:t{i}",
        name=f"t{i}",
        capsule_type=CapsuleType.DATASET,
        namespace="ns",
        source="test",
        description=None if i % 2 else f"table {i}",
        tags=("a", "b") if i % 3 == 0 else (),
        meta={"owner": {"team": "x"}, "n": i} if i % 4 == 0 else {},
        contract_enforced=i % 5 == 0,
    )
    row = capsule_row(capsule, "p", "", column_count=i, pii_count=0)
    return {**row, "created_at": WHEN, "updated_at": WHEN, **changes}


def _run(url: str, work: Any) -> Any:
    async def go() -> Any:
        engine = create_engine(url)
        try:
            async with make_session_factory(engine).begin() as session:
                return await run_batch(session, work)
        finally:
            await engine.dispose()

    return asyncio.run(go())


READ = select(C.urn, C.description, C.dbt_tags, C.meta, C.contract_enforced, C.column_count, C.created_at)


def _stored(url: str) -> dict[str, tuple[Any, ...]]:
    """Read back through SQLAlchemy's types, as the rest of the service reads them."""

    async def go() -> dict[str, tuple[Any, ...]]:
        engine = create_engine(url)
        try:
            async with make_session_factory(engine)() as session:
                return {row[0]: tuple(row[1:]) for row in await session.execute(READ)}
        finally:
            await engine.dispose()

    return asyncio.run(go())


def test_values_round_trip_and_conditional_updates(clean_database: str) -> None:
    rows = [_row(i) for i in range(300)]

    def write(db: BatchDb) -> None:
        upsert_rows(db, C, rows, ["urn"])
        # Only the rows whose stored count is odd take the new one: a ``where`` with a constant.
        upsert_rows(
            db,
            C,
            [_row(i, column_count=1_000 + i) for i in range(10)],
            ["urn"],
            shape="test-count-if-odd",
            set_=lambda ex: {"column_count": ex.column_count},
            where=(C.column_count % 2 == 1) & (C.source == literal_column("'test'")),
        )

    _run(clean_database, write)
    stored = _stored(clean_database)
    assert len(stored) == 300
    assert stored["urn:dab:test:dataset:ns:t12"] == (
        "table 12",
        ["a", "b"],
        {"owner": {"team": "x"}, "n": 12},
        False,
        12,
        stored["urn:dab:test:dataset:ns:t12"][5],
    )
    assert stored["urn:dab:test:dataset:ns:t15"][:4] == (None, ["a", "b"], {}, True)
    assert [stored[f"urn:dab:test:dataset:ns:t{i}"][4] for i in range(10)] == [
        0, 1_001, 2, 1_003, 4, 1_005, 6, 1_007, 8, 1_009
    ]  # fmt: skip
    assert stored["urn:dab:test:dataset:ns:t0"][5].replace(tzinfo=UTC) == WHEN
