"""`dab sources`: the registered ingestion sources."""

from __future__ import annotations

from typing import Annotated

import typer

from dab.cli._render import print_rows
from dab.ingest.sources import SOURCES


def sources(output: Annotated[str, typer.Option("--format", help="table, json or csv")] = "table") -> None:
    """List the registered ingestion sources and how their writes behave."""
    rows = [
        {
            "name": s.name,
            "semantics": s.semantics.value,
            "inputs": s.inputs,
            "api": s.api,
            "summary": s.summary,
        }
        for s in SOURCES
    ]
    print_rows(
        rows, ["name", "semantics", "inputs", "api", "summary"], output=output, title="ingestion sources"
    )
