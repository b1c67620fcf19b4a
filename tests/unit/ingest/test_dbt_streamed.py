"""A big manifest parsed a piece of ``nodes`` at a time (``parse_dbt_texts(again=...)``):
exactly the graph of the whole decode, or, when a piece turns out not to be whole nodes or
a node id comes again, a fresh start from ``again()`` that gives the whole decode's answer."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest
from tests.unit.ingest.dbt_docs import VERSIONS, fixture_docs, graph_state

from dab.errors import InvalidArtifact
from dab.ingest.dbt import _pieces, parse_dbt, parse_dbt_texts
from dab.ingest.dbt import parser as dbt_parser

SMALL = 512  # bytes per piece: every fixture manifest is cut several times


@pytest.fixture(autouse=True)
def _small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_pieces, "PIECE_BYTES", SMALL)


def _docs(version: str) -> dict[str, Any]:
    docs = {kind: doc for kind, doc in fixture_docs(version).items() if doc is not None}
    docs["manifest"]["metadata"]["project_name"] = "jaffle_shop"  # dbt >= 1.6 writes it
    return docs


def _expected(docs: dict[str, Any]) -> tuple[Any, ...]:
    copied = copy.deepcopy(docs)
    graph = parse_dbt(
        copied["manifest"], copied.get("catalog"), copied.get("run_results"), copied.get("sources")
    )
    return graph_state(graph)


class _Texts:
    """The artifacts' texts, and how often the parse asked for them again."""

    def __init__(self, docs: dict[str, Any]) -> None:
        self.texts = {kind: orjson.dumps(doc) for kind, doc in docs.items()}
        self.asked = 0

    def first(self) -> dict[str, bytes]:
        return dict(self.texts)

    def again(self) -> dict[str, bytes]:
        self.asked += 1
        return dict(self.texts)


def _spy_pieces(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many pieces of ``nodes`` the streamed parse used (one entry per streamed manifest)."""
    used: list[int] = []
    streamed = dbt_parser.parse_manifest_streamed

    def counting(outline: dict[str, Any], pieces: Any, *args: Any, **kwargs: Any) -> Any:
        used.append(0)

        def counted() -> Any:
            for piece in pieces:
                used[-1] += 1
                yield piece

        return streamed(outline, counted(), *args, **kwargs)

    monkeypatch.setattr("dab.ingest.dbt.staged.parse_manifest_streamed", counting)
    return used


@pytest.mark.parametrize("version", VERSIONS)
def test_the_same_graph_a_piece_at_a_time(version: str, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = _docs(version)
    texts = _Texts(docs)
    used = _spy_pieces(monkeypatch)
    first = texts.first()
    graph, invocation = parse_dbt_texts(first, again=texts.again)
    assert used and used[0] > 3  # really streamed, in several pieces
    assert texts.asked == 0 and first == {}
    assert graph_state(graph) == _expected(docs)
    assert list(graph.columns) == list(parse_dbt(**copy.deepcopy(docs)).columns)  # row order
    expected_invocation = (
        docs["run_results"]["metadata"].get("invocation_id") if "run_results" in docs else None
    )
    assert invocation == expected_invocation


def test_without_again_the_manifest_is_decoded_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    docs = _docs(VERSIONS[-1])
    used = _spy_pieces(monkeypatch)
    graph, _ = parse_dbt_texts(_Texts(docs).first())
    assert used == []
    assert graph_state(graph) == _expected(docs)


def test_a_small_manifest_is_decoded_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_pieces, "PIECE_BYTES", 1 << 30)
    docs = _docs(VERSIONS[-1])
    texts = _Texts(docs)
    used = _spy_pieces(monkeypatch)
    graph, _ = parse_dbt_texts(texts.first(), again=texts.again)
    assert used == [] and texts.asked == 0
    assert graph_state(graph) == _expected(docs)


def test_no_project_name_in_the_metadata_parses_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """The root package is then the package owning most nodes: every node is needed first."""
    docs = _docs(VERSIONS[-1])
    del docs["manifest"]["metadata"]["project_name"]
    texts = _Texts(docs)
    graph, _ = parse_dbt_texts(texts.first(), again=texts.again)
    assert texts.asked == 1
    assert graph_state(graph) == _expected(docs)


def _with_node_again(docs: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    """The manifest's text with its first model's id once more at the end of ``nodes``, with
    another description: the whole decode keeps the later body at the first place."""
    nodes = docs["manifest"]["nodes"]
    uid = next(u for u, n in nodes.items() if n.get("resource_type") == "model")
    later = {**nodes[uid], "description": "the later body"}
    text = orjson.dumps(docs["manifest"])
    end = text.index(b'},"sources":')
    text = text[:end] + b"," + orjson.dumps(uid) + b":" + orjson.dumps(later) + text[end:]
    merged = copy.deepcopy(docs)
    merged["manifest"] = orjson.loads(text)
    assert merged["manifest"]["nodes"][uid]["description"] == "the later body"
    return merged, text


def test_a_node_id_again_in_a_later_piece_starts_over(monkeypatch: pytest.MonkeyPatch) -> None:
    docs = _docs(VERSIONS[-1])
    merged, text = _with_node_again(docs)
    texts = _Texts(docs)
    texts.texts["manifest"] = text
    used = _spy_pieces(monkeypatch)
    graph, _ = parse_dbt_texts(texts.first(), again=texts.again)
    assert used and texts.asked == 1
    assert graph_state(graph) == _expected(merged)
    assert any(c.description == "the later body" for c in graph.capsules.values())


def test_a_piece_that_is_not_whole_nodes_starts_over(monkeypatch: pytest.MonkeyPatch) -> None:
    """A node whose body holds ``}, "model.``: a cut there leaves a piece that is not whole
    nodes, found only when that piece is decoded, after earlier pieces were used."""
    docs = _docs(VERSIONS[-1])
    nodes = docs["manifest"]["nodes"]
    middle = list(nodes)[len(nodes) // 2]
    nodes[middle]["meta"] = {"inner": {"x": 1}, "model.look.alike": {"y": 2}, "pad": "z" * 2 * SMALL}
    texts = _Texts(docs)
    cuts = _pieces._cuts(texts.texts["manifest"], SMALL)
    inside = texts.texts["manifest"].index(b'"model.look.alike"')
    assert any(start == inside for _, start in cuts)  # a cut falls inside that node
    graph, _ = parse_dbt_texts(texts.first(), again=texts.again)
    assert texts.asked == 1
    assert graph_state(graph) == _expected(docs)


def test_an_artifact_error_is_the_whole_decodes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad ``depends_on`` in a node: the same 422 (artifact and path) as the whole parse."""
    docs = _docs(VERSIONS[-1])
    nodes = docs["manifest"]["nodes"]
    uid = [u for u, n in nodes.items() if n.get("resource_type") == "model"][-1]
    nodes[uid]["depends_on"] = {"nodes": "not a list"}
    texts = _Texts(docs)
    with pytest.raises(InvalidArtifact) as streamed:
        parse_dbt_texts(texts.first(), again=texts.again)
    with pytest.raises(InvalidArtifact) as whole:
        parse_dbt_texts(texts.first())
    assert texts.asked == 1
    assert (streamed.value.artifact, streamed.value.json_path, streamed.value.detail) == (
        whole.value.artifact,
        whole.value.json_path,
        whole.value.detail,
    )
    assert streamed.value.json_path == f'$.nodes["{uid}"].depends_on.nodes'
