"""`dab graph formats|export|lineage`: the property graph as a file, on the configured database."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, BinaryIO, cast

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from dab.cli._render import print_json, print_rows
from dab.cli._runtime import load_settings, run, unit_of_work
from dab.export.model import Cluster
from dab.services.catalog_lineage import LineageDirection
from dab.services.export_graph import GraphExport, LineageExport, export_graph, export_lineage, list_formats
from dab.storage.graph_export import ExportScope

app = typer.Typer(
    help="Export the property graph (GraphML, DOT, Cypher, Mermaid, JSON-LD).", no_args_is_help=True
)

Format = Annotated[str, typer.Option("--format", "-f", help="graphml, dot, cypher, mermaid or json-ld")]
OutputFile = Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout")]
Columns = Annotated[bool, typer.Option("--include-columns", help="Columns (CONTAINS, DERIVED_FROM)")]
Tags = Annotated[bool, typer.Option("--include-tags", help="Tags (TAGGED_WITH)")]
Products = Annotated[bool, typer.Option("--include-data-products", help="Data products (PART_OF)")]
ClusterOption = Annotated[str | None, typer.Option("--cluster", help="DOT: cluster by layer or domain")]
Start = Callable[[AsyncSession], Awaitable[GraphExport]]


def _choice(value: str | None, allowed: tuple[str, ...], hint: str) -> Any:
    if value is not None and value not in allowed:
        raise typer.BadParameter(f"use one of {', '.join(allowed)}", param_hint=hint)
    return value


def _save(start: Start, output: Path | None) -> None:
    """Stream the export into ``output`` (through a temporary file, so a failure leaves none)."""

    async def _main() -> None:
        async with unit_of_work(load_settings()) as session:
            export = await start(session)
            partial = output.with_name(output.name + ".partial") if output else None
            target = cast(BinaryIO, partial.open("wb")) if partial else sys.stdout.buffer
            try:
                async for chunk in export.chunks:
                    target.write(chunk)
            finally:
                if partial:
                    target.close()
            if partial and output:
                partial.replace(output)

    run(_main)


@app.command("formats")
def formats(
    output: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """The export formats, with file extension and media type."""
    rows = list_formats(detail=True)
    if output == "json":
        print_json(rows)
        return
    print_rows(
        rows, ["name", "extension", "media_type", "description"], output=output, title="export formats"
    )


@app.command("export")
def export(
    export_format: Format,
    output: OutputFile = None,
    project: Annotated[str | None, typer.Option(help="Only this dbt project")] = None,
    domain: Annotated[str | None, typer.Option(help="Only capsules of this domain")] = None,
    layer: Annotated[str | None, typer.Option(help="bronze, silver, gold or unknown")] = None,
    include_columns: Columns = False,
    include_tags: Tags = False,
    include_data_products: Products = False,
    cluster: ClusterOption = None,
) -> None:
    """The whole property graph, or the part the filters select."""
    _choice(layer, ("bronze", "silver", "gold", "unknown"), "--layer")
    clustered = cast(Cluster | None, _choice(cluster, ("layer", "domain"), "--cluster"))
    scope = ExportScope(
        project=project,
        domain=domain,
        layer=layer,
        include_columns=include_columns,
        include_tags=include_tags,
        include_products=include_data_products,
    )
    _save(lambda s: export_graph(s, export_format, scope, cluster=clustered), output)


@app.command("lineage")
def lineage(
    urn: Annotated[str, typer.Argument(help="Capsule URN, e.g. urn:dab:dbt:model:jaffle_shop:orders")],
    export_format: Format,
    direction: Annotated[str, typer.Option(help="upstream, downstream or both")] = "both",
    depth: Annotated[int, typer.Option(min=1)] = 3,
    output: OutputFile = None,
    include_columns: Columns = False,
    include_tags: Tags = False,
    include_data_products: Products = False,
    cluster: ClusterOption = None,
) -> None:
    """A capsule's lineage subgraph: the capsules within --depth and every edge among them."""
    way = cast(LineageDirection, _choice(direction, ("upstream", "downstream", "both"), "--direction"))
    clustered = cast(Cluster | None, _choice(cluster, ("layer", "domain"), "--cluster"))
    wanted = LineageExport(urn, way, depth, include_columns, include_tags, include_data_products)
    max_depth = load_settings().dab_lineage_max_depth
    _save(
        lambda s: export_lineage(s, export_format, wanted, max_depth=max_depth, cluster=clustered),
        output,
    )
