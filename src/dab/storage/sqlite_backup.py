"""Online backup and restore of the embedded SQLite database (SQLite's backup API).

Both directions copy page by page under SQLite's own locking, so a running server keeps
serving during a backup and sees the restored database on its next transaction.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from dab.errors import InvalidInput
from dab.storage.migrate import alembic_config


def database_file(url: str) -> Path:
    """The file behind a SQLite URL; any other database is refused with what to use instead."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        raise InvalidInput(
            f"dab backup/restore copy the embedded SQLite file; {parsed.get_backend_name()} "
            "databases are backed up with their own tools (see docs/RUNBOOK.md: pg_dump, pg_restore)",
            location="DATABASE_URL",
        )
    return Path(parsed.database)


def _copy(source: Path, target: Path) -> None:
    with (
        contextlib.closing(sqlite3.connect(source, timeout=30)) as src,
        contextlib.closing(sqlite3.connect(target, timeout=30)) as dst,
    ):
        src.backup(dst, pages=1024)


def backup(url: str, target: Path) -> int:
    """Copy the live database to ``target`` (a new file); returns its size in bytes."""
    source = database_file(url)
    if not source.is_file():
        raise InvalidInput(f"no database at {source}: nothing to back up", location="DAB_HOME")
    if target.exists():
        raise InvalidInput(f"{target} exists; choose a new file for the backup", location="PATH")
    target.parent.mkdir(parents=True, exist_ok=True)
    _copy(source, target)
    return target.stat().st_size


def backup_revision(path: Path) -> str:
    """Check ``path`` is an intact dab database this version can upgrade; returns its revision."""
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file", location="PATH")
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            if conn.execute("PRAGMA quick_check").fetchone() != ("ok",):
                raise InvalidInput(f"{path} is a damaged SQLite database", location="PATH")
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"{path} is not a dab backup ({exc})", location="PATH") from None
    if row is None:
        raise InvalidInput(f"{path} has no schema revision: not a dab backup", location="PATH")
    revision = str(row[0])
    known = {
        rev.revision for rev in ScriptDirectory.from_config(alembic_config("sqlite://")).walk_revisions()
    }
    if revision not in known:
        raise InvalidInput(
            f"{path} is at schema revision {revision}, which this dab version does not know "
            "(restore it with the dab version that made it)",
            location="PATH",
        )
    return revision


def restore(url: str, source: Path) -> None:
    """Replace the live database's content with ``source`` (checked with ``backup_revision``)."""
    target = database_file(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    _copy(source, target)
