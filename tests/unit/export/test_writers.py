"""Every format, opened by the tool it is for, keeps a hostile graph's text as data."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.graph_consumers import (
    cypher_lint,
    dot_svg,
    falkordb_server,
    load_cypher,
    mermaid_parse,
    mermaid_text,
)
from tests.tools import require_module
from tests.unit.export.hostile import MODEL_A, MODEL_B, hostile_items

from dab.export import EXPORTERS, FORMATS, Edge, Node, RenderOptions, render
from dab.export.mermaid import MAX_EDGES

ITEMS = hostile_items()
NODES = [i for i in ITEMS if isinstance(i, Node)]
EDGES = [i for i in ITEMS if isinstance(i, Edge)]


def text_of(name: str, items: list[Node | Edge] = ITEMS, **options: Any) -> str:
    return "".join(render(EXPORTERS[name].writer(RenderOptions(**options)), items))  # type: ignore[arg-type]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"graph.{EXPORTERS[name].extension}"
    path.write_text(text, encoding="utf-8")
    return path


class TestRegistry:
    def test_five_formats_in_the_runbook_order(self) -> None:
        assert [f.name for f in FORMATS] == ["graphml", "dot", "cypher", "mermaid", "json-ld"]

    @pytest.mark.parametrize("name", [f.name for f in FORMATS])
    def test_same_graph_gives_the_same_bytes(self, name: str) -> None:
        assert text_of(name) == text_of(name)
        assert text_of(name) != text_of(name, ITEMS[:-1])


class TestGraphML:
    def test_networkx_reads_every_node_edge_and_property_back(self) -> None:
        require_module("networkx", "pip install -e '.[dev]'")
        import networkx as nx

        graph = nx.parse_graphml(text_of("graphml"), force_multigraph=True)
        assert sorted(graph.nodes) == sorted(n.urn for n in NODES)
        for node in NODES:
            data = graph.nodes[node.urn]
            assert data["kind"] == node.label
            assert {k: v for k, v in data.items() if k not in ("kind", "label")} == dict(node.props)
        got = sorted((s, t, d["type"], tuple(sorted(d.items()))) for s, t, d in graph.edges(data=True))
        want = sorted(
            (e.source, e.target, e.type, tuple(sorted({"type": e.type, **e.props}.items()))) for e in EDGES
        )
        assert got == want

    @settings(max_examples=60, deadline=None)
    @given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufffe\uffff")))
    def test_any_xml_text_round_trips(self, text: str) -> None:
        import networkx as nx

        legal = re.sub("[\x01-\x08\x0b\x0c\x0e-\x1f]", "\ufffd", text)
        items: list[Node | Edge] = [Node("Capsule", "urn:x" + text, {"name": text, "description": text})]
        graph = nx.parse_graphml(text_of("graphml", items))
        assert graph.nodes["urn:x" + legal]["name"] == legal


class TestDot:
    @pytest.mark.parametrize("cluster", [None, "layer", "domain"])
    def test_graphviz_renders_every_node_and_edge(self, tmp_path: Path, cluster: str | None) -> None:
        svg = dot_svg(write(tmp_path, "dot", text_of("dot", cluster=cluster)))
        assert svg.count('class="node"') == len(NODES)
        assert svg.count('class="edge"') == len(EDGES)
        if cluster:
            assert 'class="cluster"' in svg

    def test_urns_survive_into_the_svg(self, tmp_path: Path) -> None:
        svg = dot_svg(write(tmp_path, "dot", text_of("dot")))
        assert 'id="urn:dab:dbt:model:evil:a&quot;b&lt;c&gt;&amp;d\\"' in svg


class TestCypher:
    def test_neo4j_parser_accepts_it_and_rejects_broken_cypher(self, tmp_path: Path) -> None:
        text = text_of("cypher")
        broken = tmp_path / "broken.cypher"
        broken.write_text(text.replace("MERGE (n:Capsule", "MERGE (n:Capsule {", 1))
        good, bad = cypher_lint(write(tmp_path, "cypher", text), broken)
        assert good["ok"], good["errors"]
        assert not bad["ok"]

    def test_falkordb_loads_it_twice_without_duplicates_and_keeps_text(self) -> None:
        text = text_of("cypher")
        with falkordb_server() as client:
            for _ in range(2):
                graph = load_cypher(client, "hostile", text)
                assert graph.query("MATCH (n) RETURN count(n)").result_set == [[len(NODES)]]
                assert graph.query("MATCH ()-[r]->() RETURN count(r)").result_set == [[len(EDGES)]]
            rows = graph.query("MATCH (n) RETURN n.urn, n.name, n.description, n.ordinal").result_set
            want = [
                [n.urn, n.props.get("name"), n.props.get("description"), n.props.get("ordinal")]
                for n in NODES
            ]
            assert sorted(rows, key=str) == sorted(want, key=str)
            derived = graph.query("MATCH (a:Column)-[r:DERIVED_FROM]->(b:Column) RETURN r.transformation")
            assert derived.result_set == [[EDGES[4].props["transformation"]]]
            flows = graph.query("MATCH (a)-[:FLOWS_TO]->(b:Capsule) RETURN a.urn, b.urn").result_set
            assert flows == [[MODEL_B, MODEL_A]]

    def test_any_text_round_trips_through_falkordb(self) -> None:
        # FalkorDB does not decode \\uXXXX escapes (Neo4j does): other control characters are left out.
        alphabet = st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\n\r\t")
        with falkordb_server() as client:
            graph = client.select_graph("round_trip")

            @settings(max_examples=80, deadline=None)
            @given(st.text(alphabet))
            def check(text: str) -> None:
                items: list[Node | Edge] = [Node("Capsule", "urn:x:" + text, {"name": text})]
                load_cypher(client, "round_trip", text_of("cypher", items))
                found = graph.query("MATCH (n:Capsule {urn: $urn}) RETURN n.name", {"urn": "urn:x:" + text})
                assert found.result_set == [[text]]

            check()


class TestMermaid:
    def test_mermaid_parses_it(self, tmp_path: Path) -> None:
        text = text_of("mermaid")
        [result] = mermaid_parse(write(tmp_path, "mermaid", text))
        assert result["ok"], result.get("error")
        assert text.count("-->") + text.count("-.->") == len(EDGES)
        assert "left out" not in text
        shown = {mermaid_text(label) for label in result["labels"].values()}
        assert shown == {n.props["name"] for n in NODES}

    def test_mermaid_rejects_what_the_writer_avoids(self, tmp_path: Path) -> None:
        path = tmp_path / "bad.mmd"
        path.write_text('graph LR\n  end["x"]\n')
        [result] = mermaid_parse(path)
        assert not result["ok"]

    def test_too_big_a_graph_is_cut_with_a_comment_and_still_parses(self, tmp_path: Path) -> None:
        urns = [f"urn:dab:dbt:model:big:m{i}" for i in range(3_000)]
        items: list[Node | Edge] = [Node("Capsule", u, {"name": u, "layer": "gold"}) for u in urns]
        items += [Edge("FLOWS_TO", urns[i], urns[i + 1], "Capsule", "Capsule") for i in range(2_999)]
        text = text_of("mermaid", items)
        assert len(text) < 50_000
        assert text.count("-->") <= MAX_EDGES
        assert re.search(r"%% left out \d+ nodes and \d+ edges", text)
        [result] = mermaid_parse(write(tmp_path, "mermaid", text))
        assert result["ok"], result.get("error")


class TestJsonLd:
    def test_rdflib_reads_urns_names_and_prov_lineage(self) -> None:
        require_module("rdflib", "pip install -e '.[dev]'")
        from rdflib import Graph, Literal, Namespace, URIRef
        from rdflib.namespace import PROV, RDF

        dab, schema = Namespace("https://dab.dev/ns#"), Namespace("https://schema.org/")
        graph = Graph().parse(data=text_of("json-ld"), format="json-ld")
        by_urn = {str(o): s for s, o in graph.subject_objects(dab.urn)}
        assert sorted(by_urn) == sorted(n.urn for n in NODES)
        for node in NODES:
            assert (by_urn[node.urn], schema.name, Literal(node.props["name"])) in graph
        a, b = by_urn[MODEL_A], by_urn[MODEL_B]
        assert (a, PROV.wasDerivedFrom, b) in graph  # b FLOWS_TO a
        assert (a, RDF.type, URIRef("http://www.w3.org/ns/dcat#Dataset")) in graph
        quals = list(graph.objects(predicate=PROV.qualifiedDerivation))
        assert len(quals) == 1
        assert graph.value(quals[0], dab.transformation) == Literal(EDGES[4].props["transformation"])

    @settings(max_examples=60, deadline=None)
    @given(st.text(st.characters(blacklist_categories=("Cs",))))
    def test_any_text_round_trips(self, text: str) -> None:
        from rdflib import Graph, Literal, Namespace

        items: list[Node | Edge] = [Node("Capsule", "urn:x:" + text, {"name": text})]
        graph = Graph().parse(data=text_of("json-ld", items), format="json-ld")
        assert Literal(text) in set(graph.objects(predicate=Namespace("https://schema.org/").name))
        assert Literal("urn:x:" + text) in set(graph.objects(predicate=Namespace("https://dab.dev/ns#").urn))


def test_every_registered_format_is_opened_by_a_consumer_here() -> None:
    """A sixth format is one module in dab.export, and one class of consumer tests in this file."""
    consumers = {
        "graphml": TestGraphML,
        "dot": TestDot,
        "cypher": TestCypher,
        "mermaid": TestMermaid,
        "json-ld": TestJsonLd,
    }
    assert consumers.keys() == EXPORTERS.keys()
    assert all(any(name.startswith("test_") for name in vars(cls)) for cls in consumers.values())
