"""Golden column-lineage cases (tests/fixtures/columnlineage/cases.yaml): every edge and its kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from dab.columnlineage.sql import derive_model_lineage

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
