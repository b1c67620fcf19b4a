"""Lineage and impact, checked against hand-computed answers: jaffle_shop, a diamond, a cycle."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from dab.storage.db import create_engine
from dab.storage.records import CapsuleLineageRecord, CapsuleRecord

V12 = Path(__file__).parents[1] / "fixtures" / "dbt" / "v12"
API = "/api/v1"
J = "urn:dab:dbt:{}:jaffle_shop:{}"
ORDERS, CUSTOMERS = J.format("model", "orders"), J.format("model", "customers")
STG_ORDERS, STG_PAYMENTS = J.format("model", "stg_orders"), J.format("model", "stg_payments")
STG_CUSTOMERS = J.format("model", "stg_customers")
SRC_ORDERS, SRC_PAYMENTS = (
    J.format("source", "jaffle_shop.orders"),
    J.format("source", "jaffle_shop.payments"),
)
SRC_CUSTOMERS = J.format("source", "jaffle_shop.customers")


def urn(name: str) -> str:
    return f"urn:dab:test:model:t:{name}"


def ingest_jaffle(client: TestClient) -> None:
    body = {
        k: orjson.loads((V12 / f"{k}.json").read_bytes())
        for k in ("manifest", "catalog", "run_results", "sources")
    }
    assert client.post(f"{API}/ingest/dbt?wait=true", json=body).status_code == 201


def insert_graph(
    client: TestClient, url: str, names: list[str], edges: list[tuple[str, str]], owners: dict[str, str]
) -> None:
    """Crafted capsules and edges, written after an ingestion so the read cache is a new generation."""
    ingest_jaffle(client)
    asyncio.run(_insert(url, names, edges, owners))


async def _insert(url: str, names: list[str], edges: list[tuple[str, str]], owners: dict[str, str]) -> None:
    engine = create_engine(url)
    capsules = [
        {
            "urn": urn(n),
            "project": "t",
            "capsule_type": "exposure" if n.startswith("dash") else "model",
            "namespace": "t",
            "name": n,
            "owner": owners.get(n),
            "content_hash": "x",
        }
        for n in names
    ]
    async with engine.begin() as conn:
        await conn.execute(insert(CapsuleRecord), capsules)
        rows = [{"project": "t", "source_urn": urn(s), "target_urn": urn(t)} for s, t in edges]
        await conn.execute(insert(CapsuleLineageRecord), rows)
    await engine.dispose()


def lineage(client: TestClient, capsule: str, **params: Any) -> tuple[dict[str, int], set[tuple[str, str]]]:
    response = client.get(f"{API}/capsules/{capsule}/lineage", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    return {n["urn"]: n["distance"] for n in body["nodes"]}, {
        (e["source"], e["target"]) for e in body["edges"]
    }


class TestJaffleLineage:
    def test_upstream_of_orders(self, client: TestClient) -> None:
        ingest_jaffle(client)
        nodes, edges = lineage(client, ORDERS, direction="upstream", depth=5)
        assert nodes == {ORDERS: 0, STG_ORDERS: -1, STG_PAYMENTS: -1, SRC_ORDERS: -2, SRC_PAYMENTS: -2}
        assert edges == {
            (STG_ORDERS, ORDERS),
            (STG_PAYMENTS, ORDERS),
            (SRC_ORDERS, STG_ORDERS),
            (SRC_PAYMENTS, STG_PAYMENTS),
        }
        nodes, edges = lineage(client, ORDERS, direction="upstream", depth=1)
        assert nodes == {ORDERS: 0, STG_ORDERS: -1, STG_PAYMENTS: -1}
        assert edges == {(STG_ORDERS, ORDERS), (STG_PAYMENTS, ORDERS)}

    def test_downstream_and_both(self, client: TestClient) -> None:
        ingest_jaffle(client)
        nodes, _ = lineage(client, SRC_CUSTOMERS, direction="downstream", depth=10)
        assert nodes == {SRC_CUSTOMERS: 0, STG_CUSTOMERS: 1, CUSTOMERS: 2}
        nodes, edges = lineage(client, STG_ORDERS, direction="both", depth=1)
        assert nodes == {STG_ORDERS: 0, SRC_ORDERS: -1, ORDERS: 1, CUSTOMERS: 1}
        assert edges == {(SRC_ORDERS, STG_ORDERS), (STG_ORDERS, ORDERS), (STG_ORDERS, CUSTOMERS)}

    def test_seeds_are_not_connected(self, client: TestClient) -> None:
        # The parser models the raw tables as sources; the seeds feed nothing (checked by hand).
        ingest_jaffle(client)
        seed = J.format("seed", "raw_orders")
        assert lineage(client, seed, depth=10) == ({seed: 0}, set())

    def test_impact_of_a_source(self, client: TestClient) -> None:
        ingest_jaffle(client)
        response = client.get(f"{API}/capsules/{SRC_ORDERS}/impact")
        body = response.json()
        assert body["total"] == 3
        assert {i["urn"]: i["distance"] for i in body["impacted"]} == {STG_ORDERS: 1, ORDERS: 2, CUSTOMERS: 2}
        paths = {i["urn"]: i["path"] for i in body["impacted"]}
        assert paths[CUSTOMERS] == [SRC_ORDERS, STG_ORDERS, CUSTOMERS]
        assert body["owners"] == [
            {"owner": "analytics-engineering", "capsules": [STG_ORDERS]},
            {"owner": "finance-analytics", "capsules": [ORDERS]},
            {"owner": "growth-analytics", "capsules": [CUSTOMERS]},
        ]

    @pytest.mark.parametrize("depth", ["0", "11", "-1", "x"])
    def test_depth_out_of_range_is_422(self, client: TestClient, depth: str) -> None:
        ingest_jaffle(client)
        for path in (f"/capsules/{ORDERS}/lineage", f"/capsules/{ORDERS}/impact"):
            response = client.get(f"{API}{path}", params={"depth": depth})
            assert response.status_code == 422, (path, depth)
            assert ["query", "depth"] in [e["loc"] for e in response.json()["errors"]]

    def test_bad_direction_is_422(self, client: TestClient) -> None:
        ingest_jaffle(client)
        response = client.get(f"{API}/capsules/{ORDERS}/lineage", params={"direction": "sideways"})
        assert response.status_code == 422
        assert ["query", "direction"] in [e["loc"] for e in response.json()["errors"]]


class TestDiamond:
    """a -> b -> d, a -> c -> d, d -> dash (an exposure)."""

    @pytest.fixture
    def diamond(self, client: TestClient, database_url: str) -> TestClient:
        edges = [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"), ("d", "dash")]
        owners = {"b": "team-b", "c": "team-c", "d": "team-b", "dash": "bi"}
        insert_graph(client, database_url, ["a", "b", "c", "d", "dash"], edges, owners)
        return client

    def test_downstream_reaches_the_join_once(self, diamond: TestClient) -> None:
        nodes, edges = lineage(diamond, urn("a"), direction="downstream", depth=10)
        assert nodes == {urn("a"): 0, urn("b"): 1, urn("c"): 1, urn("d"): 2, urn("dash"): 3}
        assert len(edges) == 5
        nodes, edges = lineage(diamond, urn("a"), direction="downstream", depth=2)
        assert nodes == {urn("a"): 0, urn("b"): 1, urn("c"): 1, urn("d"): 2}
        assert edges == {
            (urn("a"), urn("b")),
            (urn("a"), urn("c")),
            (urn("b"), urn("d")),
            (urn("c"), urn("d")),
        }

    def test_upstream_of_the_join(self, diamond: TestClient) -> None:
        nodes, _ = lineage(diamond, urn("dash"), direction="upstream", depth=10)
        assert nodes == {urn("dash"): 0, urn("d"): -1, urn("b"): -2, urn("c"): -2, urn("a"): -3}

    def test_impact_paths_and_owners(self, diamond: TestClient) -> None:
        body = diamond.get(f"{API}/capsules/{urn('a')}/impact").json()
        impacted = {i["urn"]: i for i in body["impacted"]}
        assert {u: i["distance"] for u, i in impacted.items()} == {
            urn("b"): 1,
            urn("c"): 1,
            urn("d"): 2,
            urn("dash"): 3,
        }
        assert impacted[urn("dash")]["capsule_type"] == "exposure"
        # One shortest path, deterministic: edges are expanded in URN order, so via b.
        assert impacted[urn("dash")]["path"] == [urn("a"), urn("b"), urn("d"), urn("dash")]
        assert body["owners"] == [
            {"owner": "bi", "capsules": [urn("dash")]},
            {"owner": "team-b", "capsules": [urn("b"), urn("d")]},
            {"owner": "team-c", "capsules": [urn("c")]},
        ]
        shallow = diamond.get(f"{API}/capsules/{urn('a')}/impact", params={"depth": 1}).json()
        assert {i["urn"] for i in shallow["impacted"]} == {urn("b"), urn("c")}


class TestCycle:
    """x -> y -> z -> x, z -> w: every walk must end."""

    @pytest.fixture
    def cycle(self, client: TestClient, database_url: str) -> TestClient:
        edges = [("x", "y"), ("y", "z"), ("z", "x"), ("z", "w")]
        insert_graph(client, database_url, ["x", "y", "z", "w"], edges, {"w": "team-w"})
        return client

    def test_downstream_terminates(self, cycle: TestClient) -> None:
        nodes, edges = lineage(cycle, urn("x"), direction="downstream", depth=10)
        assert nodes == {urn("x"): 0, urn("y"): 1, urn("z"): 2, urn("w"): 3}
        assert len(edges) == 4

    def test_both_reports_each_node_once_at_its_nearest_distance(self, cycle: TestClient) -> None:
        nodes, _ = lineage(cycle, urn("x"), direction="both", depth=10)
        # y: downstream 1 / upstream -2 -> 1; z: downstream 2 / upstream -1 -> -1.
        assert nodes == {urn("x"): 0, urn("y"): 1, urn("z"): -1, urn("w"): 3}

    def test_impact_excludes_the_root(self, cycle: TestClient) -> None:
        body = cycle.get(f"{API}/capsules/{urn('x')}/impact").json()
        assert [i["urn"] for i in body["impacted"]] == [urn("y"), urn("z"), urn("w")]
        assert body["owners"] == [{"owner": "team-w", "capsules": [urn("w")]}]


class TestColumnLineage:
    def test_derived_from_compiled_sql_at_ingestion(self, client: TestClient) -> None:
        ingest_jaffle(client)
        src = "urn:dab:dbt:column:jaffle_shop:jaffle_shop.orders.id"
        stg = "urn:dab:dbt:column:jaffle_shop:stg_orders.order_id"
        mart = "urn:dab:dbt:column:jaffle_shop:orders.order_id"
        response = client.get(f"{API}/columns/{mart}/lineage", params={"direction": "upstream", "depth": 5})
        assert response.status_code == 200
        body = response.json()
        distances = {n["urn"]: n["distance"] for n in body["nodes"]}
        assert distances[stg] == -1
        assert distances[src] == -2
        assert all(n["capsule_urn"] for n in body["nodes"])
        edges = {(e["source"], e["target"], e["kind"]) for e in body["edges"]}
        assert (src, stg, "identity") in edges
        assert (stg, mart, "identity") in edges
        # the join key of stg_payments only decides which rows reach orders.order_id
        payments_key = "urn:dab:dbt:column:jaffle_shop:stg_payments.order_id"
        assert (payments_key, mart, "filter") in edges

    def test_downstream_kinds(self, client: TestClient) -> None:
        ingest_jaffle(client)
        amount = "urn:dab:dbt:column:jaffle_shop:stg_payments.amount"
        response = client.get(
            f"{API}/columns/{amount}/lineage", params={"direction": "downstream", "depth": 1}
        )
        kinds = {e["target"].rsplit(":", 1)[-1]: e["kind"] for e in response.json()["edges"]}
        assert kinds["orders.amount"] == "aggregation"
        assert kinds["customers.customer_lifetime_value"] == "aggregation"

    def test_unknown_column_is_404(self, client: TestClient) -> None:
        ingest_jaffle(client)
        response = client.get(f"{API}/columns/urn:dab:dbt:column:jaffle_shop:orders.nope/lineage")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
