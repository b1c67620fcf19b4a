"""What every exporter reads: nodes, then edges, each with a label or type and plain properties.

The set of labels, edge types and property names is closed and declared here, so formats that
need a schema up front (GraphML keys, Cypher constraints, the JSON-LD context) write it before
the first node arrives, and a stream can be rendered without holding the graph in memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

Value = str | int
Props = Mapping[str, Value]

NODE_LABELS: tuple[str, ...] = ("Domain", "Capsule", "Exposure", "Column", "Tag", "DataProduct")
EDGE_TYPES: tuple[str, ...] = ("FLOWS_TO", "CONTAINS", "DERIVED_FROM", "BELONGS_TO", "TAGGED_WITH", "PART_OF")

PropertyType = Literal["string", "int"]
NODE_PROPERTIES: tuple[tuple[str, PropertyType], ...] = (
    ("urn", "string"),
    ("name", "string"),
    ("type", "string"),
    ("layer", "string"),
    ("domain", "string"),
    ("owner", "string"),
    ("description", "string"),
    ("project", "string"),
    ("materialization", "string"),
    ("relation_name", "string"),
    ("exposure_type", "string"),
    ("maturity", "string"),
    ("url", "string"),
    ("capsule", "string"),
    ("data_type", "string"),
    ("ordinal", "int"),
    ("pii_type", "string"),
    ("category", "string"),
)
"""Every property a node may carry; absent (None) values are left out, never written as empty."""

EDGE_PROPERTIES: tuple[tuple[str, PropertyType], ...] = (
    ("transformation", "string"),
    ("origin", "string"),
    ("role", "string"),
)


@dataclass(frozen=True, slots=True)
class Node:
    label: str
    urn: str
    props: Props = field(default_factory=dict)
    """Properties besides the URN (name, type, layer, ...), in NODE_PROPERTIES order."""


@dataclass(frozen=True, slots=True)
class Edge:
    type: str
    source: str
    target: str
    source_label: str
    target_label: str
    props: Props = field(default_factory=dict)


Item = Node | Edge
Cluster = Literal["layer", "domain"]


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """Format-specific choices; a format ignores the ones it has no use for."""

    cluster: Cluster | None = None
    """DOT: group capsules into one cluster per layer or per domain."""
    title: str = "dab property graph"


@dataclass(frozen=True, slots=True)
class ExportFormat:
    """One entry of the registry: how the format is named, served and written."""

    name: str
    extension: str
    media_type: str
    description: str
    writer: Callable[[RenderOptions], Writer]


class Writer(Protocol):
    """One rendering: ``start``, then every node, then every edge, then ``finish``."""

    def start(self) -> str: ...
    def node(self, node: Node) -> str: ...
    def edge(self, edge: Edge) -> str: ...
    def finish(self) -> str: ...


def write(writer: Writer, item: Item) -> str:
    return writer.node(item) if isinstance(item, Node) else writer.edge(item)


def render(writer: Writer, items: Iterable[Item]) -> Iterator[str]:
    """The text of a whole graph, piece by piece (nodes must come before edges).

    Example:
        >>> from dab.export.mermaid import MermaidWriter
        >>> nodes = [Node("Capsule", "urn:a", {"name": "a"})]
        >>> "graph LR" in "".join(render(MermaidWriter(RenderOptions()), nodes))
        True
    """
    yield writer.start()
    for item in items:
        yield write(writer, item)
    yield writer.finish()


def stable_id(urn: str) -> str:
    """A short identifier made of ``[0-9a-z]`` only, the same for the same URN in every export.

    Example:
        >>> stable_id("urn:dab:dbt:model:jaffle_shop:orders")
        'n2fabd6b12bae7c5f7f30'
        >>> stable_id("end").startswith("n")
        True
    """
    return "n" + hashlib.blake2b(urn.encode("utf-8"), digest_size=10).hexdigest()
