"""The graph the rules load (plain driver rows, only the columns rules read) gives the same
evaluation as the full graph, and its values are the ones SQLAlchemy's types would give."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dab.domain.graph import Graph
from dab.rules import builtin_rules, evaluate
from dab.storage.db import create_engine, make_session_factory
from dab.storage.graph_reader import load_graph
from dab.storage.records import CapsuleRecord, ColumnRecord, DataTestRecord

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
from generate_dbt_project import generate_manifest


def _load_both(url: str) -> tuple[Graph, Graph, dict[str, list[Any]]]:
    async def go() -> tuple[Graph, Graph, dict[str, list[Any]]]:
        engine = create_engine(url)
        try:
            async with make_session_factory(engine)() as session:
                full = await load_graph(session, column_edges=False)
                fast = await load_graph(session, column_edges=False, for_rules=True)
                reference = {
                    "capsules": (
                        await session.execute(
                            select(
                                CapsuleRecord.urn,
                                CapsuleRecord.last_run_completed_at,
                                CapsuleRecord.contract_enforced,
                            )
                        )
                    ).all(),
                    "columns": (
                        await session.execute(select(ColumnRecord.urn, ColumnRecord.is_masked))
                    ).all(),
                    "tests": (
                        await session.execute(select(DataTestRecord.urn, DataTestRecord.executed_at))
                    ).all(),
                }
        finally:
            await engine.dispose()
        return full, fast, reference

    return asyncio.run(go())


@pytest.mark.parametrize("seed", [0, 3])
def test_the_rules_graph_evaluates_like_the_full_graph(
    client: TestClient, clean_database: str, seed: int
) -> None:
    manifest, catalog, run_results = generate_manifest(120, 8, seed=seed)
    body = {"manifest": manifest, "catalog": catalog, "run_results": run_results}
    response = client.post("/api/v1/ingest/dbt?wait=true", content=orjson.dumps(body))
    assert response.status_code == 201, response.text
    full, fast, reference = _load_both(clean_database)

    assert fast.capsules == full.capsules and fast.tests == full.tests and fast.edges == full.edges
    assert fast.columns.keys() == full.columns.keys()
    rules = builtin_rules()
    expected, found = evaluate(full, rules), evaluate(fast, rules)
    assert found == expected
    assert len(expected.violations) > 100  # a project that breaks many rules, not an empty comparison

    # Values the driver hands back raw are converted as the column types would convert them.
    runs = [(urn, when) for urn, when, _ in reference["capsules"] if when is not None]
    assert runs and all(full.capsules[urn].last_run.completed_at == when for urn, when in runs)  # type: ignore[union-attr]
    assert all(full.capsules[urn].contract_enforced is bool(flag) for urn, _, flag in reference["capsules"])
    assert all(fast.columns[urn].is_masked is masked for urn, masked in reference["columns"])
    executed = [(urn, when) for urn, when in reference["tests"] if when is not None]
    assert executed and all(full.tests[urn].executed_at == when for urn, when in executed)
    assert all(when.tzinfo is not None for _, when in executed)
