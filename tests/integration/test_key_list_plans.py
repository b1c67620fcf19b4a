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
from sqlalchemy.ext.asyncio import AsyncSession
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


def test_key_lists_never_use_the_trigram_indexes(clean_database: str) -> None:
    if not clean_database.startswith("postgresql"):
        pytest.skip("PostgreSQL's planner")

    async def go() -> tuple[dict[str, str], dict[str, str]]:
        engine = create_engine(clean_database)
        factory = make_session_factory(engine)
        try:
            # Batches as a stream of first events writes them: a GIN pending list, no ANALYZE yet.
            for first in range(0, 300, 100):
                async with factory.begin() as session:
                    await ingest_lineage_events(session, _events(first, 100))
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
    # (The generic plans may still pick a trigram index on young statistics: PERFORMANCE.md,
    # "OpenLineage, part 7"; not asserted.)
    assert "SubPlan" not in generic["count_columns"], generic["count_columns"]


async def _explain(session: AsyncSession, urns: list[str], generic: bool = False) -> dict[str, str]:
    return await session.run_sync(lambda s: _plans(s, urns, generic))
