"""Tags, product memberships and domains made through the API survive every re-ingestion:
regenerated artifacts (new invocation id) and a model dropped then brought back."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.api.governance_helpers import (
    CUSTOMERS,
    ORDERS,
    ORDERS_ID,
    STATUS_COLUMN,
    add_member,
    create_product,
    enc,
    ingest,
)
from tests.api.ingest_helpers import artifacts, without_model

from dab.storage.db import create_engine
from dab.storage.records import CapsuleRecord, CapsuleTagRecord, ColumnRecord, ColumnTagRecord


def _regenerated() -> dict[str, Any]:
    """What a new `dbt build` writes: new invocation ids and timestamps, orders re-tagged."""
    body = copy.deepcopy(artifacts())
    for kind in ("manifest", "run_results", "sources", "catalog"):
        body[kind]["metadata"]["invocation_id"] = "regenerated-invocation"
        body[kind]["metadata"]["generated_at"] = "2026-12-01T00:00:00Z"
    node = body["manifest"]["nodes"][ORDERS_ID]
    node["tags"] = node["config"]["tags"] = ["finance"]
    return body


def _orphan_dbt_links(database_url: str) -> int:
    async def go() -> int:
        engine = create_engine(database_url)
        async with engine.connect() as conn:
            total = 0
            for link, key, subject in (
                (CapsuleTagRecord, CapsuleTagRecord.capsule_urn, CapsuleRecord),
                (ColumnTagRecord, ColumnTagRecord.column_urn, ColumnRecord),
            ):
                orphan = ~key.in_(select(subject.urn))
                total += int(
                    await conn.scalar(select(func.count(link.id)).where(link.origin == "dbt", orphan)) or 0
                )
        await engine.dispose()
        return total

    return asyncio.run(go())


@pytest.fixture
def annotated(client: TestClient) -> dict[str, str]:
    ingest(client, artifacts())
    domain = client.post("/api/v1/domains", json={"name": "payments-platform", "owner": "pay@example.com"})
    assert domain.status_code == 201, domain.text
    patched = client.patch(
        "/api/v1/domains/order", json={"owner": "orders@example.com", "description": "Orders"}
    )
    assert patched.status_code == 200, patched.text
    product = create_product(client, "Orders 360", domain_id=domain.json()["urn"], slo_quality_threshold=0.9)
    add_member(client, product["id"], ORDERS, "output")
    add_member(client, product["id"], CUSTOMERS, "input")
    tag = client.post("/api/v1/tags", json={"name": "certified", "category": "governance"}).json()
    for path in (f"capsules/{enc(ORDERS)}", f"columns/{enc(STATUS_COLUMN)}"):
        response = client.post(f"/api/v1/tags/{path}/{tag['id']}", json={"added_by": "ops@example.com"})
        assert response.status_code == 201, response.text
    return {"product": product["id"], "tag": tag["id"], "domain": domain.json()["id"]}


def _tags_of(client: TestClient, urn: str) -> list[tuple[str, str]]:
    detail = client.get(f"/api/v1/capsules/{urn}").json()
    return sorted((t["name"], t["origin"]) for t in detail["tags"])


def _assert_annotations_kept(client: TestClient, ids: dict[str, str]) -> None:
    domains = {d["name"]: d for d in client.get("/api/v1/domains").json()["data"]}
    assert domains["payments-platform"]["origin"] == "api"
    assert domains["payments-platform"]["owner"] == "pay@example.com"
    assert (domains["order"]["owner"], domains["order"]["description"]) == ("orders@example.com", "Orders")
    product = client.get(f"/api/v1/products/{ids['product']}").json()
    assert product["domain"] == "payments-platform"
    members = client.get(f"/api/v1/products/{ids['product']}/capsules").json()["data"]
    assert [(m["urn"], m["role"], m["present"]) for m in members] == [
        (CUSTOMERS, "input", True),
        (ORDERS, "output", True),
    ]
    assert [c["urn"] for c in client.get(f"/api/v1/tags/{ids['tag']}/columns").json()["data"]] == [
        STATUS_COLUMN
    ]
    assert [p["name"] for p in client.get(f"/api/v1/capsules/{ORDERS}").json()["data_products"]] == [
        "Orders 360"
    ]


def test_regenerated_artifacts_keep_api_annotations_and_replace_dbt_tags(
    client: TestClient, annotated: dict[str, str]
) -> None:
    assert ("marts", "dbt") in _tags_of(client, ORDERS)
    ingest(client, _regenerated())
    _assert_annotations_kept(client, annotated)
    assert _tags_of(client, ORDERS) == [("certified", "api"), ("finance", "dbt")]


def test_a_dropped_model_gets_its_annotations_back_when_it_returns(
    client: TestClient, annotated: dict[str, str], database_url: str
) -> None:
    ingest(client, without_model(artifacts(), ORDERS_ID))
    assert client.get(f"/api/v1/capsules/{ORDERS}").status_code == 404
    members = client.get(f"/api/v1/products/{annotated['product']}/capsules").json()["data"]
    assert [(m["urn"], m["present"]) for m in members] == [(CUSTOMERS, True), (ORDERS, False)]
    assert client.get(f"/api/v1/tags/{annotated['tag']}/capsules").json()["total"] == 0
    assert _orphan_dbt_links(database_url) == 0  # dbt's own links went with the model

    ingest(client, artifacts())
    _assert_annotations_kept(client, annotated)
    assert _tags_of(client, ORDERS) == [("certified", "api"), ("marts", "dbt")]
    tagged = client.get(f"/api/v1/tags/{annotated['tag']}/capsules").json()["data"]
    assert [(c["urn"], c["added_by"]) for c in tagged] == [(ORDERS, "ops@example.com")]
