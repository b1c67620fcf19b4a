"""What the parse reads of the artifacts besides the manifest: catalog entries, run results,
source freshness. Each ``read_*`` checks its document and keeps only what the parse reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dab.ingest.dbt._catalog import compact_entry
from dab.ingest.dbt._load import CATALOG, RUN_RESULTS, SOURCES, check_version, require_list, require_object
from dab.ingest.dbt._results import NodeResult, index_run_results, index_sources


@dataclass(slots=True)
class Side:
    catalog: dict[str, Any] = field(default_factory=dict)
    """unique id -> catalog entry (nodes, then sources)"""
    runs: dict[str, NodeResult] = field(default_factory=dict)
    source_results: dict[str, dict[str, Any]] = field(default_factory=dict)
    invocation_id: str | None = None
    """the run results' ``metadata.invocation_id``, which keys the run history"""
    strings: dict[str, str] = field(default_factory=dict)
    """one copy of each column name, type and description for the whole parse"""


def read_catalog(
    side: Side, catalog: dict[str, Any], *, consume: bool = False, compact: bool = False
) -> None:
    """``consume``: the sections are emptied as their entries move to ``side`` (one reference
    each, released as the parse uses them). ``compact``: each entry is reduced to its columns,
    keyed as the column builder reads them (``_catalog``)."""
    check_version(catalog, CATALOG)
    for section in ("nodes", "sources"):
        entries = require_object(catalog, section, CATALOG)
        if compact:
            side.catalog.update((uid, compact_entry(entry, side.strings)) for uid, entry in entries.items())
        else:
            side.catalog.update(entries)
        if consume or compact:
            entries.clear()


def read_run_results(side: Side, run_results: dict[str, Any]) -> None:
    check_version(run_results, RUN_RESULTS)
    require_list(run_results, "results", RUN_RESULTS)
    side.runs = index_run_results(run_results)
    invocation = (run_results.get("metadata") or {}).get("invocation_id")
    side.invocation_id = invocation if isinstance(invocation, str) else None


def read_sources(side: Side, sources: dict[str, Any]) -> None:
    check_version(sources, SOURCES)
    require_list(sources, "results", SOURCES)
    side.source_results = index_sources(sources)
