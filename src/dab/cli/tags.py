"""`dab tags list|create|apply|remove` on the configured database."""

from __future__ import annotations

from typing import Annotated

import typer

from dab.cli._render import print_rows
from dab.cli.capsules import print_detail
from dab.cli.products import in_session, run_parse
from dab.services import governance_tags as tags
from dab.services.governance_inputs import TagApply, TagCreate

app = typer.Typer(help="Tags on capsules and columns (TAGGED_WITH).", no_args_is_help=True)

Tag = Annotated[str, typer.Argument(help="The tag's id or URN")]
Subject = Annotated[str, typer.Argument(help="The capsule's or column's id or URN")]
Output = Annotated[str, typer.Option("--format", help="table, json or csv")]
Column = Annotated[bool, typer.Option("--column", help="SUBJECT is a column, not a capsule")]
TAG_COLUMNS = [
    "id",
    "urn",
    "category",
    "name",
    "sensitivity_level",
    "origin",
    "capsule_count",
    "column_count",
]


@app.command("list")
def list_tags(
    category: str | None = None,
    origin: Annotated[str | None, typer.Option(help="api or dbt")] = None,
    q: Annotated[str | None, typer.Option("--q", "-q", help="Substring of name or description")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    output: Output = "table",
) -> None:
    """List tags (dbt's have origin dbt)."""
    found = in_session(
        lambda s: tags.list_tags(s, category=category, origin=origin, q=q, limit=limit, offset=offset)
    )
    print_rows(found["data"], TAG_COLUMNS, output=output, title=f"{found['total']} tag(s)")


@app.command("create")
def create_tag(
    name: str,
    category: str = "general",
    description: str | None = None,
    sensitivity: Annotated[
        str | None, typer.Option(help="public, internal, confidential, restricted")
    ] = None,
    output: Output = "table",
) -> None:
    """Create a tag; prints it with its id."""
    values = {
        "name": name,
        "category": category,
        "description": description,
        "sensitivity_level": sensitivity,
    }
    body = run_parse(TagCreate, values)
    print_detail(in_session(lambda s: tags.create_tag(s, body), writes=True), output)


@app.command("apply")
def apply_tag(subject: Subject, tag: Tag, column: Column = False, added_by: str | None = None) -> None:
    """Tag a capsule (or a column with --column)."""
    kind = "column" if column else "capsule"
    body = run_parse(TagApply, {"added_by": added_by})
    out, created = in_session(lambda s: tags.apply_tag(s, kind, subject, tag, body), writes=True)
    typer.echo(f"{'tagged' if created else 'already tagged'} {out[f'{kind}_urn']} with {out['tag_urn']}")


@app.command("remove")
def remove_tag(subject: Subject, tag: Tag, column: Column = False) -> None:
    """Remove a tag made through dab from a capsule (or a column with --column)."""
    in_session(lambda s: tags.remove_tag(s, "column" if column else "capsule", subject, tag), writes=True)
    typer.echo(f"removed {tag} from {subject}")
