"""parse_dbt_texts (the ingestion's parse, one document decoded at a time): exactly the graph
parse_dbt builds from the same artifacts, with the documents released as they are read."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest
from tests.unit.ingest.dbt_docs import VERSIONS, fixture_docs, graph_state

from dab.errors import InvalidArtifact
from dab.ingest.dbt import parse_dbt, parse_dbt_texts


def _docs(version: str) -> dict[str, Any]:
    return {kind: doc for kind, doc in fixture_docs(version).items() if doc is not None}


def _with_odd_catalog(docs: dict[str, Any]) -> dict[str, Any]:
    """Catalog columns the compact form must read as the dicts did: an empty object, a
    non-object, a name differing only in case (the last wins), stats, a missing index, and
    an entry with no node."""
    entry = next(iter(docs["catalog"]["nodes"].values()))
    columns = entry["columns"]
    first = next(iter(columns))
    columns["EMPTY_ONE"] = {}
    columns["not_an_object"] = "int"
    columns[first.upper()] = {"name": first.upper(), "type": "TEXT", "index": 99, "comment": "last"}
    columns["with_stats"] = {"name": "with_stats", "type": "int", "stats": {"rows": {"value": 3}}}
    docs["catalog"]["nodes"]["model.x.orphan"] = {"columns": {"a": {"name": "a", "type": "int"}}}
    return docs


_state = graph_state


def _expected(docs: dict[str, Any]) -> tuple[Any, ...]:
    copied = copy.deepcopy(docs)
    graph = parse_dbt(
        copied["manifest"], copied.get("catalog"), copied.get("run_results"), copied.get("sources")
    )
    return _state(graph)


def _texts(docs: dict[str, Any]) -> dict[str, bytes]:
    return {kind: orjson.dumps(doc) for kind, doc in docs.items()}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("odd", [False, True], ids=["as-is", "odd-catalog"])
def test_the_same_graph_as_parse_dbt(version: str, odd: bool) -> None:
    docs = _docs(version)
    if odd:
        assert "catalog" in docs
        docs = _with_odd_catalog(docs)
    texts = _texts(docs)
    graph, invocation = parse_dbt_texts(texts)
    assert _state(graph) == _expected(docs)
    assert texts == {}  # each text is released once decoded
    expected_invocation = (
        docs["run_results"]["metadata"].get("invocation_id") if "run_results" in docs else None
    )
    assert invocation == expected_invocation
    if odd:
        assert any("model.x.orphan" in issue.json_path for issue in graph.issues)


def test_the_manifest_alone() -> None:
    docs = {"manifest": _docs(VERSIONS[-1])["manifest"]}
    graph, invocation = parse_dbt_texts(_texts(docs))
    assert _state(graph) == _expected(docs)
    assert invocation is None


def test_column_strings_and_empty_mappings_are_shared() -> None:
    """Repeated names, types and descriptions are one object each; columns without meta or
    stats share one read-only empty mapping (the graph's per-column memory)."""
    graph, _ = parse_dbt_texts(_texts(_docs(VERSIONS[-1])))
    columns = list(graph.columns.values())
    for attribute in ("name", "data_type", "description"):
        values = [getattr(c, attribute) for c in columns if getattr(c, attribute) is not None]
        assert len(values) > len(set(values)), attribute  # the fixture repeats some
        assert len({id(v) for v in values}) == len(set(values)), attribute
    bare = [c for c in columns if not c.meta]
    assert bare and len({id(c.meta) for c in bare}) == 1
    with pytest.raises(TypeError):
        bare[0].meta["x"] = 1  # type: ignore[index]


def test_notes_name_their_artifact() -> None:
    docs = _docs(VERSIONS[-1])
    texts = _texts(docs)
    texts["catalog"] = texts["catalog"].replace(b'"columns"', b'"colu\\u0000mns"', 1)
    notes: dict[str, list[str]] = {}
    parse_dbt_texts(texts, notes=notes)
    assert list(notes) == [f"{kind}.json" for kind in docs]  # in the order given
    assert notes["catalog.json"] and not notes["manifest.json"]


def test_a_bad_catalog_names_the_catalog() -> None:
    docs = _docs(VERSIONS[-1])
    texts = _texts(docs)
    texts["catalog"] = texts["manifest"]
    with pytest.raises(InvalidArtifact) as caught:
        parse_dbt_texts(texts)
    assert caught.value.artifact == "catalog.json"
    assert caught.value.json_path == "$.metadata.dbt_schema_version"
