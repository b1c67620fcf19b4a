"""Events captured from a real integration (``dbt-ol`` over jaffle_shop, see the fixture's
README) join the graph the dbt artifacts of the same project made: identity across sources."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
from fastapi.testclient import TestClient
from tests.api.ingest_helpers import artifacts

EVENTS = Path(__file__).parents[1] / "fixtures" / "openlineage" / "dbt_ol" / "events.jsonl"
NAMESPACE = "duckdb%3A%2F%2Fjaffle_shop%2Educkdb"
MODELS = ("stg_customers", "stg_orders", "stg_payments", "customers", "orders")


def _events() -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in EVENTS.read_bytes().splitlines() if line.strip()]


def _model(name: str) -> str:
    return f"urn:dab:dbt:model:jaffle_shop:{name}"


def _job(name: str) -> str:
    return f"urn:dab:openlineage:job:dbt:{name}"


def _upstream(client: TestClient, urn: str) -> set[str]:
    segment = quote(quote(urn, safe=""), safe="")  # TestClient unquotes the path once more
    response = client.get(f"/api/v1/capsules/{segment}/lineage", params={"direction": "upstream", "depth": 6})
    assert response.status_code == 200, response.text
    return {node["urn"] for node in response.json()["nodes"]}


def _ingest(client: TestClient) -> dict[str, Any]:
    response = client.post("/api/v1/ingest/dbt", params={"wait": "true"}, json=artifacts("v12"))
    assert response.status_code == 201, response.text
    events = _events()
    assert len(events) == 28
    response = client.post("/api/v1/lineage", json=events)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_captured_dbt_ol_events_land_on_the_dbt_models(client: TestClient) -> None:
    body = _ingest(client)
    assert (body["applied"], body["duplicates"]) == (28, 0)
    matched = body["matched_dbt_nodes"]
    for model in MODELS:
        schema = "staging" if model.startswith("stg_") else "marts"
        dataset = f"urn:dab:openlineage:dataset:{NAMESPACE}:jaffle_shop.{schema}.{model}"
        assert matched[dataset] == _model(model), model
    # The model built by its dbt-ol job: job -> model, and the model's upstream reaches the job
    # that built the staging model it reads.
    upstream = _upstream(client, _model("customers"))
    assert _job("jaffle_shop.marts.jaffle_shop.customers.build.run") in upstream
    assert _job("jaffle_shop.staging.jaffle_shop.stg_orders.build.run") in upstream
    assert _model("stg_orders") in upstream
    detail = client.get(f"/api/v1/capsules/{quote(quote(_model('orders'), safe=''), safe='')}").json()
    assert detail["asserted_by"] == ["dbt", "openlineage"]


def test_sources_named_by_their_table_name_are_the_dbt_sources_and_runs_are_recorded(
    client: TestClient,
) -> None:
    body = _ingest(client)
    # dbt-ol names a source "database.schema.<table name>", not its identifier (raw_customers):
    # no relation has that name, but exactly one dbt source does, so the dataset is that source.
    for table in ("customers", "orders", "payments"):
        raw = f"urn:dab:openlineage:dataset:{NAMESPACE}:jaffle_shop.raw.{table}"
        assert body["matched_dbt_nodes"][raw] == f"urn:dab:dbt:source:jaffle_shop:jaffle_shop.{table}"
    upstream = _upstream(client, _model("stg_customers"))
    assert "urn:dab:dbt:source:jaffle_shop:jaffle_shop.customers" in upstream
    assert _job("jaffle_shop.staging.jaffle_shop.stg_customers.build.run") in upstream
    assert not [urn for urn in upstream if urn.startswith("urn:dab:openlineage:dataset:")]
    # The parent run failed (a test failed), the model runs completed.
    parent = client.get(f"/api/v1/capsules/{quote(quote(_job('dbt-run-jaffle_shop'), safe=''), safe='')}")
    assert parent.status_code == 200, parent.text
    assert parent.json()["last_run"]["status"] == "error"
    again = client.post("/api/v1/lineage", json=_events()).json()
    assert (again["applied"], again["duplicates"]) == (0, 28)
