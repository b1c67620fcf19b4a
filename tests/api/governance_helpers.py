"""Artifacts with run_results and sources.json of known timestamps, for SLO and re-ingestion tests."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import quote

from fastapi.testclient import TestClient
from tests.api.ingest_helpers import artifacts

INGEST = "/api/v1/ingest/dbt"
ORDERS = "urn:dab:dbt:model:jaffle_shop:orders"
CUSTOMERS = "urn:dab:dbt:model:jaffle_shop:customers"
STG_ORDERS = "urn:dab:dbt:model:jaffle_shop:stg_orders"
RAW_ORDERS = "urn:dab:dbt:source:jaffle_shop:jaffle_shop.orders"
STATUS_COLUMN = "urn:dab:dbt:column:jaffle_shop:orders.status"
ORDERS_ID = "model.jaffle_shop.orders"
CUSTOMERS_ID = "model.jaffle_shop.customers"
RAW_ORDERS_ID = "source.jaffle_shop.jaffle_shop.orders"


def enc(urn: str) -> str:
    """A URN as one percent-encoded path segment."""
    return quote(urn, safe="")


def with_runs(
    invocation: str, runs: dict[str, tuple[str, str]], *, loaded: dict[str, str] | None = None
) -> dict[str, Any]:
    """The fixture artifacts as written by dbt invocation ``invocation``.

    ``runs`` maps a unique_id to (status, completed_at) of its run; ``loaded`` maps a source's
    unique_id to its sources.json ``max_loaded_at``. Other nodes keep the fixture's results.
    """
    body = copy.deepcopy(artifacts())
    body["run_results"]["metadata"]["invocation_id"] = invocation
    for result in body["run_results"]["results"]:
        if result["unique_id"] in runs:
            status, completed = runs[result["unique_id"]]
            result["status"] = status
            for step in result["timing"]:
                step["started_at"] = step["completed_at"] = completed
    body["sources"]["metadata"]["invocation_id"] = f"{invocation}-sources"
    for result in body["sources"]["results"]:
        if loaded and result["unique_id"] in loaded:
            result["max_loaded_at"] = loaded[result["unique_id"]]
    return body


def ingest(client: TestClient, body: dict[str, Any]) -> None:
    response = client.post(INGEST, params={"wait": "true"}, json=body)
    assert response.status_code == 201, response.text


def create_product(client: TestClient, name: str, **fields: Any) -> dict[str, Any]:
    response = client.post("/api/v1/products", json={"name": name, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def add_member(client: TestClient, product_id: str, capsule: str, role: str) -> None:
    response = client.post(f"/api/v1/products/{product_id}/capsules/{enc(capsule)}", json={"role": role})
    assert response.status_code in (200, 201), response.text
