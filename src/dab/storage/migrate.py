"""Alembic, driven from code: `dab db ...` and the embedded default's start-up use it."""

from __future__ import annotations

import io
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str, *, output: io.StringIO | None = None) -> Config:
    config = Config(stdout=output) if output is not None else Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "-1") -> None:
    command.downgrade(alembic_config(database_url), revision)


def stamp(database_url: str, revision: str = "head") -> None:
    """Record ``revision`` without running migrations (a schema restored from a plain dump)."""
    command.stamp(alembic_config(database_url), revision)


def current(database_url: str) -> str:
    """The revision the database is at, as `alembic current` prints it."""
    buffer = io.StringIO()
    command.current(alembic_config(database_url, output=buffer))
    return buffer.getvalue().strip()


def head() -> str | None:
    """The newest revision this code knows (the schema it needs)."""
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()
