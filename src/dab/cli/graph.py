"""`dab graph formats|export|lineage`: the property graph as a file, on the configured database."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, BinaryIO, cast

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from dab.cli._remote import RemoteClient
from dab.cli._render import print_json, print_rows
from dab.cli._runtime import guarded, load_settings, run, unit_of_work
from dab.cli.capsules import quoted
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
ApiUrl = Annotated[str | None, typer.Option("--api-url", envvar="DAB_API_URL", help="Ask this dab server")]
ApiKey = Annotated[str | None, typer.Option("--api-key", envvar="DAB_API_KEY", help="API key for --api-url")]
Start = Callable[[AsyncSession], Awaitable[GraphExport]]
Remote = tuple[str | None, str | None, str, dict[str, Any]]
"""--api-url, --api-key, the API path and its query parameters."""


def _choice(value: str | None, allowed: tuple[str, ...], hint: str) -> Any:
    if value is not None and value not in allowed:
        raise typer.BadParameter(f"use one of {', '.join(allowed)}", param_hint=hint)
    return value


def _includes(columns: bool, tags: bool, products: bool) -> dict[str, Any]:
    return {"include_columns": columns, "include_tags": tags, "include_data_products": products}


@contextmanager
def _target(output: Path | None) -> Iterator[BinaryIO]:
    """stdout, or ``output`` written through ``output.partial`` so a failure leaves no file."""
    if output is None:
        yield sys.stdout.buffer
        return
    partial = output.with_name(output.name + ".partial")
    try:
        with partial.open("wb") as sink:
            yield sink
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)


def _save(start: Start, output: Path | None, remote: Remote) -> None:
    """Stream the export from the configured database, or from the server at ``--api-url``."""
    api_url, api_key, path, params = remote
    with _target(output) as sink:
        if api_url:
            client = RemoteClient(api_url, api_key)
            try:
                wanted = {k: v for k, v in params.items() if v is not None}
                guarded(lambda: client.download(path, wanted, sink.write))
            finally:
                client.close()
            return

        async def _main() -> None:
            async with unit_of_work(load_settings()) as session:
                export = await start(session)
                async for chunk in export.chunks:
                    sink.write(chunk)

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
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
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
    params: dict[str, Any] = {"format": export_format, "project": project, "domain": domain}
    params |= {"layer": layer, "cluster": cluster}
    params |= _includes(include_columns, include_tags, include_data_products)
    remote = (api_url, api_key, "/graph/export", params)
    _save(lambda s: export_graph(s, export_format, scope, cluster=clustered), output, remote)


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
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
) -> None:
    """A capsule's lineage subgraph: the capsules within --depth and every edge among them."""
    way = cast(LineageDirection, _choice(direction, ("upstream", "downstream", "both"), "--direction"))
    clustered = cast(Cluster | None, _choice(cluster, ("layer", "domain"), "--cluster"))
    wanted = LineageExport(urn, way, depth, include_columns, include_tags, include_data_products)
    max_depth = load_settings().dab_lineage_max_depth
    params: dict[str, Any] = {
        "format": export_format,
        "direction": direction,
        "depth": depth,
        "cluster": cluster,
    }
    params |= _includes(include_columns, include_tags, include_data_products)
    remote = (api_url, api_key, f"/graph/export/lineage/{quoted(urn)}", params)
    _save(
        lambda s: export_lineage(s, export_format, wanted, max_depth=max_depth, cluster=clustered),
        output,
        remote,
    )
