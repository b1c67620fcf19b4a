"""PostgreSQL plans of the OpenLineage writer's key-list statements, on young statistics.

``capsule.urn`` has a ``pg_trgm`` GIN index for search, and ``gin_trgm_ops`` also serves
``=``: with an ``IN`` list the planner chose it while the table's statistics were young, and a
look-up of a few hundred URNs scanned the GIN pending list for each one (0.3-2 s instead of
~1 ms). The statements join ``unnest($1)`` instead; here they must probe B-trees or scan, never
the trigram indexes, in the state of a database receiving its first events.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.api.openlineage_helpers import CRM, dataset, run_event

from dab.services.ingest_openlineage import ingest_lineage_events
from dab.storage import lineage_writer as w
from dab.storage.db import create_engine, make_session_factory


def _events(first: int, count: int) -> list[dict[str, Any]]:
    fields = {f"column_{c}": "integer" for c in range(10)}
    return [
        run_event(
            "START", job=f"job_{i}", outputs=[dataset(CRM, f"warehouse.schema_{i % 7}.table_{i:04d}", fields)]
        )
        for i in range(first, first + count)
    ]


async def _stream(factory: async_sessionmaker[AsyncSession], firsts: range) -> None:
    """Batches of 100 new jobs, each writing a new 10-column dataset, one transaction each."""
    for first in firsts:
        async with factory.begin() as session:
            await ingest_lineage_events(session, _events(first, 100))


def _plans(session: Any, urns: list[str], generic: bool = False) -> dict[str, str]:
    """EXPLAIN (without running) of each key-list statement over ``urns``; with ``generic``
    the plan a prepared statement switches to after five runs (parameters unknown)."""
    conn = session.connection()
    if generic:
        conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")

    def explain(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> Any:
        return "EXPLAIN " + statement, parameters

    event.listen(conn, "before_cursor_execute", explain, retval=True)
    try:
        return {
            name: "\n".join(row[0] for row in conn.execute(stmt["postgresql"], {"keys": urns}))
            for name, stmt in (
                ("descriptions", w._DESCRIPTIONS),
                ("count_columns", w._COUNT_COLUMNS),
                ("stored_columns", w._COLUMNS_OF),
            )
        }
    finally:
        event.remove(conn, "before_cursor_execute", explain)


PROBE = "ix_capsule_urn_trgm_probe"


@pytest.fixture
def postgres_database(clean_database: str) -> str:
    if not clean_database.startswith("postgresql"):
        pytest.skip("PostgreSQL's planner")
    return clean_database


def test_key_lists_never_use_the_trigram_indexes(postgres_database: str) -> None:

    async def go() -> tuple[dict[str, str], dict[str, str]]:
        engine = create_engine(postgres_database)
        factory = make_session_factory(engine)
        try:
            # Batches as a stream of first events writes them: a GIN pending list, no ANALYZE yet.
            await _stream(factory, range(0, 300, 100))
            async with factory.begin() as session:
                urns = [f"urn:dab:openlineage:job:airbyte:job_{i}" for i in range(300)]
                plans = await _explain(session, urns)
            async with factory.begin() as session:
                generic = await _explain(session, urns[:2], generic=True)
            return plans, generic
        finally:
            await engine.dispose()

    plans, generic = asyncio.run(go())
    for name, plan in plans.items():
        assert "trgm" not in plan, f"{name}:\n{plan}"
    assert "uq_capsule_urn" in plans["descriptions"] or "Seq Scan on capsule" in plans["descriptions"]
    # A correlated count in the generic plan filtered every capsule by its count before the
    # join with the key list (a subplan per row of the table, each batch).
    assert "SubPlan" not in generic["count_columns"], generic["count_columns"]


async def _explain(session: AsyncSession, urns: list[str], generic: bool = False) -> dict[str, str]:
    return await session.run_sync(lambda s: _plans(s, urns, generic))


def _generic_plans(session: Any, urns: list[str]) -> dict[str, str]:
    """The real generic plans (``PREPARE``, then ``EXPLAIN EXECUTE`` under
    ``force_generic_plan``) of the statements that look capsules up by URN."""
    conn = session.connection()
    conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
    keys = "'{" + ",".join(urns) + "}'"
    statements = {
        "descriptions": (w._DESCRIPTIONS["postgresql"], keys),
        "count_columns": (w._COUNT_COLUMNS["postgresql"], keys),
        "last_runs": (w._LAST_RUNS, f"{keys}, '{{COMPLETE}}', '{{2026-11-01T00:00:00Z}}'"),
    }
    plans = {}
    for name, (stmt, arguments) in statements.items():
        sql = str(stmt.compile(dialect=conn.dialect))
        conn.exec_driver_sql(f"PREPARE plan_{name} AS {sql}")
        rows = conn.exec_driver_sql(f"EXPLAIN EXECUTE plan_{name}({arguments})")
        plans[name] = "\n".join(row[0] for row in rows)
        conn.exec_driver_sql(f"DEALLOCATE plan_{name}")
    return plans


@pytest.mark.parametrize("urn_trigrams", [False, True], ids=["as-migrated", "with-0013s-urn-trigrams"])
def test_the_writers_generic_plans_skip_the_trigram_indexes_on_stale_statistics(
    postgres_database: str, urn_trigrams: bool
) -> None:
    """Statistics taken while ``capsule`` was small, then a long GIN pending list: with a
    trigram index on ``capsule.urn`` (migration 0013's ``ix_capsule_urn_trgm``) the generic
    plans of the URN look-ups probed it per key, scanning the whole pending list each time
    (seconds per batch; PERFORMANCE.md, "OpenLineage, part 8"). Since migration 0028 the
    trigram index is on the search document, which ``=`` on the URN cannot use, so the plans
    probe ``uq_capsule_urn``. With such an index put back, the same plans must take it, or
    this test could not see the state it guards against."""

    async def go() -> dict[str, str]:
        engine = create_engine(postgres_database)
        factory = make_session_factory(engine)
        try:
            if urn_trigrams:
                async with engine.begin() as conn:
                    await conn.exec_driver_sql(
                        f"CREATE INDEX {PROBE} ON capsule USING gin (urn gin_trgm_ops)"
                    )
            await _stream(factory, range(0, 100, 100))
            async with engine.connect() as conn:
                await conn.exec_driver_sql("ANALYZE capsule")
            await _stream(factory, range(100, 600, 100))
            urns = [f"urn:dab:openlineage:job:airbyte:job_{i}" for i in range(0, 600, 3)]
            async with factory.begin() as session:
                return await session.run_sync(lambda s: _generic_plans(s, urns))
        finally:
            async with engine.begin() as conn:  # the schema stays as migrated for later tests
                await conn.exec_driver_sql(f"DROP INDEX IF EXISTS {PROBE}")
            await engine.dispose()

    plans = asyncio.run(go())
    if urn_trigrams:
        assert any("trgm" in plan for plan in plans.values()), plans
        return
    for name, plan in plans.items():
        assert "trgm" not in plan, f"{name}:\n{plan}"
        assert "uq_capsule_urn" in plan or "Seq Scan on capsule" in plan, f"{name}:\n{plan}"
