"""parse_dbt_texts: the ingestion's parse, one decoded document at a time.

A decoded manifest is ~4.5x its JSON text in Python objects (1.6 GB at 100k models), a decoded
catalog ~4x (630 MB). Decoding every artifact before parsing held them all at once beside the
graph being built (3.7 GiB at 100k models). Here the small documents are decoded first and
reduced to what the parse reads of them (run results to one record per node, the catalog to a
tuple per column), each released before the next is decoded, and the manifest last, its nodes
released as their capsules are built (``parse_dbt(consume=True)``). A big manifest is decoded
a piece of ``nodes`` at a time, each piece's capsules built before the next is decoded
(``parse_manifest_streamed``), so the decoded manifest is never held whole either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import orjson

from dab.domain.gc_pause import gc_paused
from dab.domain.graph import Graph
from dab.ingest.dbt import _pieces
from dab.ingest.dbt._load import (
    _ESCAPED_NUL,
    CATALOG,
    MANIFEST,
    RUN_RESULTS,
    SOURCES,
    check_version,
    decode_artifact,
)
from dab.ingest.dbt._side import Side, read_catalog, read_run_results, read_sources
from dab.ingest.dbt.layers import LayerRules
from dab.ingest.dbt.parser import parse_manifest, parse_manifest_streamed

_FILES = {"run_results": RUN_RESULTS, "sources": SOURCES, "catalog": CATALOG, "manifest": MANIFEST}


def parse_dbt_texts(
    texts: dict[str, bytes],
    *,
    project_name: str | None = None,
    layer_rules: LayerRules | None = None,
    notes: dict[str, list[str]] | None = None,
    again: Callable[[], dict[str, bytes]] | None = None,
) -> tuple[Graph, str | None]:
    """The graph of ``parse_dbt`` over the artifacts' JSON texts (inflated: ``artifact_bytes``),
    keyed manifest, catalog, run_results and sources, and the run results' invocation id.

    The dict is emptied as the texts are decoded. ``notes`` collects, per artifact file name,
    what decoding changed (NUL characters removed). ``again`` gives the same texts anew: with
    it, a big manifest is parsed a piece at a time, and should that stop half-way (a piece
    that is not whole nodes, a node id repeated in a later piece, any error), the parse starts
    over from ``again()`` with the manifest decoded whole, which gives its answer or its error.
    """
    found = {} if notes is None else notes
    for kind in texts:  # notes in the order the caller gave the artifacts
        found.setdefault(_FILES[kind], [])
    with gc_paused():
        if again is None:
            return _parse(texts, project_name, layer_rules, found, stream=False)
        try:
            return _parse(texts, project_name, layer_rules, found, stream=True)
        except Exception:
            for listed in found.values():
                listed.clear()
        return _parse(again(), project_name, layer_rules, found, stream=False)


def _parse(
    texts: dict[str, bytes],
    project_name: str | None,
    layer_rules: LayerRules | None,
    found: dict[str, list[str]],
    *,
    stream: bool,
) -> tuple[Graph, str | None]:
    side = Side()
    if "run_results" in texts:
        read_run_results(side, _decode(texts, "run_results", found))
    if "sources" in texts:
        read_sources(side, _decode(texts, "sources", found))
    if "catalog" in texts:
        read_catalog(side, _decode(texts, "catalog", found), compact=True)
    split = _split(texts["manifest"]) if stream else None
    if split is not None:
        outline, pieces = split
        del texts["manifest"]  # the pieces hold copies of their texts, each released once decoded
        version = check_version(outline, MANIFEST)
        graph = parse_manifest_streamed(outline, pieces, side, project_name, layer_rules, version=version)
        return graph, side.invocation_id
    manifest = _decode(texts, "manifest", found)
    version = check_version(manifest, MANIFEST)
    return parse_manifest(manifest, side, project_name, layer_rules, consume=True, version=version), (
        side.invocation_id
    )


def _split(text: bytes) -> tuple[dict[str, Any], Iterator[dict[str, Any]]] | None:
    """The manifest's outline and ``nodes`` in pieces; None when it is decoded whole (small,
    not cut, NUL characters to remove, or a first or last piece that is not whole nodes)."""
    if _ESCAPED_NUL in text:
        return None
    try:
        return _pieces.outline_and_nodes(text, _pieces.PIECE_BYTES, given_up=True)
    except (_pieces.Unsure, orjson.JSONDecodeError):
        return None


def _decode(texts: dict[str, bytes], kind: str, notes: dict[str, list[str]]) -> dict[str, Any]:
    name = _FILES[kind]
    return decode_artifact(texts.pop(kind), name, notes=notes.setdefault(name, []))
