"""Export the property graph, whole (optionally filtered) or a capsule's lineage subgraph.

Everything that can go wrong (unknown format, bad depth, unknown URN) is checked before the
first byte, so callers can still answer with a problem; then the stream is rendered chunk by
chunk from storage while the caller's transaction stays open.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from dab.errors import InvalidInput
from dab.export import EXPORTERS, FORMATS, ExportFormat, Item, RenderOptions, Writer, write
from dab.export.model import Cluster
from dab.services.catalog_lineage import LineageDirection, capsule_distances
from dab.storage.graph_export import ExportScope, GraphExportReader

CHUNK = 64 * 1024
INLINE = 200
"""Batches smaller than this (lineage subgraphs) are rendered without a thread hop."""


@dataclass(frozen=True, slots=True)
class GraphExport:
    """A checked export: what to call it and how to serve it, and its bytes (read once)."""

    export_format: ExportFormat
    filename: str
    chunks: AsyncIterator[bytes]


def list_formats(*, detail: bool = False) -> list[Any]:
    if not detail:
        return [f.name for f in FORMATS]
    return [
        {"name": f.name, "extension": f.extension, "media_type": f.media_type, "description": f.description}
        for f in FORMATS
    ]


def find_format(name: str, *, location: str = "query.format") -> ExportFormat:
    found = EXPORTERS.get(name)
    if found is None:
        names = ", ".join(f.name for f in FORMATS)
        raise InvalidInput(f"unknown export format {name!r}; use one of: {names}", location=location)
    return found


def _render(writer: Writer, batch: list[Item]) -> str:
    return "".join([write(writer, item) for item in batch])


async def _chunks(
    reader: GraphExportReader, export_format: ExportFormat, options: RenderOptions
) -> AsyncIterator[bytes]:
    writer = export_format.writer(options)
    parts = [writer.start()]
    size = len(parts[0])
    async for batch in reader.batches():
        if len(batch) < INLINE:
            text = _render(writer, batch)
        else:  # CPU work: a worker thread keeps the event loop serving other requests meanwhile
            text = await anyio.to_thread.run_sync(_render, writer, batch)
        parts.append(text)
        size += len(text)
        if size >= CHUNK:
            yield "".join(parts).encode("utf-8")
            parts, size = [], 0
    parts.append(writer.finish())
    yield "".join(parts).encode("utf-8")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:80] or "graph"


async def export_graph(
    session: AsyncSession, export_format: str, scope: ExportScope, *, cluster: Cluster | None = None
) -> GraphExport:
    """The whole graph, or the part the scope's filters select (edges only between included nodes)."""
    found = find_format(export_format)
    options = RenderOptions(cluster=cluster, title="dab property graph")
    filename = f"dab-graph.{found.extension}"
    return GraphExport(found, filename, _chunks(GraphExportReader(session, scope), found, options))


@dataclass(frozen=True, slots=True)
class LineageExport:
    urn: str
    direction: LineageDirection = "both"
    depth: int = 3
    include_columns: bool = False
    include_tags: bool = False
    include_products: bool = False


async def export_lineage(
    session: AsyncSession,
    export_format: str,
    request: LineageExport,
    *,
    max_depth: int,
    cluster: Cluster | None = None,
) -> GraphExport:
    """The capsules within ``depth`` of ``urn`` and every edge among them (as the lineage API)."""
    found = find_format(export_format)
    distances = await capsule_distances(
        session, request.urn, direction=request.direction, depth=request.depth, max_depth=max_depth
    )
    scope = ExportScope(
        urns=frozenset(distances),
        include_columns=request.include_columns,
        include_tags=request.include_tags,
        include_products=request.include_products,
    )
    title = f"dab lineage of {request.urn} ({request.direction}, depth {request.depth})"
    options = RenderOptions(cluster=cluster, title=title)
    filename = f"dab-lineage-{_slug(request.urn.rsplit(':', 1)[-1])}.{found.extension}"
    return GraphExport(found, filename, _chunks(GraphExportReader(session, scope), found, options))
