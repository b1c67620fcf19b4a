"""Catalog API over the jaffle_shop demo: lists, filters, totals, detail, 404s and 422s."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from tests.api.governance_helpers import add_member, create_product, enc

from dab.settings import Settings
from dab.storage.repositories.capsules import CapsuleRepository

V12 = Path(__file__).parents[1] / "fixtures" / "dbt" / "v12"
API = "/api/v1"
ORDERS = "urn:dab:dbt:model:jaffle_shop:orders"
CUSTOMERS = "urn:dab:dbt:model:jaffle_shop:customers"


def ingest_jaffle(client: TestClient) -> None:
    body = {
        k: orjson.loads((V12 / f"{k}.json").read_bytes())
        for k in ("manifest", "catalog", "run_results", "sources")
    }
    response = client.post(f"{API}/ingest/dbt?wait=true", json=body)
    assert response.status_code == 201, response.text


@pytest.fixture
def jaffle(client: TestClient) -> TestClient:
    ingest_jaffle(client)
    return client


def _get(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(f"{API}{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


class TestListCapsules:
    @pytest.mark.parametrize(
        ("params", "expected_total"),
        [
            ({}, 11),
            ({"layer": "gold"}, 2),
            ({"layer": "bronze"}, 9),
            ({"domain": "order"}, 1),
            ({"capsule_type": "seed"}, 3),
            ({"capsule_type": "source"}, 3),
            ({"capsule_type": "model"}, 5),
            ({"tag": "marts"}, 2),
            ({"tag": "pii"}, 1),
            ({"owner": "analytics-engineering"}, 3),
            ({"source": "dbt"}, 11),
            ({"source": "airflow"}, 0),
            ({"has_pii": "true"}, 4),
            ({"has_pii": "false"}, 7),
            ({"q": "STG_"}, 3),
            ({"layer": "bronze", "capsule_type": "model"}, 3),
            ({"layer": "bronze", "capsule_type": "model", "has_pii": "true"}, 1),
            ({"tag": "marts", "owner": "finance-analytics"}, 1),
        ],
    )
    def test_total_honours_every_filter(
        self, jaffle: TestClient, params: dict[str, str], expected_total: int
    ) -> None:
        page = _get(jaffle, "/capsules", limit=2, **params)
        assert page["total"] == expected_total
        assert len(page["data"]) == min(2, expected_total)
        assert (page["limit"], page["offset"]) == (2, 0)
        everything = _get(jaffle, "/capsules", limit=1000, **params)
        assert len(everything["data"]) == expected_total

    def test_filters_select_the_right_capsules(self, jaffle: TestClient) -> None:
        page = _get(jaffle, "/capsules", layer="bronze", capsule_type="model", has_pii="true")
        assert [c["urn"] for c in page["data"]] == ["urn:dab:dbt:model:jaffle_shop:stg_customers"]
        assert {c["name"] for c in _get(jaffle, "/capsules", tag="marts")["data"]} == {"orders", "customers"}
        for capsule in _get(jaffle, "/capsules", q="Payment")["data"]:
            text = f"{capsule['name']} {capsule['urn']} {capsule['description']}".lower()
            assert "payment" in text

    def test_pages_walk_the_whole_list_in_a_stable_order(self, jaffle: TestClient) -> None:
        everything = [c["urn"] for c in _get(jaffle, "/capsules", limit=1000, sort="layer")["data"]]
        walked: list[str] = []
        for offset in range(0, 12, 3):
            walked += [
                c["urn"] for c in _get(jaffle, "/capsules", limit=3, offset=offset, sort="layer")["data"]
            ]
        assert walked == everything
        assert len(set(walked)) == 11

    def test_sort_by_name_both_ways(self, jaffle: TestClient) -> None:
        names = [c["name"] for c in _get(jaffle, "/capsules", sort="name")["data"]]
        assert names == sorted(names)
        assert [c["name"] for c in _get(jaffle, "/capsules", sort="-name")["data"]] == names[::-1]

    @pytest.mark.parametrize(
        ("params", "parameter"),
        [
            ({"limit": 1001}, "limit"),
            ({"limit": 0}, "limit"),
            ({"offset": -1}, "offset"),
            ({"sort": "colour"}, "sort"),
            ({"layer": "platinum"}, "layer"),
            ({"has_pii": "perhaps"}, "has_pii"),
        ],
    )
    def test_bad_parameters_are_422_naming_the_parameter(
        self, jaffle: TestClient, params: dict[str, Any], parameter: str
    ) -> None:
        response = jaffle.get(f"{API}/capsules", params=params)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert ["query", parameter] in [e["loc"] for e in response.json()["errors"]]


class TestCapsuleDetail:
    def test_full_detail(self, jaffle: TestClient) -> None:
        detail = _get(jaffle, f"/capsules/{ORDERS}")
        assert detail["urn"] == ORDERS
        assert (detail["capsule_type"], detail["layer"], detail["layer_evidence"]) == (
            "model",
            "gold",
            "folder:marts",
        )
        assert (detail["domain"], detail["domain_evidence"]) == ("order", "meta.domain")
        assert (detail["owner"], detail["owner_evidence"]) == ("finance-analytics", "meta.owner")
        assert detail["materialization"] == "table"
        assert detail["column_count"] == 9
        assert detail["pii_column_count"] == 0
        assert {(t["name"], t["origin"]) for t in detail["tags"]} == {("marts", "dbt")}
        assert set(detail["last_run"]) == {"status", "execution_time", "completed_at"}
        assert detail["data_products"] == []
        kinds = {t["kind"] for t in detail["tests"]}
        assert {"unique", "not_null", "singular"} <= kinds
        singular = next(t for t in detail["tests"] if t["kind"] == "singular")
        assert (singular["severity"], singular["status"], singular["column"]) == ("warn", "warn", None)
        assert "freshness" in detail

    def test_columns_in_order(self, jaffle: TestClient) -> None:
        page = _get(jaffle, f"/capsules/{ORDERS}/columns")
        assert page["total"] == 9
        assert [c["ordinal"] for c in page["data"]] == sorted(c["ordinal"] for c in page["data"])
        assert page["data"][0]["urn"] == "urn:dab:dbt:column:jaffle_shop:orders.order_id"

    def test_violations_empty_when_none(self, jaffle: TestClient) -> None:
        assert _get(jaffle, f"/capsules/{ORDERS}/violations") == {
            "data": [],
            "total": 0,
            "limit": 50,
            "offset": 0,
        }

    @pytest.mark.parametrize("suffix", ["", "/columns", "/lineage", "/impact", "/violations"])
    def test_unknown_urn_is_404_naming_it(self, jaffle: TestClient, suffix: str) -> None:
        urn = "urn:dab:dbt:model:jaffle_shop:nope"
        response = jaffle.get(f"{API}/capsules/{urn}{suffix}")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert urn in response.json()["detail"]

    def test_urn_matching_is_case_sensitive(self, jaffle: TestClient) -> None:
        assert jaffle.get(f"{API}/capsules/{ORDERS.upper()}").status_code == 404


class TestColumns:
    def test_filters_and_totals(self, jaffle: TestClient) -> None:
        assert _get(jaffle, "/columns", limit=1)["total"] == 60
        assert _get(jaffle, "/columns", capsule=ORDERS)["total"] == 9
        emails = _get(jaffle, "/columns", pii_type="email")
        assert emails["total"] == 4
        assert {c["name"] for c in emails["data"]} == {"email"}
        assert _get(jaffle, "/columns", pii_type="email", capsule=CUSTOMERS)["total"] == 1
        assert _get(jaffle, "/columns", q="ORDER_ID", capsule=ORDERS)["total"] == 1
        assert _get(jaffle, "/columns", tag="nothing-tagged")["total"] == 0
        assert _get(jaffle, "/columns", semantic_type="nothing")["total"] == 0

    def test_detail_with_tests(self, jaffle: TestClient) -> None:
        detail = _get(jaffle, "/columns/urn:dab:dbt:column:jaffle_shop:orders.order_id")
        assert (detail["name"], detail["capsule_urn"]) == ("order_id", ORDERS)
        assert {t["kind"] for t in detail["tests"]} == {"unique", "not_null"}

    def test_unknown_column_is_404(self, jaffle: TestClient) -> None:
        urn = "urn:dab:dbt:column:jaffle_shop:orders.nope"
        for suffix in ("", "/lineage"):
            response = jaffle.get(f"{API}/columns/{urn}{suffix}")
            assert response.status_code == 404
            assert urn in response.json()["detail"]


class TestDomains:
    def test_domains_with_counts(self, jaffle: TestClient) -> None:
        page = _get(jaffle, "/domains")
        assert page["total"] == 2
        assert {(d["name"], d["capsule_count"]) for d in page["data"]} == {("order", 1), ("customer", 1)}
        detail = _get(jaffle, "/domains/customer")
        assert detail["urn"] == "urn:dab:domain:customer"
        assert detail["capsules_by_layer"] == {"gold": 1}

    def test_domain_capsules_paged(self, jaffle: TestClient) -> None:
        page = _get(jaffle, "/domains/order/capsules", limit=5)
        assert (page["total"], [c["urn"] for c in page["data"]]) == (1, [ORDERS])

    def test_unknown_domain_is_404(self, jaffle: TestClient) -> None:
        for path in ("/domains/nowhere", "/domains/nowhere/capsules"):
            response = jaffle.get(f"{API}{path}")
            assert response.status_code == 404
            assert "nowhere" in response.json()["detail"]


async def _related_both_ways(url: str, urn: str) -> tuple[Any, Any]:
    engine = create_async_engine(url)
    try:
        async with AsyncSession(engine) as session:
            repo = CapsuleRepository(session)
            one_trip = await repo.related(urn)
            three_trips = (await repo.tags(urn), await repo.tests(urn), await repo.products(urn))
            return one_trip, three_trips
    finally:
        await engine.dispose()


class TestDetailInOneRoundTrip:
    def test_union_answers_exactly_what_the_three_queries_answer(
        self, jaffle: TestClient, settings: Settings
    ) -> None:
        for name, role in (("zeta", "output"), ("alpha", "input")):
            product = create_product(jaffle, name)
            add_member(jaffle, product["id"], ORDERS, role)
        tag = jaffle.post(f"{API}/tags", json={"name": "certified", "category": "governance"}).json()
        applied = jaffle.post(
            f"{API}/tags/capsules/{enc(ORDERS)}/{tag['id']}", json={"added_by": "ops@x.org"}
        )
        assert applied.status_code == 201, applied.text
        one_trip, three_trips = asyncio.run(_related_both_ways(settings.effective_database_url, ORDERS))
        assert one_trip == three_trips
        tags, tests, products = one_trip
        assert len(tags) == 2 and len(tests) >= 3 and [p["name"] for p in products] == ["alpha", "zeta"]
        assert any(t["executed_at"] is not None for t in tests)  # timestamps come back typed
        detail = _get(jaffle, f"/capsules/{ORDERS}")
        assert [t["urn"] for t in detail["tags"]] == [t["urn"] for t in tags]
        assert [t["urn"] for t in detail["tests"]] == [t["urn"] for t in tests]
