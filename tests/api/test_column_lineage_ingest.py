"""Column lineage at ingestion: coverage with reasons, and re-derivation only where inputs changed."""

from __future__ import annotations

import copy
from typing import Any

from fastapi.testclient import TestClient
from tests.api.ingest_helpers import artifacts
from tests.api.test_compliance_pii import _ingest

API = "/api/v1"
ORDERS = "model.jaffle_shop.orders"


def _edges_into(client: TestClient, column: str) -> set[tuple[str, str]]:
    urn = f"urn:dab:dbt:column:jaffle_shop:{column}"
    body = client.get(f"{API}/columns/{urn}/lineage", params={"direction": "upstream", "depth": 1}).json()
    return {(e["source"].rsplit(":", 1)[-1], e["kind"]) for e in body["edges"]}


def _regenerated(body: dict[str, Any], stamp: str) -> dict[str, Any]:
    out = copy.deepcopy(body)
    out["manifest"]["metadata"]["generated_at"] = stamp
    return out


def test_unchanged_models_keep_their_lineage(client: TestClient) -> None:
    body = artifacts("v12")
    first = _ingest(client, body)["stats"]["column_lineage"]
    assert (first["models"], first["derived"], first["reused"]) == (5, 5, 0)
    before = _edges_into(client, "orders.order_id")

    again = _ingest(client, _regenerated(body, "2030-01-01T00:00:00Z"))["stats"]["column_lineage"]
    assert (again["models"], again["full"], again["derived"], again["reused"]) == (5, 5, 0, 5)
    assert _edges_into(client, "orders.order_id") == before

    changed = _regenerated(body, "2030-01-02T00:00:00Z")
    node = changed["manifest"]["nodes"][ORDERS]
    node["compiled_code"] = 'select md5(order_id) as order_id from "jaffle_shop"."staging"."stg_orders"'
    stats = _ingest(client, changed)["stats"]["column_lineage"]
    assert (stats["derived"], stats["reused"]) == (1, 4)
    assert _edges_into(client, "orders.order_id") == {("stg_orders.order_id", "masking")}
    assert stats["partial"] == 1  # the other columns of orders are no longer in its SQL's output
    assert {m["reason"] for m in stats["misses"]} == {"unknown_column"}


def test_every_miss_has_a_reason(client: TestClient) -> None:
    body = copy.deepcopy(artifacts("v12"))
    body["manifest"]["nodes"][ORDERS]["compiled_code"] = "select from where"
    body["manifest"]["nodes"]["model.jaffle_shop.customers"]["compiled_code"] = None
    coverage = _ingest(client, body)["stats"]["column_lineage"]
    assert (coverage["full"], coverage["partial"], coverage["none"]) == (3, 0, 2)
    reasons = {m["capsule_urn"].rsplit(":", 1)[-1]: m for m in coverage["misses"]}
    assert reasons["orders"]["reason"] == "parse_error" and "line 1, col" in reasons["orders"]["detail"]
    assert reasons["customers"]["reason"] == "no_compiled_sql"
