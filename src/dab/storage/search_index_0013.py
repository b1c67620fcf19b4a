"""The search objects as migration 0013 created them, frozen: 0013 still builds them (on an empty
database that costs nothing) and 0032 replaces them; 0032's downgrade builds them back.

- PostgreSQL: a ``pg_trgm`` GIN index on each of name, URN and description of both tables.
- SQLite: one FTS5 table per table holding ``lower()`` of the three fields, fed by triggers.
"""

from __future__ import annotations

from collections.abc import Iterable

FIELDS = ("name", "urn", "description")
TABLES = {"capsule": "capsule_search", "capsule_column": "column_search"}


def _trgm_index(source: str, field: str) -> str:
    return f"ix_{source}_{field}_trgm"


def postgresql_upgrade() -> list[str]:
    statements = ["CREATE EXTENSION IF NOT EXISTS pg_trgm"]
    for source in TABLES:
        statements += [
            f"CREATE INDEX IF NOT EXISTS {_trgm_index(source, f)} ON {source} USING gin ({f} gin_trgm_ops)"
            for f in FIELDS
        ]
    return statements


def postgresql_downgrade() -> list[str]:
    return [f"DROP INDEX IF EXISTS {_trgm_index(s, f)}" for s in TABLES for f in FIELDS]


def _lowered(prefix: str) -> str:
    return ", ".join(f"lower({prefix}{f})" for f in FIELDS)


def sqlite_upgrade() -> list[str]:
    statements: list[str] = []
    fields = ", ".join(FIELDS)
    for source, fts in TABLES.items():
        statements += [
            f"CREATE VIRTUAL TABLE {fts} USING fts5({fields}, tokenize='trigram case_sensitive 1')",
            f"INSERT INTO {fts} (rowid, {fields}) SELECT id, {_lowered('')} FROM {source}",
            f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {source} BEGIN "
            f"INSERT INTO {fts} (rowid, {fields}) VALUES (new.id, {_lowered('new.')}); END",
            f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {source} BEGIN "
            f"DELETE FROM {fts} WHERE rowid = old.id; END",
            f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {fields} ON {source} BEGIN "
            f"DELETE FROM {fts} WHERE rowid = old.id; "
            f"INSERT INTO {fts} (rowid, {fields}) VALUES (new.id, {_lowered('new.')}); END",
        ]
    return statements


def drop_fts_tables(names: Iterable[str]) -> list[str]:
    """Each FTS5 table and its three triggers (0032's tables have the same names)."""
    statements: list[str] = []
    for fts in names:
        statements += [f"DROP TRIGGER IF EXISTS {fts}_{event}" for event in ("insert", "delete", "update")]
        statements.append(f"DROP TABLE IF EXISTS {fts}")
    return statements


def sqlite_downgrade() -> list[str]:
    return drop_fts_tables(TABLES.values())
