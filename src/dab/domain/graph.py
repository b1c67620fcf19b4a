"""The property graph of one or more dbt projects, and traversals over it.

Traversals are breadth-first over adjacency lists built once, so a cycle is visited once
and every node gets its shortest distance from the start.

Example:
    >>> g = Graph(edges=[LineageEdge("a", "b"), LineageEdge("b", "c"), LineageEdge("c", "a")])
    >>> sorted(g.downstream("a", depth=5).items())
    [('b', 1), ('c', 2)]
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from dab.domain.capsule import Capsule
from dab.domain.column import Column
from dab.domain.lineage import ColumnLineageEdge, LineageEdge
from dab.domain.quality import DataTest


@dataclass(frozen=True, slots=True)
class IngestIssue:
    """A problem found while reading an artifact that did not stop the ingestion."""

    artifact: str
    json_path: str
    message: str


@dataclass(frozen=True, slots=True)
class ProjectInfo:
    name: str
    adapter_type: str | None = None
    dbt_version: str | None = None
    manifest_schema_version: int | None = None
    generated_at: str | None = None
    invocation_id: str | None = None


def traverse(adjacency: Mapping[str, Iterable[str]], start: str, depth: int) -> dict[str, int]:
    """Nodes reachable from ``start`` within ``depth`` hops, each with its shortest distance."""
    distances: dict[str, int] = {}
    queue: deque[tuple[str, int]] = deque([(start, 0)])
    seen = {start}
    while queue:
        node, dist = queue.popleft()
        if dist >= depth:
            continue
        for nxt in adjacency.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                distances[nxt] = dist + 1
                queue.append((nxt, dist + 1))
    return distances


def column_order(column: Column) -> tuple[int, str]:
    """Columns of a capsule in table order; unknown positions last, by name."""
    return (column.ordinal if column.ordinal is not None else 1 << 30, column.name)


@dataclass(slots=False)
class Graph:
    """Capsules, columns, tests and lineage of a project, keyed by URN."""

    capsules: dict[str, Capsule] = field(default_factory=dict)
    columns: dict[str, Column] = field(default_factory=dict)
    edges: list[LineageEdge] = field(default_factory=list)
    column_edges: list[ColumnLineageEdge] = field(default_factory=list)
    tests: dict[str, DataTest] = field(default_factory=dict)
    project: ProjectInfo | None = None
    issues: list[IngestIssue] = field(default_factory=list)
    column_lineage_coverage: dict[str, Any] = field(default_factory=dict)
    """Models with full, partial and no column lineage and each miss's reason (``dab.columnlineage``)."""

    @cached_property
    def parents(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = defaultdict(list)
        for edge in self.edges:
            out[edge.target_urn].append(edge.source_urn)
        return dict(out)

    @cached_property
    def children(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = defaultdict(list)
        for edge in self.edges:
            out[edge.source_urn].append(edge.target_urn)
        return dict(out)

    @cached_property
    def columns_by_capsule(self) -> dict[str, list[Column]]:
        out: dict[str, list[Column]] = defaultdict(list)
        for column in self.columns.values():
            out[column.capsule_urn].append(column)
        for cols in out.values():
            cols.sort(key=column_order)
        return dict(out)

    def index_columns(self, by_capsule: dict[str, list[Column]]) -> None:
        """Give ``columns_by_capsule`` from a builder that holds each capsule's columns already
        (sorted by ``column_order``, non-empty lists only), instead of regrouping every column."""
        self.__dict__["columns_by_capsule"] = by_capsule

    @cached_property
    def tests_by_capsule(self) -> dict[str, list[DataTest]]:
        out: dict[str, list[DataTest]] = defaultdict(list)
        for test in self.tests.values():
            out[test.capsule_urn].append(test)
        return dict(out)

    def upstream(self, urn: str, depth: int) -> dict[str, int]:
        return traverse(self.parents, urn, depth)

    def downstream(self, urn: str, depth: int) -> dict[str, int]:
        return traverse(self.children, urn, depth)
