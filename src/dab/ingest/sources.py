"""The registry of ingestion sources: what each one reads and how its writes behave.

A source is a module with a pure parser and one write semantics:

- *snapshot*: the input is the whole truth about a project; what it no longer mentions is
  removed (dbt: a manifest describes the entire project).
- *incremental*: each input adds to what is known; nothing it does not mention is removed
  (OpenLineage: one event describes one run of one job).

Nodes and edges remember which source asserted them, so one source never deletes what another
asserted (see ``services/graph_persistence.py`` and ``services/ingest_openlineage.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dab.errors import InvalidInput


class WriteSemantics(StrEnum):
    SNAPSHOT = "snapshot"
    INCREMENTAL = "incremental"


@dataclass(frozen=True, slots=True)
class SourceSpec:
    name: str
    semantics: WriteSemantics
    summary: str
    inputs: str
    """What the source reads, as a user passes it (CLI and API)."""
    api: str


SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec(
        name="dbt",
        semantics=WriteSemantics.SNAPSHOT,
        summary="dbt artifacts: models, sources, seeds, snapshots, exposures, columns, tests, runs",
        inputs="manifest.json [catalog.json run_results.json sources.json]",
        api="POST /api/v1/ingest/dbt",
    ),
    SourceSpec(
        name="openlineage",
        semantics=WriteSemantics.INCREMENTAL,
        summary="OpenLineage run, dataset and job events: jobs, datasets, lineage across tools, runs",
        inputs="events as JSON Lines (one event per line)",
        api="POST /api/v1/lineage",
    ),
)


def get_source(name: str) -> SourceSpec:
    """The registered source called ``name``; an unknown name is the caller's mistake."""
    for spec in SOURCES:
        if spec.name == name:
            return spec
    known = ", ".join(s.name for s in SOURCES)
    raise InvalidInput(f"unknown source {name!r}; registered sources: {known}", location="source")
