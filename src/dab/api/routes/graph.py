"""Graph export: the formats, the whole (filtered) graph, a capsule's lineage subgraph."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from dab.api.deps import SettingsDep
from dab.api.streaming import stream_export
from dab.export.model import Cluster
from dab.services.catalog_lineage import LineageDirection
from dab.services.export_graph import LineageExport, export_graph, export_lineage, list_formats
from dab.storage.graph_export import ExportScope

router = APIRouter(prefix="/graph", tags=["graph"])

FormatQuery = Annotated[
    str, Query(alias="format", description="graphml, dot, cypher, mermaid or json-ld (GET /graph/formats)")
]
ClusterQuery = Annotated[Cluster | None, Query(description="DOT only: one cluster per layer or domain")]
Layer = Literal["bronze", "silver", "gold", "unknown"]
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The graph in the requested format, streamed", "content": {"text/plain": {}}}
}


@router.get("/formats")
async def list_graph_formats(
    detail: Annotated[bool, Query(description="Describe each format (extension, media type)")] = False,
) -> list[Any]:
    return list_formats(detail=detail)


@router.get("/export", response_class=StreamingResponse, responses=EXPORT_RESPONSES)
async def export_property_graph(
    request: Request,
    export_format: FormatQuery,
    include_columns: bool = False,
    include_tags: bool = False,
    include_data_products: bool = False,
    project: str | None = None,
    domain: str | None = None,
    layer: Layer | None = None,
    cluster: ClusterQuery = None,
) -> StreamingResponse:
    """Capsules, exposures and domains with FLOWS_TO and BELONGS_TO; columns (CONTAINS,
    DERIVED_FROM), tags (TAGGED_WITH) and data products (PART_OF) on request."""
    scope = ExportScope(
        project=project,
        domain=domain,
        layer=layer,
        include_columns=include_columns,
        include_tags=include_tags,
        include_products=include_data_products,
    )
    return await stream_export(request, lambda s: export_graph(s, export_format, scope, cluster=cluster))


@router.get("/export/lineage/{urn:path}", response_class=StreamingResponse, responses=EXPORT_RESPONSES)
async def export_lineage_subgraph(
    urn: str,
    request: Request,
    settings: SettingsDep,
    export_format: FormatQuery,
    direction: LineageDirection = "both",
    depth: Annotated[int, Query(ge=1, description="Levels to follow (1..DAB_LINEAGE_MAX_DEPTH)")] = 3,
    include_columns: bool = False,
    include_tags: bool = False,
    include_data_products: bool = False,
    cluster: ClusterQuery = None,
) -> StreamingResponse:
    """The capsules within ``depth`` of ``urn`` and every edge among them."""
    wanted = LineageExport(urn, direction, depth, include_columns, include_tags, include_data_products)
    max_depth = settings.dab_lineage_max_depth
    return await stream_export(
        request, lambda s: export_lineage(s, export_format, wanted, max_depth=max_depth, cluster=cluster)
    )
