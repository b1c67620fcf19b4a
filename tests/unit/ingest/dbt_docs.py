"""The dbt fixture artifacts decoded, and a parsed graph's state as one comparable value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dab.domain.graph import Graph
from dab.ingest.dbt import load_artifact

FIXTURES = Path(__file__).parents[2] / "fixtures" / "dbt"
VERSIONS = sorted(p.name for p in FIXTURES.iterdir() if (p / "manifest.json").is_file())
KINDS = ("manifest", "catalog", "run_results", "sources")


def fixture_docs(version: str) -> dict[str, Any]:
    """Each artifact kind of a fixture version -> its decoded document, None when absent."""
    out: dict[str, Any] = {}
    for kind in KINDS:
        path = FIXTURES / version / f"{kind}.json"
        out[kind] = load_artifact(path.read_bytes(), path.name) if path.is_file() else None
    return out


def graph_state(graph: Graph) -> tuple[Any, ...]:
    by_capsule = {urn: [c.urn for c in columns] for urn, columns in graph.columns_by_capsule.items()}
    return (graph.capsules, graph.columns, graph.edges, graph.tests, graph.project, graph.issues, by_capsule)
