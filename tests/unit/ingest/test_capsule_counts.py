"""The capsule digests of a first write are computed before the items' digests exist (while
the forked child computes those): from the graph's columns directly. They must equal the
digests computed from the grouped, digested items, which every other write uses."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from dab.domain.graph import Graph
from dab.ingest.dbt import load_artifact, parse_dbt
from dab.services.graph_persistence import _capsule_items, _counts_of, _graph_counts, _Subtrees

FIXTURES = Path(__file__).parents[2] / "fixtures" / "dbt"
VERSIONS = sorted(p.name for p in FIXTURES.iterdir() if (p / "manifest.json").is_file())


def _graph(version: str) -> Graph:
    manifest, catalog = (FIXTURES / version / f"{kind}.json" for kind in ("manifest", "catalog"))
    graph = parse_dbt(
        load_artifact(manifest.read_bytes(), manifest.name),
        load_artifact(catalog.read_bytes(), catalog.name) if catalog.is_file() else None,
    )
    # PII on every other column, and a column of no parsed capsule: both must count alike.
    for i, urn in enumerate(list(graph.columns)):
        if i % 2:
            graph.columns[urn].pii_type = "email"
    stray = next(iter(graph.columns.values()))
    graph.columns["urn:stray.column"] = dataclasses.replace(
        stray, urn="urn:stray.column", capsule_urn="urn:no.such.capsule"
    )
    return graph


@pytest.mark.parametrize("version", VERSIONS)
def test_counts_from_the_graph_equal_those_of_the_digested_subtrees(version: str) -> None:
    graph = _graph(version)
    subtrees = _Subtrees.of(graph)

    from_graph = _graph_counts(graph)
    from_subtrees = _counts_of(subtrees, graph.capsules)

    assert from_graph == from_subtrees
    assert list(from_graph) == list(graph.capsules)  # the order the capsules are written in
    assert any(pii for _, pii in from_graph.values()), "the fixture's PII must be counted"
    assert "urn:no.such.capsule" not in from_graph
    assert _capsule_items(graph, from_graph) == _capsule_items(graph, from_subtrees)


def test_a_pii_type_changes_the_capsule_digest() -> None:
    graph = _graph(VERSIONS[0])
    before = {e.urn: e.digest for e in _capsule_items(graph, _graph_counts(graph))}
    column = next(c for c in graph.columns.values() if c.pii_type and c.capsule_urn in graph.capsules)
    column.pii_type = None

    after = {e.urn: e.digest for e in _capsule_items(graph, _graph_counts(graph))}

    assert {urn for urn in before if before[urn] != after[urn]} == {column.capsule_urn}
