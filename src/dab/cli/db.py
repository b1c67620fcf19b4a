"""`dab db upgrade|downgrade|current`: Alembic on the configured database."""

from __future__ import annotations

from typing import Annotated

import typer

from dab.cli._runtime import load_settings
from dab.storage import migrate

app = typer.Typer(no_args_is_help=True, help="Database schema migrations (Alembic).")


@app.command("upgrade")
def upgrade_db(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Apply migrations up to REVISION (default: head)."""
    migrate.upgrade(load_settings().effective_database_url, revision)
    typer.echo(f"database upgraded to {revision}")


@app.command("downgrade")
def downgrade_db(revision: Annotated[str, typer.Argument(help="Target revision")] = "-1") -> None:
    """Roll back to REVISION (default: one step back)."""
    migrate.downgrade(load_settings().effective_database_url, revision)
    typer.echo(f"database downgraded to {revision}")


@app.command("stamp")
def stamp_db(revision: Annotated[str, typer.Argument(help="Revision the schema is at")] = "head") -> None:
    """Record REVISION as applied without running anything (after restoring a schema-only dump)."""
    migrate.stamp(load_settings().effective_database_url, revision)
    typer.echo(f"database stamped at {revision}")


@app.command("current")
def current_db() -> None:
    """Print the revision the database is at."""
    typer.echo(migrate.current(load_settings().effective_database_url) or "(no revision: empty database)")
