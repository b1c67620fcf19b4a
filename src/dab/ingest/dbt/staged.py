"""parse_dbt_texts: the ingestion's parse, one decoded document at a time.

A decoded manifest is ~4.5x its JSON text in Python objects (1.6 GB at 100k models), a decoded
catalog ~4x (630 MB). Decoding every artifact before parsing held them all at once beside the
graph being built (3.7 GiB at 100k models). Here the small documents are decoded first and
reduced to what the parse reads of them (run results to one record per node, the catalog to a
tuple per column), each released before the next is decoded, and the manifest last, its nodes
released as their capsules are built (``parse_dbt(consume=True)``).
"""

from __future__ import annotations

from typing import Any

from dab.domain.gc_pause import gc_paused
from dab.domain.graph import Graph
from dab.ingest.dbt._load import CATALOG, MANIFEST, RUN_RESULTS, SOURCES, check_version, decode_artifact
from dab.ingest.dbt._side import Side, read_catalog, read_run_results, read_sources
from dab.ingest.dbt.layers import LayerRules
from dab.ingest.dbt.parser import parse_manifest

_FILES = {"run_results": RUN_RESULTS, "sources": SOURCES, "catalog": CATALOG, "manifest": MANIFEST}


def parse_dbt_texts(
    texts: dict[str, bytes],
    *,
    project_name: str | None = None,
    layer_rules: LayerRules | None = None,
    notes: dict[str, list[str]] | None = None,
) -> tuple[Graph, str | None]:
    """The graph of ``parse_dbt`` over the artifacts' JSON texts (inflated: ``artifact_bytes``),
    keyed manifest, catalog, run_results and sources, and the run results' invocation id.

    The dict is emptied as the texts are decoded. ``notes`` collects, per artifact file name,
    what decoding changed (NUL characters removed).
    """
    found = {} if notes is None else notes
    for kind in texts:  # notes in the order the caller gave the artifacts
        found.setdefault(_FILES[kind], [])
    with gc_paused():
        side = Side()
        if "run_results" in texts:
            read_run_results(side, _decode(texts, "run_results", found))
        if "sources" in texts:
            read_sources(side, _decode(texts, "sources", found))
        if "catalog" in texts:
            read_catalog(side, _decode(texts, "catalog", found), compact=True)
        manifest = _decode(texts, "manifest", found)
        version = check_version(manifest, MANIFEST)
        return parse_manifest(manifest, side, project_name, layer_rules, consume=True, version=version), (
            side.invocation_id
        )


def _decode(texts: dict[str, bytes], kind: str, notes: dict[str, list[str]]) -> dict[str, Any]:
    name = _FILES[kind]
    return decode_artifact(texts.pop(kind), name, notes=notes.setdefault(name, []))
