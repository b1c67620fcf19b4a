"""Graph exporters (pure core): a stream of nodes and edges in, one format's text out.

One module per format, each exposing ``FORMAT``; adding a format is one module plus one entry in
``FORMATS``. No FastAPI, SQLAlchemy, Typer or settings here.
"""

from __future__ import annotations

from dab.export import cypher, dot, graphml, jsonld, mermaid
from dab.export.model import (
    EDGE_TYPES,
    NODE_LABELS,
    Edge,
    ExportFormat,
    Item,
    Node,
    RenderOptions,
    Writer,
    render,
    write,
)

FORMATS: tuple[ExportFormat, ...] = (graphml.FORMAT, dot.FORMAT, cypher.FORMAT, mermaid.FORMAT, jsonld.FORMAT)
EXPORTERS: dict[str, ExportFormat] = {f.name: f for f in FORMATS}

__all__ = [
    "EDGE_TYPES",
    "EXPORTERS",
    "FORMATS",
    "NODE_LABELS",
    "Edge",
    "ExportFormat",
    "Item",
    "Node",
    "RenderOptions",
    "Writer",
    "render",
    "write",
]
