"""Products, tags and domains through the API: ids or URNs, every bad input a 4xx that changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.api.governance_helpers import ORDERS, STATUS_COLUMN, add_member, create_product, enc, ingest
from tests.api.ingest_helpers import artifacts

PRODUCTS = "/api/v1/products"
TAGS = "/api/v1/tags"


@pytest.fixture
def ingested(client: TestClient) -> None:
    ingest(client, artifacts())


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def _capsule_id(client: TestClient, urn: str) -> int:
    return int(client.get(f"/api/v1/capsules/{urn}").json()["id"])


@pytest.mark.usefixtures("ingested")
class TestProducts:
    def test_create_read_update_delete(self, client: TestClient) -> None:
        customer = client.get("/api/v1/domains/customer").json()
        product = create_product(
            client, "customer-360", domain_id=customer["id"], owner="growth@example.com", status="active"
        )
        assert (product["domain"], product["status"], product["version"]) == ("customer", "active", "1.0.0")
        # (TestClient decodes paths twice, so an URN with a %-escape is exercised by the live curl test)
        assert client.get(f"{PRODUCTS}/{product['urn']}").json()["id"] == product["id"]
        listed = client.get(PRODUCTS).json()
        assert (listed["total"], listed["limit"], listed["offset"]) == (1, 50, 0)
        changed = client.patch(
            f"{PRODUCTS}/{product['id']}",
            json={"version": "2.0.0", "status": "deprecated", "domain_id": None},
        )
        assert changed.status_code == 200, changed.text
        assert (changed.json()["version"], changed.json()["domain"]) == ("2.0.0", None)
        assert client.get(PRODUCTS, params={"status": "deprecated"}).json()["total"] == 1
        assert client.delete(f"{PRODUCTS}/{product['id']}").status_code == 204
        _problem(client.get(f"{PRODUCTS}/{product['id']}"), 404)

    def test_members_by_stored_id_or_encoded_urn_and_listed_on_the_capsule(self, client: TestClient) -> None:
        product = create_product(client, "Orders")
        by_id = client.post(
            f"{PRODUCTS}/{product['id']}/capsules/{_capsule_id(client, ORDERS)}", json={"role": "output"}
        )
        assert (by_id.status_code, by_id.json()["capsule_urn"]) == (201, ORDERS)
        again = client.post(f"{PRODUCTS}/{product['id']}/capsules/{enc(ORDERS)}", json={"role": "internal"})
        assert (again.status_code, again.json()["role"]) == (200, "internal")
        links = client.get(f"/api/v1/capsules/{ORDERS}").json()["data_products"]
        assert [(p["id"], p["role"]) for p in links] == [(product["id"], "internal")]
        assert client.delete(f"{PRODUCTS}/{product['id']}/capsules/{enc(ORDERS)}").status_code == 204
        assert client.get(f"/api/v1/capsules/{ORDERS}").json()["data_products"] == []
        _problem(client.delete(f"{PRODUCTS}/{product['id']}/capsules/{enc(ORDERS)}"), 404)

    def test_duplicate_name_is_409_and_stores_nothing(self, client: TestClient) -> None:
        create_product(client, "Orders")
        problem = _problem(client.post(PRODUCTS, json={"name": "Orders"}), 409)
        assert "Orders" in problem["detail"]
        other = create_product(client, "Other")
        _problem(client.patch(f"{PRODUCTS}/{other['id']}", json={"name": "Orders"}), 409)
        assert client.get(PRODUCTS).json()["total"] == 2

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("slo_freshness_hours", 0),
            ("slo_availability_percent", 100.5),
            ("slo_quality_threshold", 1.5),
            ("status", "retired"),
            ("name", ""),
        ],
    )
    def test_invalid_field_is_422_naming_it(self, client: TestClient, field: str, value: Any) -> None:
        body = {"name": "P", field: value}
        problem = _problem(client.post(PRODUCTS, json=body), 422)
        assert ["body", field] in [e["loc"] for e in problem["errors"]]
        assert client.get(PRODUCTS).json()["total"] == 0

    def test_unknown_domain_is_422_naming_domain_id(self, client: TestClient) -> None:
        problem = _problem(client.post(PRODUCTS, json={"name": "P", "domain_id": "nope"}), 422)
        assert problem["errors"][0]["loc"] == ["body", "domain_id"]
        problem = _problem(client.get(PRODUCTS, params={"domain": "nope"}), 422)
        assert problem["errors"][0]["loc"] == ["query", "domain"]
        assert client.get(PRODUCTS, params={"domain": "order"}).json()["total"] == 0

    def test_invalid_role_is_422(self, client: TestClient) -> None:
        product = create_product(client, "P")
        problem = _problem(
            client.post(f"{PRODUCTS}/{product['id']}/capsules/{enc(ORDERS)}", json={"role": "owner"}), 422
        )
        assert problem["errors"][0]["loc"] == ["body", "role"]
        assert client.get(f"{PRODUCTS}/{product['id']}/capsules").json()["total"] == 0

    @pytest.mark.parametrize(
        "path",
        [
            "/api/v1/products/missing",
            "/api/v1/products/missing/capsules",
            "/api/v1/products/missing/slo-status",
        ],
    )
    def test_unknown_product_is_404(self, client: TestClient, path: str) -> None:
        assert "missing" in _problem(client.get(path), 404)["detail"]

    def test_unknown_capsule_is_404(self, client: TestClient) -> None:
        product = create_product(client, "P")
        for ref in ("999999", enc("urn:dab:dbt:model:jaffle_shop:nope")):
            _problem(client.post(f"{PRODUCTS}/{product['id']}/capsules/{ref}", json={"role": "input"}), 404)


@pytest.mark.usefixtures("ingested")
class TestTags:
    def test_dbt_tags_are_tags_with_origin_dbt(self, client: TestClient) -> None:
        dbt = client.get(TAGS, params={"origin": "dbt"}).json()["data"]
        assert {t["name"] for t in dbt} >= {"marts", "staging", "pii"}
        marts = next(t for t in dbt if t["name"] == "marts")
        assert marts["capsule_count"] == 2
        _problem(client.delete(f"{TAGS}/{marts['id']}"), 409)
        _problem(client.delete(f"{TAGS}/capsules/{enc(ORDERS)}/{marts['id']}"), 409)

    def test_create_apply_list_update_remove(self, client: TestClient) -> None:
        tag = client.post(
            TAGS, json={"name": "pii", "category": "compliance", "sensitivity_level": "restricted"}
        )
        assert tag.status_code == 201, tag.text
        tag_id = tag.json()["id"]
        column_id = client.get(f"/api/v1/columns/{STATUS_COLUMN}").json()["id"]
        applied = client.post(
            f"{TAGS}/columns/{column_id}/{tag.json()['urn']}", json={"added_by": "ops@x.com"}
        )
        assert (applied.status_code, applied.json()["column_urn"]) == (201, STATUS_COLUMN)
        assert client.post(f"{TAGS}/columns/{enc(STATUS_COLUMN)}/{tag_id}", json={}).status_code == 200
        assert (
            client.post(f"{TAGS}/capsules/{enc(ORDERS)}/{tag_id}", json={"added_by": "ops@x.com"}).status_code
            == 201
        )
        capsules = client.get(f"{TAGS}/{tag_id}/capsules").json()
        assert [(c["urn"], c["added_by"], c["origin"]) for c in capsules["data"]] == [
            (ORDERS, "ops@x.com", "api")
        ]
        assert client.get(f"{TAGS}/{tag_id}").json()["column_count"] == 1
        renamed = client.patch(f"{TAGS}/{tag_id}", json={"name": "personal-data", "description": "GDPR"})
        assert renamed.json()["urn"] == "urn:dab:tag:compliance:personal-data"
        assert client.delete(f"{TAGS}/columns/{enc(STATUS_COLUMN)}/{tag_id}").status_code == 204
        assert client.get(f"{TAGS}/{tag_id}/columns").json()["total"] == 0
        assert client.delete(f"{TAGS}/{tag_id}").status_code == 204
        assert client.get(f"/api/v1/capsules/{ORDERS}").json()["tags"][0]["origin"] == "dbt"

    def test_duplicate_is_409_invalid_sensitivity_is_422(self, client: TestClient) -> None:
        assert client.post(TAGS, json={"name": "gold", "category": "tier"}).status_code == 201
        _problem(client.post(TAGS, json={"name": "gold", "category": "tier"}), 409)
        problem = _problem(client.post(TAGS, json={"name": "x", "sensitivity_level": "secret"}), 422)
        assert problem["errors"][0]["loc"] == ["body", "sensitivity_level"]
        assert client.get(TAGS, params={"origin": "api"}).json()["total"] == 1

    def test_unknown_tag_capsule_or_column_is_404(self, client: TestClient) -> None:
        tag_id = client.post(TAGS, json={"name": "t"}).json()["id"]
        _problem(client.get(f"{TAGS}/nope/capsules"), 404)
        _problem(client.post(f"{TAGS}/capsules/{enc(ORDERS)}/nope", json={}), 404)
        _problem(
            client.post(f"{TAGS}/capsules/{enc('urn:dab:dbt:model:jaffle_shop:nope')}/{tag_id}", json={}), 404
        )
        _problem(client.post(f"{TAGS}/columns/424242/{tag_id}", json={}), 404)
        _problem(client.delete(f"{TAGS}/columns/{enc(STATUS_COLUMN)}/{tag_id}"), 404)


@pytest.mark.usefixtures("ingested")
class TestDomains:
    def test_api_domain_lifecycle(self, client: TestClient) -> None:
        made = client.post("/api/v1/domains", json={"name": "finance", "owner": "cfo@x.com"})
        assert (made.status_code, made.json()["origin"]) == (201, "api")
        _problem(client.post("/api/v1/domains", json={"name": "finance"}), 409)
        product = create_product(client, "Ledger", domain_id=made.json()["urn"])
        add_member(client, product["id"], ORDERS, "output")
        assert (
            client.patch(f"/api/v1/domains/{made.json()['id']}", json={"description": "Money"}).status_code
            == 200
        )
        assert client.get("/api/v1/domains/finance").json()["description"] == "Money"
        assert client.delete(f"/api/v1/domains/{made.json()['id']}").status_code == 204
        assert client.get(f"{PRODUCTS}/{product['id']}").json()["domain_id"] is None

    def test_a_domain_dbt_capsules_belong_to_cannot_be_deleted(self, client: TestClient) -> None:
        assert "capsules" in _problem(client.delete("/api/v1/domains/order"), 409)["detail"]
        _problem(client.patch("/api/v1/domains/nope", json={"owner": "x"}), 404)
        _problem(client.patch("/api/v1/domains/order", json={"name": "renamed"}), 422)
