"""Golden column-lineage cases (tests/fixtures/columnlineage/cases.yaml): every edge and its kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from dab.columnlineage.graph import derive_graph_lineage
from dab.columnlineage.sql import derive_model_lineage
from dab.ingest.dbt import parse_dbt

CASES = yaml.safe_load((Path(__file__).parents[2] / "fixtures" / "columnlineage" / "cases.yaml").read_text())
SCHEMA: dict[str, dict[str, str]] = CASES["schema"]


def _edges(sql: str) -> set[str]:
    result = derive_model_lineage(sql, SCHEMA, "duckdb")
    assert result.misses == []
    return {
        f"{e.source.table}.{e.source.column} -> {e.target} {e.kind.value}"
        + (f" {e.function}" if e.function else "")
        for e in result.edges
    }


@pytest.mark.parametrize("case", CASES["cases"], ids=lambda c: c["name"])
def test_edges(case: dict[str, Any]) -> None:
    assert _edges(case["sql"]) == set(case["edges"])


@pytest.mark.parametrize("case", CASES["misses"], ids=lambda c: c["name"])
def test_misses_have_a_reason(case: dict[str, Any]) -> None:
    result = derive_model_lineage(case["sql"], SCHEMA, "duckdb")
    reasons = {m.reason for m in result.misses}
    assert case["reason"] in reasons
    if "detail_contains" in case:
        assert any(case["detail_contains"] in m.detail for m in result.misses)


@pytest.mark.parametrize("version", ["v9", "v11", "v12"])
def test_jaffle_shop_fixture(version: str) -> None:
    """Every edge of the real jaffle_shop project (its compiled SQL, duckdb), for each manifest version."""
    folder = Path(__file__).parents[2] / "fixtures" / "dbt" / version
    docs = {k: orjson.loads((folder / f"{k}.json").read_bytes()) for k in ("manifest", "catalog")}
    lineage = derive_graph_lineage(parse_dbt(docs["manifest"], docs["catalog"]))
    prefix = "urn:dab:dbt:column:jaffle_shop:"
    found = {
        f"{e.source_urn.removeprefix(prefix)} -> {e.target_urn.removeprefix(prefix)} {e.transformation.value}"
        + (f" {e.function}" if e.function else "")
        for e in lineage.edges
    }
    golden = Path(__file__).parents[2] / "fixtures" / "columnlineage" / "jaffle_shop.txt"
    expected = {line for line in golden.read_text().splitlines() if line and not line.startswith("#")}
    assert found == expected
    assert (lineage.coverage["models"], lineage.coverage["full"]) == (5, 5)
