"""Command line: `dab`. Thin: parse arguments, open a unit of work, call one service, render."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from dab import __version__
from dab.cli import (
    capsules,
    columns,
    conformance,
    db,
    graph,
    ingest,
    operations,
    pii,
    products,
    search,
    serve,
    tags,
)
from dab.platform.logging import configure_logging

app = typer.Typer(no_args_is_help=True, help="dab, the Data Architecture Brain.", add_completion=False)
app.add_typer(db.app, name="db")
app.add_typer(ingest.app, name="ingest")
app.add_typer(conformance.app, name="conformance")
app.command("serve")(serve.serve)
app.add_typer(capsules.app, name="capsules")
app.add_typer(columns.app, name="columns")
app.add_typer(pii.app, name="pii")
app.command("search")(search.search)
app.add_typer(products.app, name="products")
app.add_typer(tags.app, name="tags")
app.add_typer(graph.app, name="graph")
app.command("backup")(operations.backup)
app.command("restore")(operations.restore)
app.add_typer(operations.cache_app, name="cache")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dab {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[  # noqa: ARG001 - handled by its eager callback
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Turn dbt metadata into a queryable property graph."""
    # Commands talk to people on stdout; the JSON log goes to stderr, warnings and worse only.
    configure_logging("WARNING", stream=sys.stderr)
