"""SQL facts taken from the column-lineage parse equal the rules' own parse of the same SQL.

Ingestion hands each model's freshly parsed tree to ``rules._sqlparse.from_tree`` before the
derivation qualifies it; the facts must not depend on which of the two paths computed them.
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

import anyio
import orjson
import pytest
import yaml

from dab.columnlineage.graph import derive_tasks, dialect_of, plan_lineage
from dab.columnlineage.sql import derive_model_lineage
from dab.domain.graph import Graph
from dab.ingest.dbt import parse_dbt
from dab.rules._sqlparse import from_tree, parse
from dab.rules.sqlfacts import SqlFacts
from dab.services.lineage_workers import derive_spread

FIXTURES = Path(__file__).parents[2] / "fixtures"
CASES = yaml.safe_load((FIXTURES / "columnlineage" / "cases.yaml").read_text())


def _from_lineage(sql: str, schema: dict[str, dict[str, str]], dialect: str | None) -> SqlFacts | None:
    seen: list[SqlFacts] = []
    derive_model_lineage(
        sql, schema, dialect, on_tree=lambda tree, nodes: seen.append(from_tree(tree, nodes))
    )
    assert len(seen) <= 1
    return seen[0] if seen else None


@pytest.mark.parametrize(
    "case", CASES["cases"] + CASES["misses"], ids=lambda c: c["name"] + ("" if "edges" in c else " (miss)")
)
def test_golden_sql(case: dict[str, object]) -> None:
    sql = str(case["sql"])
    found = _from_lineage(sql, CASES["schema"], "duckdb")
    if found is None:  # lineage could not parse it: no facts handed over, the rules parse it later
        assert not parse(sql, "duckdb").parsed
    else:
        assert found == parse(sql, "duckdb")


def _project_facts(graph: Graph) -> tuple[list[SqlFacts | None], list[SqlFacts]]:
    plan = plan_lineage(graph)
    dialect = dialect_of(graph.project.adapter_type if graph.project else None)
    handed = [packed[4] for packed in derive_tasks(plan.tasks, from_tree)]
    return handed, [parse(model.compiled_sql or "", dialect) for model in plan.models]


@pytest.mark.parametrize("version", ["v9", "v11", "v12"])
def test_jaffle_shop(version: str) -> None:
    folder = FIXTURES / "dbt" / version
    docs = {k: orjson.loads((folder / f"{k}.json").read_bytes()) for k in ("manifest", "catalog")}
    handed, parsed = _project_facts(parse_dbt(docs["manifest"], docs["catalog"]))
    assert handed == parsed
    assert any(f.join_count for f in parsed) and any(f.star_reads for f in parsed)  # not trivially equal


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_generated_projects(seed: int) -> None:
    sys.path.insert(0, str(Path(__file__).parents[3] / "benchmarks"))
    from generate_dbt_project import generate_manifest

    handed, parsed = _project_facts(parse_dbt(*generate_manifest(80, 6, seed=seed)))
    assert handed == parsed
    assert any(f.join_count for f in parsed)


def test_helper_processes_hand_the_same_facts_back() -> None:
    """The hook crosses to the helpers by reference and its facts come back in task order."""
    folder = FIXTURES / "dbt" / "v12"
    docs = {k: orjson.loads((folder / f"{k}.json").read_bytes()) for k in ("manifest", "catalog")}
    tasks = plan_lineage(parse_dbt(docs["manifest"], docs["catalog"])).tasks * 3
    expected = derive_tasks(tasks, from_tree)
    assert anyio.run(partial(derive_spread, tasks, 2, 1, on_tree=from_tree)) == expected
    assert all(packed[4] is not None for packed in expected)
    assert all(packed[4] is None for packed in derive_tasks(tasks))  # no hook, nothing handed
