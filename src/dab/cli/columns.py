"""`dab columns list|show`: on the configured database or via --api-url."""

from __future__ import annotations

from typing import Annotated

import typer

from dab.cli._render import page_title, print_rows
from dab.cli.capsules import ApiKey, ApiUrl, Output, fetch, print_detail, quoted
from dab.services import catalog_columns
from dab.services.catalog_columns import ColumnFilters

app = typer.Typer(help="Browse columns.", no_args_is_help=True)


@app.command("list")
def list_columns(
    capsule: Annotated[str | None, typer.Option(help="Capsule URN")] = None,
    semantic_type: str | None = None,
    pii_type: str | None = None,
    tag: str | None = None,
    q: Annotated[str | None, typer.Option("--q", "-q", help="Substring of name, URN or description")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    output: Output = "table",
) -> None:
    """List columns, filtered."""
    filters = ColumnFilters(capsule, semantic_type, pii_type, tag, q)
    params = {"capsule": capsule, "semantic_type": semantic_type, "pii_type": pii_type, "tag": tag, "q": q}
    found = fetch(
        api_url,
        api_key,
        "/columns",
        params | {"limit": limit, "offset": offset},
        lambda s: catalog_columns.list_columns(s, filters, limit=limit, offset=offset),
    )
    columns = ["urn", "name", "data_type", "pii_type", "semantic_type", "description"]
    title = page_title("columns", found, offset)
    print_rows(found["data"], columns, output=output, title=title)


@app.command("show")
def show_column(
    urn: Annotated[str, typer.Argument(help="Column URN")],
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    output: Output = "table",
) -> None:
    """Everything known about one column."""
    detail = fetch(
        api_url, api_key, f"/columns/{quoted(urn)}", {}, lambda s: catalog_columns.get_column(s, urn)
    )
    print_detail(detail, output)
