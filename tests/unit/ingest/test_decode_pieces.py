"""Decoding ``nodes`` a piece at a time gives exactly what one ``orjson.loads`` gives, for
every document; cuts that are not between two nodes fall back to the whole decode."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dab.ingest.dbt._pieces import _cuts, _in_pieces, _Unsure, loads, outline_and_nodes

FIXTURES = Path(__file__).parents[2] / "fixtures" / "dbt"
SMALL = 256  # bytes per piece: every fixture is cut many times


def _same(text: bytes) -> None:
    expected = orjson.loads(text)
    got = loads(text, SMALL)
    assert got == expected
    assert list(got) == list(expected)  # key order too
    if isinstance(got, dict) and isinstance(got.get("nodes"), dict):
        assert list(got["nodes"]) == list(expected["nodes"])


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*/*.json")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixtures_decode_the_same(path: Path) -> None:
    _same(path.read_bytes())


@pytest.mark.parametrize("version", ["v9", "v11", "v12"])
def test_manifests_are_really_cut(version: str) -> None:
    text = (FIXTURES / version / "manifest.json").read_bytes()
    assert len(_cuts(text, SMALL)) > 3
    assert _in_pieces(text, SMALL) == orjson.loads(text)  # no fallback taken


@pytest.mark.parametrize("version", ["v9", "v11", "v12"])
def test_pieces_cut_out_of_a_given_up_text_are_the_same(version: str) -> None:
    """``given_up``: the pieces' texts copied out at once (the whole text can be released)."""
    text = (FIXTURES / version / "manifest.json").read_bytes()
    expected = orjson.loads(text)
    split = outline_and_nodes(text, SMALL, given_up=True)
    assert split is not None
    outline, pieces = split
    del text
    assert list(outline) == list(expected) and outline["nodes"] == {}
    merged: dict[str, Any] = {}
    count = 0
    for piece in pieces:
        assert merged.keys().isdisjoint(piece)
        merged.update(piece)
        count += 1
    assert count > 3
    assert list(merged) == list(expected["nodes"]) and merged == expected["nodes"]
    assert {k: v for k, v in outline.items() if k != "nodes"} == {
        k: v for k, v in expected.items() if k != "nodes"
    }


def _node(i: int, sql: str = "select 1") -> dict[str, Any]:
    return {"unique_id": f"model.p.m{i}", "compiled_code": sql, "columns": {"a": {"name": "a"}}}


def _doc(count: int, **extra: Any) -> dict[str, Any]:
    return {"metadata": {"v": 1}, "nodes": {f"model.p.m{i}": _node(i) for i in range(count)}, **extra}


@pytest.mark.parametrize(
    "dump", [orjson.dumps, lambda d: json.dumps(d, indent=2).encode()], ids=["compact", "indented"]
)
def test_layouts(dump: Any) -> None:
    _same(dump(_doc(60, sources={"source.p.s": {"a": 1}}, child_map={"model.p.m1": ["model.p.m2"]})))


def test_a_node_lookalike_inside_a_string() -> None:
    doc = _doc(40)
    doc["nodes"]["model.p.m7"]["compiled_code"] = 'x }, "model.p.fake": {"a": 1} ' * 30
    _same(orjson.dumps(doc))


def test_lookalikes_after_nodes_fall_back() -> None:
    """``nodes`` first and small, then an object whose members look like nodes."""
    text = orjson.dumps({"nodes": {"model.p.a": {}}, "other": {f"model.p.x{i}": {"k": i} for i in range(80)}})
    _same(text)
    with pytest.raises(_Unsure):
        _in_pieces(text, SMALL)


def test_duplicate_keys_as_the_whole_decode() -> None:
    """Later duplicates win at the first one's place, inside ``nodes`` and at the top."""
    body = b",".join(orjson.dumps({f"model.p.m{i % 25}": _node(i)})[1:-1] for i in range(80))
    text = b'{"metadata":{},"nodes":{' + body + b'},"x":1,"nodes":{"model.p.z":{}}}'
    _same(text)
    text = b'{"metadata":{},"nodes":{' + body + b'},"metadata":{"late":true}}'
    _same(text)


def test_not_an_object_or_broken() -> None:
    _same(orjson.dumps([_node(i) for i in range(80)]))
    text = orjson.dumps(_doc(80))
    with pytest.raises(orjson.JSONDecodeError):
        loads(text[:-2], SMALL)


def test_small_documents_are_decoded_whole() -> None:
    text = orjson.dumps(_doc(3))
    assert loads(text) == orjson.loads(text)


_keys = st.sampled_from(["model.p.a", "test.p.t", "seed.p.s", "x", "nodes", "model.p.b"])
_values = st.recursive(
    st.none() | st.integers() | st.text(alphabet='}{,": model.tes[]', max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300)
@given(
    nodes=st.lists(st.tuples(_keys, st.dictionaries(_keys, _values, max_size=4)), max_size=30),
    tail=st.dictionaries(_keys, _values, max_size=3),
    indent=st.booleans(),
)
def test_any_document(nodes: list[tuple[str, Any]], tail: dict[str, Any], indent: bool) -> None:
    members = [json.dumps({k: v}, indent=2 if indent else None)[1:-1].strip() for k, v in nodes]
    text = ('{"metadata": {}, "nodes": {' + ",".join(members) + "}, " + json.dumps(tail)[1:]).encode()
    if text.endswith(b", }"):
        text = text[:-3] + b"}"
    expected = orjson.loads(text)
    for size in (16, 64):
        assert loads(text, size) == expected
