"""`dab search QUERY`: capsules, columns, tags, products and domains by name."""

from __future__ import annotations

from typing import Annotated, cast

import typer

from dab.cli._render import print_rows
from dab.cli.capsules import ApiKey, ApiUrl, Output, fetch
from dab.services.catalog_search import SearchKind, search_catalog


def search(
    query: Annotated[str, typer.Argument(help="Text to look for (case-insensitive)")],
    kind: Annotated[str | None, typer.Option(help="capsule, column, tag, product or domain")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 20,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    output: Output = "table",
) -> None:
    """Search the catalog; exact names first, then prefixes, then substrings."""
    if kind not in (None, "capsule", "column", "tag", "product", "domain"):
        raise typer.BadParameter("use capsule, column, tag, product or domain", param_hint="--kind")
    found = fetch(
        api_url,
        api_key,
        "/search",
        {"q": query, "kind": kind, "limit": limit},
        lambda s: search_catalog(s, query, limit=limit, kind=cast(SearchKind | None, kind)),
    )
    columns = ["kind", "name", "urn", "score", "match"]
    print_rows(found["data"], columns, output=output, title=f"search {query!r}")
