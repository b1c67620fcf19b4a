"""parse_dbt(consume=True): the same graph as a parse that leaves its input alone, with the
nodes and catalog entries released once read (the ingestion's peak memory)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from tests.unit.ingest.dbt_docs import VERSIONS, fixture_docs, graph_state

from dab.domain.graph import Graph
from dab.ingest.dbt import parse_dbt
from dab.ingest.dbt._reuse import ParseMemo

_docs = fixture_docs


def _with_odd_entries(docs: dict[str, Any]) -> dict[str, Any]:
    """A disabled model, a catalog entry without a node, a dependency on no capsule: the
    warnings and skips that read the input after the capsules are built."""
    nodes = docs["manifest"]["nodes"]
    model = next(n for n in nodes.values() if n.get("resource_type") == "model")
    disabled = {
        **copy.deepcopy(model),
        "unique_id": "model.x.off",
        "name": "off",
        "config": {"enabled": False},
    }
    nodes["model.x.off"] = disabled
    model.setdefault("depends_on", {}).setdefault("nodes", []).append("model.x.nowhere")
    if docs["catalog"] is not None:
        docs["catalog"]["nodes"]["model.x.orphan"] = {"columns": {"a": {"name": "a", "type": "int"}}}
    return docs


def _parse(docs: dict[str, Any], **kwargs: Any) -> Graph:
    return parse_dbt(docs["manifest"], docs["catalog"], docs["run_results"], docs["sources"], **kwargs)


_state = graph_state


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("odd", [False, True], ids=["as-is", "odd-entries"])
def test_consuming_parse_builds_the_same_graph(version: str, odd: bool) -> None:
    docs = _docs(version)
    if odd:
        docs = _with_odd_entries(docs)
    expected = _state(_parse(copy.deepcopy(docs)))
    assert _state(_parse(docs, consume=True)) == expected
    if odd:
        assert any("model.x.nowhere" in issue.message for issue in expected[5])


@pytest.mark.parametrize("version", VERSIONS)
def test_bodies_are_released(version: str) -> None:
    """Every node once its last pass has read it (capsule nodes as ``depends_on`` until the
    lineage pass; test nodes once their test is built), and every catalog entry."""
    docs = _docs(version)
    nodes = docs["manifest"]["nodes"]
    count = len(nodes)
    graph = _parse(docs, consume=True)
    assert graph.tests and len(nodes) == count
    assert all(node == {} for node in nodes.values())
    if docs["catalog"] is not None:
        assert docs["catalog"]["nodes"] == {} and docs["catalog"]["sources"] == {}


def test_a_kept_parse_never_consumes() -> None:
    """The PR gate keeps node bodies to reuse capsules of unchanged nodes."""
    docs = _docs(VERSIONS[-1])
    expected = copy.deepcopy(docs)
    _parse(docs, consume=True, keep=ParseMemo())
    assert docs == expected
