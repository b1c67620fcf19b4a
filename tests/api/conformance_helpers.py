"""Shared helpers of the conformance API tests: the jaffle_shop demo, ingested and parsed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from fastapi.testclient import TestClient

from dab.columnlineage.graph import derive_graph_lineage
from dab.domain.graph import Graph
from dab.ingest.dbt import parse_dbt
from dab.pii.detect import detect_pii
from dab.services.pii_scan import apply_findings

V12 = Path(__file__).parents[1] / "fixtures" / "dbt" / "v12"
API = "/api/v1"
ORDERS = "urn:dab:dbt:model:jaffle_shop:orders"
CUSTOMERS = "urn:dab:dbt:model:jaffle_shop:customers"
ARTIFACTS = ("manifest", "catalog", "run_results", "sources")
CUSTOM: dict[str, Any] = {
    "id": "model-name-short",
    "name": "Model names are short",
    "severity": "info",
    "category": "naming",
    "when": {"capsule_types": ["model"]},
    "expression": "size(capsule.name) <= 8",
    "remediation": "Use a shorter name.",
}
"""A custom rule as the API takes it."""


def artifacts() -> dict[str, Any]:
    return {k: orjson.loads((V12 / f"{k}.json").read_bytes()) for k in ARTIFACTS}


def ingest(client: TestClient, body: dict[str, Any] | None = None) -> None:
    response = client.post(f"{API}/ingest/dbt?wait=true", json=body or artifacts())
    assert response.status_code == 201, response.text


def parsed_graph() -> Graph:
    """The graph as ingestion stores it: parsed, with column lineage and PII findings."""
    docs = artifacts()
    graph = parse_dbt(docs["manifest"], docs["catalog"], docs["run_results"], docs["sources"])
    graph.column_edges = derive_graph_lineage(graph).edges
    apply_findings(graph.columns.values(), detect_pii(graph.columns.values(), graph.column_edges))
    return graph


def evaluate(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post(f"{API}/conformance/evaluate", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def violations(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get(f"{API}/conformance/violations", params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def find(client: TestClient, rule_id: str, subject_urn: str) -> dict[str, Any]:
    rows = [v for v in violations(client, rule=rule_id)["data"] if v["subject_urn"] == subject_urn]
    assert len(rows) == 1, rows
    row: dict[str, Any] = rows[0]
    return row
