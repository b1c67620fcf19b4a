"""Command line: `dab`. Thin: parse arguments, open a unit of work, call one service, render."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from dab import __version__
from dab.cli._lazy import LazyGroup

app = typer.Typer(
    cls=LazyGroup, no_args_is_help=True, help="dab, the Data Architecture Brain.", add_completion=False
)


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
    from dab.platform.logging import configure_logging  # structlog: only when a command runs

    configure_logging("WARNING", stream=sys.stderr)


def run_dab() -> None:
    """The ``dab`` console script and ``python -m dab``: the process is the command's own, so a
    batch command may end it without tearing its heap down (``dab.cli._exit``)."""
    from dab.cli._exit import own_process

    own_process()
    app()
