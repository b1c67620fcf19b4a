"""Search: ranked exact > prefix > substring, case-insensitive, across every kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

V12 = Path(__file__).parents[1] / "fixtures" / "dbt" / "v12"
API = "/api/v1"


@pytest.fixture
def jaffle(client: TestClient) -> TestClient:
    body = {
        k: orjson.loads((V12 / f"{k}.json").read_bytes())
        for k in ("manifest", "catalog", "run_results", "sources")
    }
    assert client.post(f"{API}/ingest/dbt?wait=true", json=body).status_code == 201
    return client


def search(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"{API}/search", params=params)
    assert response.status_code == 200, response.text
    hits: list[dict[str, Any]] = response.json()["data"]
    return hits


class TestSearch:
    def test_exact_before_prefix_before_substring(self, jaffle: TestClient) -> None:
        hits = search(jaffle, q="ORDERS", limit=50)
        assert (hits[0]["kind"], hits[0]["urn"], hits[0]["score"], hits[0]["match"]) == (
            "capsule",
            "urn:dab:dbt:model:jaffle_shop:orders",
            1.0,
            "exact",
        )
        scores = [h["score"] for h in hits]
        assert scores == sorted(scores, reverse=True)
        assert {h["match"] for h in hits[1:]} <= {"exact", "prefix", "contains"}
        assert "urn:dab:dbt:model:jaffle_shop:stg_orders" in {
            h["urn"] for h in hits if h["match"] == "contains"
        }

    def test_prefix_hits(self, jaffle: TestClient) -> None:
        hits = search(jaffle, q="stg_", kind="capsule")
        assert [h["name"] for h in hits] == ["stg_orders", "stg_payments", "stg_customers"]
        assert all(h["match"] == "prefix" and h["score"] == 0.75 for h in hits)

    def test_every_kind_is_searchable(self, jaffle: TestClient) -> None:
        assert {h["kind"] for h in search(jaffle, q="customer", limit=100)} >= {"capsule", "column", "domain"}
        tag = search(jaffle, q="pii", kind="tag")
        assert [(h["name"], h["urn"], h["match"]) for h in tag] == [("pii", "urn:dab:tag:dbt:pii", "exact")]
        assert search(jaffle, q="customer", kind="domain")[0]["urn"] == "urn:dab:domain:customer"
        assert search(jaffle, q="anything", kind="product") == []

    def test_limit_and_kind_filter(self, jaffle: TestClient) -> None:
        hits = search(jaffle, q="id", kind="column", limit=3)
        assert len(hits) == 3
        assert {h["kind"] for h in hits} == {"column"}

    def test_wildcards_match_literally(self, jaffle: TestClient) -> None:
        assert search(jaffle, q="%") == []
        assert all("_" in h["name"] for h in search(jaffle, q="_", limit=100))

    @pytest.mark.parametrize(
        ("params", "parameter"),
        [
            ({}, "q"),
            ({"q": ""}, "q"),
            ({"q": "x" * 201}, "q"),
            ({"q": "a", "kind": "planet"}, "kind"),
            ({"q": "a", "limit": 101}, "limit"),
        ],
    )
    def test_bad_parameters_are_422(self, jaffle: TestClient, params: dict[str, Any], parameter: str) -> None:
        response = jaffle.get(f"{API}/search", params=params)
        assert response.status_code == 422
        assert ["query", parameter] in [e["loc"] for e in response.json()["errors"]]

    def test_blank_query_is_422(self, jaffle: TestClient) -> None:
        response = jaffle.get(f"{API}/search", params={"q": "   "})
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["query", "q"]


ODD_TEXT = ['"', 'or"ders', "ord*", "NEAR(a b)", "{name} : x", "customer_id AND", "ORD", "orders'", "\\%_"]


class TestTextFilterThroughTheIndex:
    """capsules/columns ``?q=`` and search go through the FTS5 tables on SQLite (pg_trgm on
    PostgreSQL): FTS5 syntax and quotes in q are plain text, and the answers are the substring
    matches a case-insensitive scan finds."""

    @pytest.mark.parametrize("q", ODD_TEXT)
    def test_odd_text_is_plain_text(self, jaffle: TestClient, q: str) -> None:
        for path in ("capsules", "columns", "search"):
            response = jaffle.get(f"{API}/{path}", params={"q": q, "limit": 100})
            assert response.status_code == 200, (path, q, response.text)

    def test_list_filters_answer_the_substring_matches(self, jaffle: TestClient) -> None:
        everything = jaffle.get(f"{API}/columns", params={"limit": 1000}).json()["data"]
        for q in ("ORDER", "stomer_i", "amount", "zzz"):
            page = jaffle.get(f"{API}/columns", params={"q": q, "limit": 1000}).json()
            expected = [
                c["urn"]
                for c in sorted(everything, key=lambda c: c["id"])  # with a text: the index's id order
                if any(q.lower() in (c[f] or "").lower() for f in ("name", "urn", "description"))
            ]
            assert [c["urn"] for c in page["data"]] == expected
            assert page["total"] == len(expected) and page["total_exact"] is True
        assert jaffle.get(f"{API}/capsules", params={"q": "ORDERS"}).json()["total"] >= 2

    def test_nul_in_q_is_422(self, jaffle: TestClient) -> None:
        for path in ("capsules", "columns", "search"):
            response = jaffle.get(f"{API}/{path}", params={"q": "ord\x00ers"})
            assert response.status_code == 422, path
