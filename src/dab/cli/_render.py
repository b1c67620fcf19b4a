"""Rendering helpers shared by commands: tables, JSON, CSV."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Sequence
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table
from rich.text import Text

from dab.reports import csv_cell

console = Console()


def print_json(value: Any) -> None:
    sys.stdout.write(
        orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_UTC_Z, default=str).decode() + "\n"
    )


def page_title(kind: str, found: dict[str, Any], offset: int) -> str:
    """ "capsules 1-50 of 120"; "of 1000+" when a text search stopped counting at its cap."""
    total = f"{found['total']}+" if found.get("total_exact") is False else found["total"]
    return f"{kind} {offset + 1}-{offset + len(found['data'])} of {total}"


def print_rows(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], *, output: str, title: str | None = None
) -> None:
    """Rows as a table, JSON or CSV (``--format``)."""
    if output == "json":
        print_json(list(rows))
        return
    if output == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        writer.writerows([csv_cell(row.get(c)) for c in columns] for row in rows)
        sys.stdout.write(buffer.getvalue())
        return
    # Text, never markup: a description holding "[/]" or "[bold]" is shown as written.
    table = Table(title=Text(title) if title is not None else None)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(Text("" if row.get(c) is None else str(row.get(c))) for c in columns))
    console.print(table)


def job_stats_table(job: dict[str, Any]) -> Table:
    table = Table(title=f"ingestion {job['job_id']} ({job['status']})")
    for column in ("kind", "created", "updated", "deleted", "total"):
        table.add_column(column, justify="right" if column != "kind" else "left")
    stats = job.get("stats") or {}
    totals = stats.get("totals") or {}
    for kind in ("capsules", "columns", "tests", "lineage_edges", "tag_links"):
        diff = stats.get(kind) or {}
        table.add_row(
            kind,
            str(diff.get("created", 0)),
            str(diff.get("updated", 0)),
            str(diff.get("deleted", 0)),
            str(totals.get(kind, "")),
        )
    return table
