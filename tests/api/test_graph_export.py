"""GET /graph/formats, /graph/export and /graph/export/lineage/{urn} against a real database,
each answer opened by the tool its format is for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.api.graph_export_helpers import (
    CUSTOMERS,
    DASHBOARD,
    HOSTILE_DESCRIPTION,
    HOSTILE_NAME,
    ORDERS,
    PRODUCT,
    ingest_enriched,
    stored_graph,
)
from tests.api.ingest_helpers import snapshot
from tests.api.test_catalog_lineage import lineage
from tests.graph_consumers import cypher_lint, dot_svg, falkordb_server, load_cypher, mermaid_parse
from tests.tools import require_module

API = "/api/v1"
FORMATS = ["graphml", "dot", "cypher", "mermaid", "json-ld"]
ALL = {"include_columns": "true", "include_tags": "true", "include_data_products": "true"}


@pytest.fixture
def jaffle(client: TestClient, settings: Any) -> TestClient:
    ingest_enriched(client, settings.database_url)
    return client


def export(client: TestClient, path: str = "/graph/export", **params: Any) -> str:
    response = client.get(f"{API}{path}", params=params)
    assert response.status_code == 200, response.text
    return response.text


def graphml(text: str) -> Any:
    require_module("networkx", "pip install -e '.[dev]'")
    import networkx as nx

    return nx.parse_graphml(text, force_multigraph=True)


def structure(text: str) -> tuple[dict[str, str], set[tuple[str, str, str]]]:
    graph = graphml(text)
    nodes = {urn: data["kind"] for urn, data in graph.nodes(data=True)}
    return nodes, {(d["type"], s, t) for s, t, d in graph.edges(data=True)}


def assert_closed(nodes: dict[str, str], edges: set[tuple[str, str, str]], stored: set[Any]) -> None:
    """No edge leaves the subgraph, and every stored edge among its nodes is in it."""
    assert all(s in nodes and t in nodes for _, s, t in edges)
    assert edges == {e for e in stored if e[1] in nodes and e[2] in nodes}


class TestFormats:
    def test_the_runbook_list(self, client: TestClient) -> None:
        assert client.get(f"{API}/graph/formats").json() == FORMATS

    def test_detail_names_extension_and_media_type(self, client: TestClient) -> None:
        detail = client.get(f"{API}/graph/formats", params={"detail": "true"}).json()
        assert [(d["name"], d["extension"]) for d in detail] == [
            ("graphml", "graphml"),
            ("dot", "dot"),
            ("cypher", "cypher"),
            ("mermaid", "mmd"),
            ("json-ld", "jsonld"),
        ]
        assert all(d["media_type"] and d["description"] for d in detail)


class TestWholeGraph:
    def test_graphml_equals_the_stored_graph(self, jaffle: TestClient, settings: Any) -> None:
        nodes, edges = structure(export(jaffle, format="graphml", **ALL))
        stored_nodes, stored_edges = stored_graph(settings.database_url)
        assert nodes == stored_nodes
        assert edges == stored_edges
        assert {"Capsule", "Exposure", "Column", "Domain", "Tag", "DataProduct"} == set(nodes.values())
        assert {e[0] for e in edges} == {
            "FLOWS_TO",
            "CONTAINS",
            "DERIVED_FROM",
            "BELONGS_TO",
            "TAGGED_WITH",
            "PART_OF",
        }

    def test_properties_and_hostile_text_round_trip(self, jaffle: TestClient) -> None:
        graph = graphml(export(jaffle, format="graphml", **ALL))
        dashboard = graph.nodes[DASHBOARD]
        assert (dashboard["name"], dashboard["description"]) == (HOSTILE_NAME, HOSTILE_DESCRIPTION)
        orders = graph.nodes[ORDERS]
        assert (orders["kind"], orders["type"], orders["layer"], orders["domain"], orders["owner"]) == (
            "Capsule",
            "model",
            "gold",
            "order",
            "finance-analytics",
        )
        roles = {(s, d.get("role")) for s, t, d in graph.edges(data=True) if t == PRODUCT}
        assert (ORDERS, "output") in roles

    def test_without_includes_only_capsules_and_domains(self, jaffle: TestClient, settings: Any) -> None:
        nodes, edges = structure(export(jaffle, format="graphml"))
        assert set(nodes.values()) == {"Capsule", "Exposure", "Domain"}
        assert {e[0] for e in edges} == {"FLOWS_TO", "BELONGS_TO"}
        assert_closed(nodes, edges, stored_graph(settings.database_url)[1])

    @pytest.mark.parametrize(
        "filters",
        [
            {"layer": "gold"},
            {"domain": "order"},
            {"project": "jaffle_shop"},
            {"layer": "bronze", "domain": "customer"},
        ],
    )
    def test_filters_give_a_closed_subgraph(
        self, jaffle: TestClient, settings: Any, filters: dict[str, str]
    ) -> None:
        nodes, edges = structure(export(jaffle, format="graphml", **ALL, **filters))
        capsules = jaffle.get(f"{API}/capsules", params={**filters, "limit": 1000}).json()["data"]
        wanted = {c["urn"] for c in capsules}
        assert {u for u, kind in nodes.items() if kind in ("Capsule", "Exposure")} == wanted
        assert_closed(nodes, edges, stored_graph(settings.database_url)[1])

    def test_unknown_filter_values_give_an_empty_graph(self, jaffle: TestClient) -> None:
        nodes, edges = structure(export(jaffle, format="graphml", project="nope", **ALL))
        assert (nodes, edges) == ({}, set())


class TestLineage:
    @pytest.mark.parametrize(
        ("direction", "depth"), [("both", 3), ("upstream", 1), ("downstream", 5), ("upstream", 10)]
    )
    def test_same_capsules_and_edges_as_the_lineage_api(
        self, jaffle: TestClient, direction: str, depth: int
    ) -> None:
        text = export(
            jaffle, f"/graph/export/lineage/{ORDERS}", format="graphml", direction=direction, depth=depth
        )
        nodes, edges = structure(text)
        distances, flows = lineage(jaffle, ORDERS, direction=direction, depth=depth)
        assert {u for u, k in nodes.items() if k in ("Capsule", "Exposure")} == set(distances)
        assert {(s, t) for kind, s, t in edges if kind == "FLOWS_TO"} == flows

    def test_depth_defaults_to_the_lineage_apis(self, jaffle: TestClient) -> None:
        nodes, _ = structure(export(jaffle, f"/graph/export/lineage/{ORDERS}", format="graphml"))
        distances, _ = lineage(jaffle, ORDERS)
        assert {u for u, k in nodes.items() if k in ("Capsule", "Exposure")} == set(distances)

    def test_columns_come_with_their_lineage(self, jaffle: TestClient, settings: Any) -> None:
        text = export(
            jaffle, f"/graph/export/lineage/{ORDERS}", format="graphml", include_columns="true", depth=1
        )
        nodes, edges = structure(text)
        assert "urn:dab:dbt:column:jaffle_shop:orders.order_id" in nodes
        assert (
            "DERIVED_FROM",
            "urn:dab:dbt:column:jaffle_shop:orders.order_id",
            "urn:dab:dbt:column:jaffle_shop:stg_orders.order_id",
        ) in edges
        assert CUSTOMERS not in nodes
        assert_closed(nodes, edges, stored_graph(settings.database_url)[1])


class TestConsumers:
    def test_runbook_exports_open_in_their_tools(self, jaffle: TestClient, tmp_path: Path) -> None:
        files = {
            "graph.mmd": export(jaffle, format="mermaid"),
            "orders_lineage.mmd": export(
                jaffle, f"/graph/export/lineage/{ORDERS}", format="mermaid", depth=3
            ),
            "downstream.mmd": export(
                jaffle, f"/graph/export/lineage/{ORDERS}", format="mermaid", direction="downstream"
            ),
            "full_graph.dot": export(jaffle, format="dot", **ALL),
            "upstream.dot": export(
                jaffle, f"/graph/export/lineage/{ORDERS}", format="dot", direction="upstream", depth=5
            ),
            "clustered.dot": export(jaffle, format="dot", cluster="domain", **ALL),
            "import.cypher": export(jaffle, format="cypher", **ALL),
        }
        for name, text in files.items():
            (tmp_path / name).write_text(text, encoding="utf-8")
        for result in mermaid_parse(*(tmp_path / n for n in files if n.endswith(".mmd"))):
            assert result["ok"], result
        for name in (n for n in files if n.endswith(".dot")):
            assert dot_svg(tmp_path / name).count('class="node"') > 0
        [linted] = cypher_lint(tmp_path / "import.cypher")
        assert linted["ok"], linted["errors"]

    def test_cypher_loads_into_falkordb_twice(self, jaffle: TestClient, settings: Any) -> None:
        text = export(jaffle, format="cypher", **ALL)
        stored_nodes, stored_edges = stored_graph(settings.database_url)
        with falkordb_server() as client:
            for _ in range(2):
                graph = load_cypher(client, "jaffle", text)
                assert graph.query("MATCH (n) RETURN count(n)").result_set == [[len(stored_nodes)]]
                assert graph.query("MATCH ()-[r]->() RETURN count(r)").result_set == [[len(stored_edges)]]
            names = graph.query(
                f"MATCH (n:Exposure {{urn: '{DASHBOARD}'}}) RETURN n.name, n.description"
            ).result_set
            assert names == [[HOSTILE_NAME, HOSTILE_DESCRIPTION]]

    def test_json_ld_parses_with_prov_lineage(self, jaffle: TestClient, settings: Any) -> None:
        require_module("rdflib", "pip install -e '.[dev]'")
        from rdflib import Graph, URIRef
        from rdflib.namespace import PROV

        graph = Graph().parse(data=export(jaffle, format="json-ld", **ALL), format="json-ld")
        assert (URIRef(DASHBOARD), PROV.wasDerivedFrom, URIRef(ORDERS)) in graph
        column_edges = sum(1 for edge in stored_graph(settings.database_url)[1] if "DERIVED_FROM" in edge)
        assert column_edges > 2  # derived from the compiled SQL at ingestion, plus the two the helper adds
        assert len(list(graph.triples((None, PROV.wasDerivedFrom, None)))) == 8 + 1 + column_edges


class TestResponses:
    @pytest.mark.parametrize(
        ("name", "media_type", "extension"),
        [
            ("graphml", "application/graphml+xml", "graphml"),
            ("dot", "text/vnd.graphviz", "dot"),
            ("cypher", "application/x-cypher-query", "cypher"),
            ("mermaid", "text/vnd.mermaid", "mmd"),
            ("json-ld", "application/ld+json", "jsonld"),
        ],
    )
    def test_headers_and_same_bytes_every_time(
        self, jaffle: TestClient, name: str, media_type: str, extension: str
    ) -> None:
        first = jaffle.get(f"{API}/graph/export", params={"format": name, **ALL})
        second = jaffle.get(f"{API}/graph/export", params={"format": name, **ALL})
        assert first.content == second.content
        assert first.headers["content-type"] == f"{media_type}; charset=utf-8"
        assert first.headers["content-disposition"] == f'attachment; filename="dab-graph.{extension}"'
        sub = jaffle.get(f"{API}/graph/export/lineage/{ORDERS}", params={"format": name})
        assert sub.headers["content-disposition"] == f'attachment; filename="dab-lineage-orders.{extension}"'


class TestBadInput:
    @pytest.mark.parametrize(
        ("path", "params", "status", "where"),
        [
            ("/graph/export", {"format": "svg"}, 422, ["query", "format"]),
            ("/graph/export", {}, 422, ["query", "format"]),
            ("/graph/export", {"format": "dot", "layer": "platinum"}, 422, ["query", "layer"]),
            ("/graph/export", {"format": "dot", "cluster": "owner"}, 422, ["query", "cluster"]),
            (
                "/graph/export",
                {"format": "dot", "include_columns": "maybe"},
                422,
                ["query", "include_columns"],
            ),
            (f"/graph/export/lineage/{ORDERS}", {"format": "png"}, 422, ["query", "format"]),
            (f"/graph/export/lineage/{ORDERS}", {"format": "dot", "depth": 0}, 422, ["query", "depth"]),
            (f"/graph/export/lineage/{ORDERS}", {"format": "dot", "depth": 11}, 422, ["query", "depth"]),
            (
                f"/graph/export/lineage/{ORDERS}",
                {"format": "dot", "direction": "sideways"},
                422,
                ["query", "direction"],
            ),
            ("/graph/export/lineage/urn:dab:dbt:model:jaffle_shop:nope", {"format": "dot"}, 404, None),
        ],
    )
    def test_problem_naming_the_parameter_and_nothing_changes(
        self,
        jaffle: TestClient,
        settings: Any,
        path: str,
        params: dict[str, Any],
        status: int,
        where: list[str] | None,
    ) -> None:
        before = snapshot(settings.database_url)
        response = jaffle.get(f"{API}{path}", params=params)
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        if where:
            assert where in [e["loc"] for e in body["errors"]]
        else:
            assert "nope" in body["detail"]
        assert snapshot(settings.database_url) == before

    def test_unknown_format_lists_the_five(self, client: TestClient) -> None:
        detail = client.get(f"{API}/graph/export", params={"format": "svg"}).json()["detail"]
        assert "graphml, dot, cypher, mermaid, json-ld" in detail
